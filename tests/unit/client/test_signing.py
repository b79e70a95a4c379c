"""Publisher-side keys: what they sign is what the registry's domain logins verify."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registrum.client import SigningKey, SigningKeyError, dns_txt_record, well_known_url
from registrum.core.identity import parse_key_record
from registrum.identity.signatures import SignatureMismatchError, verify

TS = "2026-01-02T03:04:05Z"


@pytest.mark.parametrize(("algorithm", "public_size"), [("ed25519", 32), ("ecdsap384", 49)])
def test_a_new_key_signs_what_the_registry_verifies(algorithm, public_size):
    key = SigningKey.generate(algorithm)
    record = parse_key_record(key.public_record())
    assert record is not None
    assert record.algorithm == algorithm
    raw = base64.b64decode(record.public_key)
    assert len(raw) == public_size
    if algorithm == "ecdsap384":
        assert raw[0] in (2, 3)
    signature = bytes.fromhex(key.sign_timestamp(TS))
    assert len(signature) == (64 if algorithm == "ed25519" else 96)
    verify(record, TS.encode(), signature)
    with pytest.raises(SignatureMismatchError):
        verify(record, b"2026-01-02T03:04:06Z", signature)
    other = SigningKey.generate(algorithm)
    with pytest.raises(SignatureMismatchError):
        verify(record, TS.encode(), bytes.fromhex(other.sign_timestamp(TS)))


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsap384"])
def test_hex_and_pem_forms_load_the_same_key(tmp_path, algorithm):
    key = SigningKey.generate(algorithm)
    hex_form = key.private_hex()
    assert len(hex_form) == (64 if algorithm == "ed25519" else 96)
    from_hex = SigningKey.from_hex(hex_form)
    assert from_hex.algorithm == algorithm
    assert from_hex.public_record() == key.public_record()
    (tmp_path / "key.hex").write_text(hex_form + "\n")
    assert SigningKey.load(tmp_path / "key.hex").public_record() == key.public_record()
    key.write(tmp_path / "key.pem")
    assert stat.S_IMODE(os.stat(tmp_path / "key.pem").st_mode) == 0o600
    loaded = SigningKey.load(tmp_path / "key.pem", algorithm)
    assert loaded.public_record() == key.public_record()
    with pytest.raises(SigningKeyError, match="already exists"):
        key.write(tmp_path / "key.pem")


def test_keys_made_elsewhere_load(tmp_path):
    seed = bytes(range(32))
    ed = Ed25519PrivateKey.from_private_bytes(seed)
    pem = ed.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    (tmp_path / "id_ed25519").write_bytes(pem)
    assert SigningKey.load(tmp_path / "id_ed25519").private_hex() == seed.hex()
    p384 = ec.generate_private_key(ec.SECP384R1())
    sec1 = p384.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert SigningKey.from_pem(sec1).algorithm == "ecdsap384"


def test_unusable_keys_are_refused_with_a_reason(tmp_path):
    with pytest.raises(SigningKeyError, match="64 characters"):
        SigningKey.from_hex("ab" * 10)
    with pytest.raises(SigningKeyError, match="neither PEM nor hexadecimal"):
        SigningKey.from_hex("zz" * 32)
    with pytest.raises(SigningKeyError, match="is an ed25519 key, but --algorithm is ecdsap384"):
        SigningKey.from_hex("11" * 32, "ecdsap384")
    with pytest.raises(SigningKeyError, match="unknown key algorithm"):
        SigningKey.generate("rsa")
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(SigningKeyError, match="unsupported key type"):
        SigningKey.from_pem(rsa_pem)
    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(SigningKeyError, match="P-384"):
        SigningKey.from_pem(p256)
    with pytest.raises(SigningKeyError, match="cannot read the private key file"):
        SigningKey.load(tmp_path / "missing.pem")
    (tmp_path / "ed.pem").write_bytes(SigningKey.generate().private_pem())
    with pytest.raises(SigningKeyError, match="holds an ed25519 key"):
        SigningKey.load(tmp_path / "ed.pem", "ecdsap384")


def test_record_texts():
    record = "v=MCPv1; k=ed25519; p=AAAA"
    assert (
        dns_txt_record("example.com", record) == 'example.com. IN TXT "v=MCPv1; k=ed25519; p=AAAA"'
    )
    assert well_known_url("example.com") == "https://example.com/.well-known/mcp-registry-auth"
