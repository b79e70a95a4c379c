"""Which addresses the outbound guard treats as public."""

from __future__ import annotations

import ipaddress

import pytest

from registrum.core.addresses import classify, parse_networks, refused_because


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("240.0.0.1", "address"),  # reserved (3.11 counts it private)
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("64:ff9b::a01:203", "private"),  # NAT64 of 10.1.2.3
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::", "link-local"),  # 6to4 of 169.254.169.254
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(address: str, why: str) -> None:
    reason = refused_because(ipaddress.ip_address(address))
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1", "2002:5db8:d822::"])
def test_public_addresses_pass(address: str) -> None:
    assert refused_because(ipaddress.ip_address(address)) is None


def test_networks_the_operator_declares_public_pass() -> None:
    public = parse_networks("127.0.0.2, 10.0.0.0/8", "MCP_REGISTRY_OUTBOUND_PUBLIC_NETWORKS")
    assert classify(ipaddress.ip_address("127.0.0.2"), public) is None
    assert classify(ipaddress.ip_address("10.9.9.9"), public) is None
    assert classify(ipaddress.ip_address("127.0.0.1"), public) == "a loopback address"
    with pytest.raises(ValueError, match="MCP_REGISTRY_OUTBOUND_PUBLIC_NETWORKS: 'nope'"):
        parse_networks("nope", "MCP_REGISTRY_OUTBOUND_PUBLIC_NETWORKS")
