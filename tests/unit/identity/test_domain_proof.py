"""The request checks the dns and http login methods share, and their address rules."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from registrum.core.errors import InvalidInputError
from registrum.core.identity import parse_key_record
from registrum.identity.dns import parse_resolver_address
from registrum.identity.domain_proof import (
    ProofError,
    check_window,
    decode_signature,
    parse_request,
    parse_timestamp,
    verify_any,
)
from registrum.identity.http import HttpLogin, refused_because
from tests.signing import DomainKey

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


def test_a_request_is_three_strings():
    req = parse_request({"domain": "example.com", "timestamp": "t", "signed_timestamp": "ab"})
    assert (req.domain, req.timestamp, req.signed_timestamp) == ("example.com", "t", "ab")


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ({}, {"domain": "required", "timestamp": "required", "signed_timestamp": "required"}),
        (
            {"domain": 1, "timestamp": "t", "signed_timestamp": None},
            {"domain": "expected string", "signed_timestamp": "required"},
        ),
        ({"domain": "a.b", "timestamp": ["t"], "signed_timestamp": "ab"}, {"timestamp": ""}),
    ],
)
def test_a_malformed_request_names_each_field(body, problems):
    with pytest.raises(InvalidInputError) as err:
        parse_request(body)
    found = {p.path: p.message for p in err.value.problems}
    assert set(found) == set(problems)
    for path, message in problems.items():
        assert message in found[path]


@pytest.mark.parametrize("body", [None, [], "x", 3])
def test_a_body_that_is_not_an_object_is_malformed(body):
    with pytest.raises(InvalidInputError, match="JSON object"):
        parse_request(body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-01T12:00:00Z", NOW),
        ("2025-06-01t12:00:00z", NOW),
        ("2025-06-01T14:00:00+02:00", NOW),
        ("2025-06-01T11:30:00-00:30", NOW),
        ("2025-06-01T12:00:00.123456789Z", NOW + timedelta(microseconds=123456)),
        ("2025-06-01T12:00:00.5Z", NOW + timedelta(milliseconds=500)),
    ],
)
def test_rfc3339_timestamps_are_read(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2025-06-01T12:00:00",  # no zone
        "2025-06-01 12:00:00Z",
        "2025-06-01",
        "1748779200",
        "2025-13-01T12:00:00Z",
        "2025-06-01T25:00:00Z",
        "",
        "2025-06-01T12:00:00Z\n",
    ],
)
def test_other_timestamps_are_refused(text):
    with pytest.raises(ProofError) as err:
        parse_timestamp(text)
    assert err.value.field == "timestamp"


@pytest.mark.parametrize("offset", [-15, -14.9, 0, 15])
def test_the_window_is_fifteen_seconds_each_way(offset):
    check_window("2025-06-01T12:00:00Z", NOW + timedelta(seconds=offset))


@pytest.mark.parametrize(
    ("offset", "direction"), [(-16, "ahead of"), (16, "behind"), (3600, "behind")]
)
def test_outside_the_window_the_caller_is_told_to_sync_the_clock(offset, direction):
    with pytest.raises(ProofError) as err:
        check_window("2025-06-01T12:00:00Z", NOW + timedelta(seconds=offset))
    assert err.value.reason.startswith("timestamp outside valid window (±15 seconds)")
    assert direction in err.value.reason
    assert "sync your clock" in err.value.reason


@pytest.mark.parametrize("text", ["", "a", "abc", "zz", "0x00", "ab cd", "ab\n"])
def test_signatures_must_be_hex(text):
    with pytest.raises(ProofError, match="not hex-encoded"):
        decode_signature(text)
    assert decode_signature("00Ff") == b"\x00\xff"


def test_any_published_key_may_verify_and_failures_name_every_key():
    good, other = DomainKey.p384(), DomainKey.ed25519()
    records = [parse_key_record(other.record), parse_key_record(good.record)]
    assert all(records)
    message = b"2025-06-01T12:00:00Z"
    assert verify_any(records, message, good.sign_bytes(message)) == records[1]
    with pytest.raises(ProofError) as err:
        verify_any(records, message, DomainKey.ed25519().sign_bytes(message))
    assert "none of the 2 published keys" in err.value.reason
    assert other.fingerprint in err.value.reason
    assert good.fingerprint in err.value.reason


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("10.0.0.2", ("10.0.0.2", 53)),
        ("[::1]:53", ("::1", 53)),
        ("[::1]", ("::1", 53)),
        ("::1", ("::1", 53)),
    ],
)
def test_resolver_addresses(address, expected):
    assert parse_resolver_address(address) == expected


@pytest.mark.parametrize("address", ["dns.example:53", "127.0.0.1:x", "127.0.0.1:0", "[::1]x"])
def test_bad_resolver_addresses_fail_at_start_up(address):
    with pytest.raises(ValueError, match="resolver address"):
        parse_resolver_address(address)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.254", "CGNAT"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::a00:1", "private"),
        ("192.0.2.1", "address"),  # documentation range
        ("240.0.0.1", "address"),  # reserved
    ],
)
def test_the_ssrf_guard_refuses_non_public_addresses(address, why):
    reason = refused_because(ipaddress.ip_address(address))
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_the_ssrf_guard_lets_public_addresses_through(address):
    assert refused_because(ipaddress.ip_address(address)) is None


def test_the_url_template_must_name_the_domain():
    with pytest.raises(ValueError, match="HTTP_AUTH_URL_TEMPLATE"):
        HttpLogin(url_template="https://example.net/.well-known/mcp-registry-auth")
    login = HttpLogin(url_template="https://{domain}/.well-known/mcp-registry-auth")
    assert login.url_for("example.com") == "https://example.com/.well-known/mcp-registry-auth"
