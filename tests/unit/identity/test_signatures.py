"""Signed timestamps against published key records: ed25519 and compressed ECDSA P-384."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization

from registrum.core.identity import KeyRecord, parse_key_record
from registrum.identity.signatures import (
    KeyRecordError,
    SignatureMismatchError,
    fingerprint,
    signature_size,
    verify,
)
from tests.signing import DomainKey

TS = b"2025-06-01T12:00:00Z"


def record_of(key: DomainKey) -> KeyRecord:
    record = parse_key_record(key.record)
    assert record is not None
    return record


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsap384"])
def test_a_signature_by_the_published_key_verifies(algorithm):
    key = DomainKey.make(algorithm)
    verify(record_of(key), TS, key.sign_bytes(TS))


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsap384"])
def test_a_signature_by_another_key_does_not(algorithm):
    published, other = DomainKey.make(algorithm), DomainKey.make(algorithm)
    with pytest.raises(SignatureMismatchError) as err:
        verify(record_of(published), TS, other.sign_bytes(TS))
    assert str(err.value) == (
        f"signature does not match the published key {algorithm}:{published.public_b64[:8]}"
    )


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsap384"])
def test_the_signed_message_is_the_exact_timestamp_string(algorithm):
    key = DomainKey.make(algorithm)
    signature = key.sign_bytes(TS)
    for other in (b"2025-06-01T12:00:00+00:00", b"2025-06-01T12:00:00Z ", b"2025-06-01T12:00:01Z"):
        with pytest.raises(SignatureMismatchError):
            verify(record_of(key), other, signature)


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsap384"])
def test_a_flipped_bit_breaks_the_signature(algorithm):
    key = DomainKey.make(algorithm)
    signature = bytearray(key.sign_bytes(TS))
    signature[10] ^= 0x01
    with pytest.raises(SignatureMismatchError):
        verify(record_of(key), TS, bytes(signature))


def test_a_signature_of_the_wrong_size_says_which_size_is_expected():
    key = DomainKey.ed25519()
    with pytest.raises(SignatureMismatchError, match="an ed25519 signature is 64 bytes"):
        verify(record_of(key), TS, DomainKey.p384().sign_bytes(TS))
    p384 = DomainKey.p384()
    with pytest.raises(SignatureMismatchError, match="an ecdsap384 signature is 96 bytes"):
        verify(record_of(p384), TS, key.sign_bytes(TS))
    assert signature_size("ed25519") == 64
    assert signature_size("ecdsap384") == 96
    assert signature_size("rsa") is None


def test_an_unsupported_algorithm_is_a_key_error():
    with pytest.raises(KeyRecordError, match="unsupported algorithm 'rsa'"):
        verify(KeyRecord("rsa", "AAAA"), TS, b"x" * 64)


def test_a_key_of_the_wrong_size_is_a_key_error():
    short = base64.b64encode(b"\x01" * 31).decode()
    with pytest.raises(KeyRecordError, match="31 bytes, but an ed25519 public key is 32"):
        verify(KeyRecord("ed25519", short), TS, b"x" * 64)


def test_an_uncompressed_p384_key_is_refused_with_a_hint():
    key = DomainKey.p384()
    uncompressed = key.private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    record = KeyRecord("ecdsap384", base64.b64encode(uncompressed).decode())
    with pytest.raises(KeyRecordError, match="compressed form"):
        verify(record, TS, key.sign_bytes(TS))


def test_a_p384_key_with_a_bad_prefix_or_off_the_curve_is_refused():
    key = DomainKey.p384()
    raw = bytearray(key.public_bytes)
    raw[0] = 0x04
    with pytest.raises(KeyRecordError, match="0x02 or 0x03"):
        verify(KeyRecord("ecdsap384", base64.b64encode(raw).decode()), TS, key.sign_bytes(TS))
    off_curve = base64.b64encode(b"\x02" + b"\xff" * 48).decode()
    with pytest.raises(KeyRecordError, match="not a point on the P-384 curve"):
        verify(KeyRecord("ecdsap384", off_curve), TS, key.sign_bytes(TS))


def test_bad_base64_is_a_key_error():
    with pytest.raises(KeyRecordError, match="not valid base64"):
        verify(KeyRecord("ed25519", "abc"), TS, b"x" * 64)


def test_the_fingerprint_is_the_algorithm_and_the_first_eight_base64_characters():
    assert fingerprint(KeyRecord("ed25519", "AbCdEfGhIjKl=")) == "ed25519:AbCdEfGh"
    assert fingerprint(KeyRecord("ecdsap384", "Zz")) == "ecdsap384:Zz"
