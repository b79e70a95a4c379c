"""Which IP addresses the registry may connect to when a caller chose the target.

Pure: no resolution here, only the classification of an address already resolved. The
HTTP login, the package checks and the mirror's redirects all ask the same question, so it
is answered once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Final

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_6TO4: Final = ipaddress.ip_network("2002::/16")


def refused_because(ip: IPAddress) -> str | None:
    """Why the registry must not connect to ``ip`` (``None``: a public address).

    IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the
    IPv4 address inside: ``::ffff:127.0.0.1`` reaches loopback on a dual-stack host.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return refused_because(ip.ipv4_mapped)
        if ip in _NAT64:
            return refused_because(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return refused_because(ip.sixtofour)
    checks: list[tuple[bool, str]] = [
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a shared (CGNAT) address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "a reserved, non-public address"),
    ]
    return next((why for refused, why in checks if refused), None)


def parse_networks(raw: str, setting: str) -> tuple[IPNetwork, ...]:
    """``"203.0.113.0/24, 127.0.0.2"`` -> networks; ``ValueError`` names ``setting``."""
    found: list[IPNetwork] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"{setting}: {item!r} is not an IP address or network such as 203.0.113.0/24"
            ) from None
    return tuple(found)


def classify(ip: IPAddress, public: Iterable[IPNetwork] = ()) -> str | None:
    """:func:`refused_because`, except that addresses in ``public`` (networks the operator
    declares public) are public."""
    if any(ip.version == net.version and ip in net for net in public):
        return None
    return refused_because(ip)
