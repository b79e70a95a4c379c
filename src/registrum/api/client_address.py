"""Who is the client: the address a request came from, seen through trusted proxies.

Behind a reverse proxy or load balancer every connection comes from the proxy, and the
client's own address is in a header the proxy adds (``X-Forwarded-For``, or RFC 7239's
``Forwarded``). Anyone can send those headers, so they are believed only when the direct
peer is a configured trusted proxy, and then only as far as the chain of trusted hops goes:
the list is read from the right (each proxy appends the address it saw), skipping trusted
addresses, and the first untrusted one is the client. Whatever stands to its left was written
by the client itself and may be forged.

Used by the rate limits; logs and metrics can use it to name the same client.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Final

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
TrustedProxies = tuple[Network, ...]

_UNKNOWN: Final = "unknown"


def parse_trusted_proxies(value: str) -> TrustedProxies:
    """The networks of a comma-separated list of addresses and CIDRs
    (``127.0.0.1,10.0.0.0/8,::1``). Raises ValueError naming the entry that is neither."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"{item!r} is not an IP address or CIDR: expected a comma-separated list "
                "such as 127.0.0.1,10.0.0.0/8"
            ) from None
    return tuple(networks)


@functools.lru_cache(maxsize=4096)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 socket shows as ::ffff:a.b.c.d; it is the same client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=4096)
def _trusted(text: str, trusted: TrustedProxies) -> bool:
    # Cached: the same few proxies and clients come back on every request.
    address = _ip(text)
    return address is not None and any(address in net for net in trusted)


def _host_of(node: str) -> str:
    """The address of one hop as proxies write it: ``a.b.c.d``, ``a.b.c.d:port``,
    ``[v6]``, ``[v6]:port`` or a bare IPv6 address; quotes (``Forwarded``) removed."""
    node = node.strip().strip('"')
    if node.startswith("["):
        return node[1:].split("]", 1)[0]
    if node.count(":") == 1:
        return node.split(":", 1)[0]
    return node


def _forwarded_for(value: str) -> list[str]:
    """The ``for=`` of each element of an RFC 7239 ``Forwarded`` header, in order."""
    hops = []
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, node = pair.partition("=")
            if name.strip().lower() == "for":
                hops.append(_host_of(node))
    return hops


def _hops(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    xff: list[str] = []
    forwarded: list[str] = []
    for key, value in headers:
        if key == b"x-forwarded-for":
            xff.extend(_host_of(h) for h in value.decode("latin-1").split(","))
        elif key == b"forwarded":
            forwarded.extend(_forwarded_for(value.decode("latin-1")))
    # Proxies that write both write the same hops; the older header is the more common.
    return xff or forwarded


def client_address(scope: Scope, trusted_proxies: TrustedProxies) -> str:
    """The client's address: the direct peer's, or, when the peer is a trusted proxy, the
    nearest untrusted hop of its forwarding header. ``"unknown"`` when the server was not
    told the peer (a Unix socket)."""
    client = scope.get("client")
    peer: str = client[0] if client else _UNKNOWN
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    nearest = peer
    for hop in reversed(_hops(scope.get("headers", ()))):
        if _ip(hop) is None:
            # Not an address ('unknown', an obfuscated name, junk): nothing further left can
            # be trusted, so the client is the last hop that could be read.
            return nearest
        address = str(_ip(hop))
        if not _trusted(address, trusted_proxies):
            return address
        nearest = address
    return nearest
