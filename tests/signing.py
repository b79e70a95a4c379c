"""Domain keys for the dns/http login tests: made and used the way a publisher does."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


@dataclass(frozen=True)
class DomainKey:
    algorithm: str
    private: Any

    @classmethod
    def ed25519(cls) -> DomainKey:
        return cls("ed25519", Ed25519PrivateKey.generate())

    @classmethod
    def p384(cls) -> DomainKey:
        return cls("ecdsap384", ec.generate_private_key(ec.SECP384R1()))

    @classmethod
    def make(cls, algorithm: str) -> DomainKey:
        return cls.ed25519() if algorithm == "ed25519" else cls.p384()

    @property
    def public_bytes(self) -> bytes:
        if self.algorithm == "ed25519":
            return self.private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        return self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_bytes).decode()

    @property
    def record(self) -> str:
        """The TXT record / well-known file content."""
        return f"v=MCPv1; k={self.algorithm}; p={self.public_b64}"

    @property
    def fingerprint(self) -> str:
        return f"{self.algorithm}:{self.public_b64[:8]}"

    def sign_bytes(self, message: bytes) -> bytes:
        if self.algorithm == "ed25519":
            return bytes(self.private.sign(message))
        r, s = decode_dss_signature(self.private.sign(message, ec.ECDSA(hashes.SHA384())))
        return r.to_bytes(48, "big") + s.to_bytes(48, "big")

    def sign(self, timestamp: str) -> str:
        return self.sign_bytes(timestamp.encode()).hex()

    def login_body(self, domain: str, offset: float = 0.0) -> dict[str, str]:
        """A fresh login request body, its timestamp ``offset`` seconds from now."""
        ts = timestamp(offset)
        return {"domain": domain, "timestamp": ts, "signed_timestamp": self.sign(ts)}


def timestamp(offset: float = 0.0) -> str:
    when = datetime.now(UTC) + timedelta(seconds=offset)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
