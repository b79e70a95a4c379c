"""Signed timestamps checked against a published key record, as the official registry's
``dns`` and ``http`` logins check them.

The publisher signs the exact bytes of its timestamp string with the private half of the key it
published as ``v=MCPv1; k=<algorithm>; p=<base64 public key>``:

- ``ed25519``: a 32-byte public key and a 64-byte signature;
- ``ecdsap384``: a 49-byte compressed P-384 point (first byte 0x02 or 0x03) and a 96-byte raw
  ``R || S`` signature over the SHA-384 digest of the message.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from registrum.core.identity import KeyRecord

ED25519: Final = "ed25519"
ECDSA_P384: Final = "ecdsap384"
ALGORITHMS: Final = (ED25519, ECDSA_P384)

_P384_COORDINATE: Final = 48
_SIZES: Final = {
    # algorithm: (public key bytes, signature bytes)
    ED25519: (32, 64),
    ECDSA_P384: (1 + _P384_COORDINATE, 2 * _P384_COORDINATE),
}


class KeyRecordError(ValueError):
    """The published key cannot be used: unknown algorithm, bad base64, wrong size."""


class SignatureMismatchError(ValueError):
    """The signature does not verify against the published key."""


def fingerprint(record: KeyRecord) -> str:
    """A short name for a published key, to tell keys apart in messages:
    ``ed25519:AbCdEfGh`` (the first 8 base64 characters of the public key)."""
    return f"{record.algorithm}:{record.public_key[:8]}"


def signature_size(algorithm: str) -> int | None:
    sizes = _SIZES.get(algorithm)
    return sizes[1] if sizes else None


def _public_key_bytes(record: KeyRecord) -> bytes:
    if record.algorithm not in _SIZES:
        raise KeyRecordError(
            f"key {fingerprint(record)} uses the unsupported algorithm '{record.algorithm}': "
            f"publish an {' or '.join(ALGORITHMS)} key"
        )
    try:
        raw = base64.b64decode(record.public_key, validate=True)
    except (binascii.Error, ValueError):
        raise KeyRecordError(
            f"key {fingerprint(record)} is not valid base64: publish the public key as "
            "standard base64 with its '=' padding"
        ) from None
    expected = _SIZES[record.algorithm][0]
    if len(raw) != expected:
        raise KeyRecordError(
            f"key {fingerprint(record)} is {len(raw)} bytes, but an {record.algorithm} public "
            f"key is {expected} bytes: publish the raw public key"
            + (" in compressed form" if record.algorithm == ECDSA_P384 else "")
        )
    return raw


def verify(record: KeyRecord, message: bytes, signature: bytes) -> None:
    """Raise :class:`KeyRecordError` if the record is unusable, :class:`SignatureMismatchError`
    if ``signature`` is not a signature of ``message`` by the record's key."""
    raw = _public_key_bytes(record)
    mismatch = SignatureMismatchError(
        f"signature does not match the published key {fingerprint(record)}"
    )
    expected_size = _SIZES[record.algorithm][1]
    if len(signature) != expected_size:
        raise SignatureMismatchError(
            f"{mismatch}: an {record.algorithm} signature is {expected_size} bytes, "
            f"this one is {len(signature)}"
        )
    if record.algorithm == ED25519:
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
        except InvalidSignature:
            raise mismatch from None
        return
    if raw[0] not in (0x02, 0x03):
        raise KeyRecordError(
            f"key {fingerprint(record)} is not a compressed P-384 point (it must start with "
            "0x02 or 0x03): publish the compressed public key"
        )
    try:
        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), raw)
    except ValueError:
        raise KeyRecordError(
            f"key {fingerprint(record)} is not a point on the P-384 curve: publish the "
            "compressed public key"
        ) from None
    r = int.from_bytes(signature[:_P384_COORDINATE], "big")
    s = int.from_bytes(signature[_P384_COORDINATE:], "big")
    try:
        point.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        raise mismatch from None
