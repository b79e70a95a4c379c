"""Keys for the ``dns`` and ``http`` logins, on the publisher's side.

A domain proves itself with a key pair: the public half is published as the record
``v=MCPv1; k=<algorithm>; p=<base64 public key>`` (a DNS TXT record of the domain, or the body
of ``https://<domain>/.well-known/mcp-registry-auth``); the private half signs the exact
timestamp string sent to ``POST /auth/dns`` or ``/auth/http``.

Two algorithms, as the official registry has them:

- ``ed25519``: the public key is the raw 32 bytes; the signature the raw 64 bytes.
- ``ecdsap384``: the public key is the 49-byte compressed point; the message is hashed with
  SHA-384 and the signature is the raw 96 bytes ``R || S``.

Private keys load from PEM (PKCS#8, traditional or OpenSSH) or from hex, as the official
publisher takes them: 64 hex characters are an Ed25519 seed, 96 a P-384 scalar.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from registrum.client.errors import SigningKeyError

ED25519: Final = "ed25519"
ECDSA_P384: Final = "ecdsap384"
ALGORITHMS: Final = (ED25519, ECDSA_P384)
WELL_KNOWN_PATH: Final = "/.well-known/mcp-registry-auth"

_HEX_LENGTHS: Final = {64: ED25519, 96: ECDSA_P384}
_P384_BYTES: Final = 48


def _check_algorithm(algorithm: str | None) -> None:
    if algorithm is not None and algorithm not in ALGORITHMS:
        raise SigningKeyError(f"unknown key algorithm {algorithm!r}: use {' or '.join(ALGORITHMS)}")


class SigningKey:
    """An Ed25519 or ECDSA P-384 private key that signs domain-login timestamps."""

    def __init__(self, key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> None:
        if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, ec.SECP384R1):
            raise SigningKeyError(
                f"an ECDSA key must be on the P-384 curve, not {key.curve.name}; "
                "make one with `registrum keygen --algorithm ecdsap384`"
            )
        self._key = key

    @property
    def algorithm(self) -> str:
        return ED25519 if isinstance(self._key, Ed25519PrivateKey) else ECDSA_P384

    # --- making and loading -----------------------------------------------------------------

    @classmethod
    def generate(cls, algorithm: str = ED25519) -> SigningKey:
        _check_algorithm(algorithm)
        if algorithm == ED25519:
            return cls(Ed25519PrivateKey.generate())
        return cls(ec.generate_private_key(ec.SECP384R1()))

    @classmethod
    def from_hex(cls, text: str, algorithm: str | None = None) -> SigningKey:
        """64 hex characters = an Ed25519 seed, 96 = a P-384 private scalar."""
        _check_algorithm(algorithm)
        value = text.strip().removeprefix("0x")
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise SigningKeyError(
                "the private key is neither PEM nor hexadecimal: give a PEM file, or 64 hex "
                "characters (Ed25519 seed) or 96 (P-384 scalar)"
            ) from None
        implied = _HEX_LENGTHS.get(len(value))
        if implied is None:
            raise SigningKeyError(
                f"a hex private key has 64 characters (Ed25519) or 96 (ECDSA P-384), "
                f"not {len(value)}"
            )
        if algorithm is not None and algorithm != implied:
            raise SigningKeyError(
                f"a {len(value)}-character hex key is an {implied} key, but --algorithm is "
                f"{algorithm}"
            )
        if implied == ED25519:
            return cls(Ed25519PrivateKey.from_private_bytes(raw))
        try:
            return cls(ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP384R1()))
        except ValueError as exc:
            raise SigningKeyError(f"not a valid P-384 private key: {exc}") from None

    @classmethod
    def from_pem(cls, data: bytes, password: bytes | None = None) -> SigningKey:
        key: object
        try:
            if b"OPENSSH PRIVATE KEY" in data:
                key = serialization.load_ssh_private_key(data, password)
            else:
                key = serialization.load_pem_private_key(data, password)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise SigningKeyError(f"cannot read the PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
            raise SigningKeyError(
                f"unsupported key type {type(key).__name__}: use an Ed25519 or ECDSA P-384 key"
            )
        return cls(key)

    @classmethod
    def load(cls, path: str | Path, algorithm: str | None = None) -> SigningKey:
        """A key file: PEM, or the hex form. ``algorithm``, when given, must match the key."""
        _check_algorithm(algorithm)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"cannot read the private key file {path}: {exc}") from None
        if b"-----BEGIN" in data:
            key = cls.from_pem(data)
        else:
            try:
                text = data.decode("ascii")
            except UnicodeDecodeError:
                raise SigningKeyError(
                    f"{path} is neither a PEM file nor a hex private key"
                ) from None
            key = cls.from_hex(text, algorithm)
        if algorithm is not None and key.algorithm != algorithm:
            raise SigningKeyError(
                f"{path} holds an {key.algorithm} key, but --algorithm is {algorithm}"
            )
        return key

    # --- using ------------------------------------------------------------------------------

    def sign(self, message: bytes) -> bytes:
        """Ed25519: the raw 64-byte signature. P-384: SHA-384, then raw ``R || S``."""
        if isinstance(self._key, Ed25519PrivateKey):
            return self._key.sign(message)
        der = self._key.sign(message, ec.ECDSA(hashes.SHA384()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(_P384_BYTES, "big") + s.to_bytes(_P384_BYTES, "big")

    def sign_timestamp(self, timestamp: str) -> str:
        """The hex signature of the exact timestamp string, as the domain logins send it."""
        return self.sign(timestamp.encode()).hex()

    def public_key_bytes(self) -> bytes:
        """Ed25519: the raw 32 bytes. P-384: the 49-byte compressed point."""
        public = self._key.public_key()
        if isinstance(self._key, Ed25519PrivateKey):
            return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )

    def public_record(self) -> str:
        """``v=MCPv1; k=<algorithm>; p=<base64 public key>``."""
        encoded = base64.b64encode(self.public_key_bytes()).decode()
        return f"v=MCPv1; k={self.algorithm}; p={encoded}"

    def private_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def private_hex(self) -> str:
        """The hex form the official publisher's ``--private-key`` takes."""
        if isinstance(self._key, Ed25519PrivateKey):
            return self._key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            ).hex()
        return self._key.private_numbers().private_value.to_bytes(_P384_BYTES, "big").hex()

    def write(self, path: str | Path, *, overwrite: bool = False) -> None:
        """Write the private key as PEM, readable by its owner only (mode 0600)."""
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            raise SigningKeyError(f"{path} already exists; choose another file") from None
        except OSError as exc:
            raise SigningKeyError(f"cannot write {path}: {exc}") from None
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(self.private_pem())


def dns_txt_record(domain: str, record: str) -> str:
    """The TXT record in zone-file form: ``example.com. IN TXT "v=MCPv1; ..."``."""
    return f'{domain.rstrip(".")}. IN TXT "{record}"'


def well_known_url(domain: str) -> str:
    return f"https://{domain}{WELL_KNOWN_PATH}"
