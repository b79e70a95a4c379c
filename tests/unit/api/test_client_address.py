"""Who the client is: the direct peer, or the nearest untrusted hop behind trusted proxies."""

from __future__ import annotations

from typing import Any

import pytest

from registrum.api.client_address import client_address, parse_trusted_proxies

PROXIES = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8, fd00::/8")


def scope(peer: str | None, *headers: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "client": (peer, 4321) if peer else None,
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers],
    }


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_says() -> None:
    s = scope("203.0.113.7", ("X-Forwarded-For", "198.51.100.1"))
    assert client_address(s, ()) == "203.0.113.7"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored() -> None:
    s = scope("203.0.113.7", ("X-Forwarded-For", "198.51.100.1"), ("Forwarded", "for=1.2.3.4"))
    assert client_address(s, PROXIES) == "203.0.113.7"


def test_a_trusted_peer_names_the_client() -> None:
    s = scope("10.1.2.3", ("X-Forwarded-For", "198.51.100.1"))
    assert client_address(s, PROXIES) == "198.51.100.1"


def test_the_list_is_walked_from_the_right_past_trusted_hops_only() -> None:
    # The client forged the first entry; the proxies appended the rest.
    s = scope("127.0.0.1", ("X-Forwarded-For", "6.6.6.6, 198.51.100.1, 10.9.9.9"))
    assert client_address(s, PROXIES) == "198.51.100.1"


def test_several_header_lines_are_one_list() -> None:
    s = scope("10.0.0.1", ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.2"))
    assert client_address(s, PROXIES) == "198.51.100.2"


def test_every_hop_trusted_gives_the_leftmost() -> None:
    s = scope("10.0.0.1", ("X-Forwarded-For", "10.0.0.3, 10.0.0.2"))
    assert client_address(s, PROXIES) == "10.0.0.3"


def test_junk_stops_the_walk_at_the_last_readable_hop() -> None:
    s = scope("10.0.0.1", ("X-Forwarded-For", "198.51.100.1, not-an-address, 10.0.0.2"))
    assert client_address(s, PROXIES) == "10.0.0.2"


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ('for="[2001:db8::1]:4711";proto=https', "2001:db8::1"),
        ("for=192.0.2.60;proto=http;by=10.0.0.1", "192.0.2.60"),
        ("for=192.0.2.43:8080, for=10.0.0.9", "192.0.2.43"),
        ("For=198.51.100.17", "198.51.100.17"),
    ],
)
def test_the_forwarded_header(forwarded: str, client: str) -> None:
    assert client_address(scope("10.0.0.1", ("Forwarded", forwarded)), PROXIES) == client


def test_a_trusted_peer_without_a_header_is_the_client() -> None:
    assert client_address(scope("10.0.0.1"), PROXIES) == "10.0.0.1"


def test_ipv4_mapped_peers_are_matched_as_ipv4() -> None:
    s = scope("::ffff:10.0.0.1", ("X-Forwarded-For", "198.51.100.1"))
    assert client_address(s, PROXIES) == "198.51.100.1"


def test_no_peer_is_unknown() -> None:
    assert client_address(scope(None), PROXIES) == "unknown"


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "proxy.example.com", "1.2.3"])
def test_bad_proxy_lists_say_which_entry(bad: str) -> None:
    with pytest.raises(ValueError, match="is not an IP address or CIDR"):
        parse_trusted_proxies(f"127.0.0.1,{bad}")
