"""An httpx transport that fences outbound requests in: where each hop may connect, and how
much of an answer is read.

httpx follows redirects in the client, calling the transport once per hop, so a transport
sees every hop: the first request and each redirect target alike. For each hop it

- resolves the host once, judges every address (:mod:`registrum.core.addresses`) and then
  connects to the address it judged, with the name kept in the Host header and in TLS (SNI
  and the certificate check): a second DNS answer cannot swap in an internal address;
- refuses a hop to a non-public address when the first hop's host was not one the operator
  configured (``trusted``), or when any earlier hop was public: an address the operator
  trusts may redirect within their network, a public one may not redirect into it;
- caps the answer: ``Content-Length`` over the cap is refused before any byte is read, and
  a body that streams past the cap is cut off after at most one chunk more.

Both refusals raise subclasses of :class:`httpx.TransportError`, so code that already turns
transport errors into its own errors keeps working, and can catch these first to say more.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

import httpx

from registrum.core.addresses import IPAddress, IPNetwork, classify

# The per-redirect-chain state rides in the request's extensions: httpx copies them into
# each redirect request, and the copy is shallow, so every hop shares this one dict.
_CHAIN: Final = "registrum.guard.chain"
Resolver = Callable[[str, int], list[IPAddress]]


class AddressRefusedError(httpx.ConnectError):
    """A hop's host is, or resolves to, an address the policy does not allow."""

    def __init__(self, message: str, *, url: str, address: str) -> None:
        super().__init__(message)
        self.url = url
        self.address = address


class ResponseTooLargeError(httpx.ReadError):
    """An answer is larger than the cap."""

    def __init__(self, message: str, *, url: str, cap: int) -> None:
        super().__init__(message)
        self.url = url
        self.cap = cap


def system_resolver(host: str, port: int) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    return found


@dataclass(frozen=True)
class OutboundPolicy:
    """Where outbound requests may go and how much they may read.

    ``trust_first_hop``: the first hop may reach any address (the operator configured it);
    otherwise only a host in ``trusted_hosts`` may be non-public. ``allow_private`` turns
    the address checks off (``allow_private_setting`` names the setting, for messages).
    ``public_networks`` are treated as public. ``max_bytes`` caps each answer (0: no cap;
    ``max_bytes_setting`` names its setting).
    """

    trust_first_hop: bool = False
    trusted_hosts: frozenset[str] = frozenset()
    allow_private: bool = False
    allow_private_setting: str = ""
    public_networks: tuple[IPNetwork, ...] = ()
    max_bytes: int = 0
    max_bytes_setting: str = ""
    resolver: Resolver = field(default=system_resolver, compare=False)


class GuardedTransport(httpx.BaseTransport):
    """``inner`` (one transport for every host) or ``factory`` (one per host name, the
    default) sends the requests. A connection pool matches connections by the address
    connected to, so one pool per host name keeps a TLS connection checked for one name
    from carrying requests for another name at the same address."""

    def __init__(
        self,
        policy: OutboundPolicy,
        inner: httpx.BaseTransport | None = None,
        *,
        factory: Callable[[], httpx.BaseTransport] = httpx.HTTPTransport,
    ) -> None:
        self.policy = policy
        self._inner = inner
        self._factory = factory
        self._by_host: dict[str, httpx.BaseTransport] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
        with self._lock:
            pools, self._by_host = list(self._by_host.values()), {}
        for pool in pools:
            pool.close()

    def _transport(self, host: str) -> httpx.BaseTransport:
        if self._inner is not None:
            return self._inner
        with self._lock:
            pool = self._by_host.get(host)
            if pool is None:
                pool = self._by_host[host] = self._factory()
            return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        chain = request.extensions.get(_CHAIN)
        first = chain is None
        if chain is None:
            chain = {"public": False}
            request.extensions[_CHAIN] = chain
        url = request.url
        addresses = self._addresses(url)
        verdicts = [(ip, classify(ip, self.policy.public_networks)) for ip in addresses]
        public = all(why is None for _, why in verdicts)
        if not self.policy.allow_private and not public:
            trusted = self.policy.trust_first_hop or url.host.lower() in self.policy.trusted_hosts
            if chain["public"] or (first and not trusted):
                ip, why = next((ip, why) for ip, why in verdicts if why is not None)
                came = "after a redirect from a public address " if chain["public"] else ""
                hint = (
                    f" (set {self.policy.allow_private_setting}=true to allow it)"
                    if self.policy.allow_private_setting
                    else ""
                )
                raise AddressRefusedError(
                    f"{url} {came}resolves to {ip}, {why}: the address is not allowed{hint}",
                    url=str(url),
                    address=str(ip),
                )
        chain["public"] = chain["public"] or public
        request.headers["Accept-Encoding"] = "gzip, deflate"
        return self._capped(url, self._send(request, addresses))

    def _addresses(self, url: httpx.URL) -> list[IPAddress]:
        host = url.host
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            found = self.policy.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpx.ConnectError(f"cannot resolve {host} ({exc})") from None
        if not found:
            raise httpx.ConnectError(f"{host} has no address")
        return found

    def _send(self, request: httpx.Request, addresses: list[IPAddress]) -> httpx.Response:
        url = request.url
        inner = self._transport(url.host.lower())
        try:
            ipaddress.ip_address(url.host)
        except ValueError:
            pass
        else:
            return inner.handle_request(request)
        last: httpx.ConnectError | None = None
        for ip in addresses:
            # Connect to the address just judged; the name stays in the Host header (httpx
            # set it from the URL) and in TLS through the sni_hostname extension.
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=str(ip)),
                headers=request.headers,
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": url.host},
            )
            try:
                return inner.handle_request(pinned)
            except httpx.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    def _capped(self, url: httpx.URL, response: httpx.Response) -> httpx.Response:
        cap = self.policy.max_bytes
        if not cap:
            return response
        setting = f" ({self.policy.max_bytes_setting})" if self.policy.max_bytes_setting else ""

        def too_large() -> ResponseTooLargeError:
            return ResponseTooLargeError(
                f"the answer from {url} is larger than {cap:,} bytes, the most this registry "
                f"reads{setting}",
                url=str(url),
                cap=cap,
            )

        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("", "identity") and declared.isdigit() and int(declared) > cap:
            response.close()
            raise too_large()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            response.close()
            raise httpx.DecodingError(
                f"{url} was sent with Content-Encoding {encoding!r}; this registry asks for "
                "and reads only gzip, deflate or no encoding"
            )
        raw_stream = response.stream
        assert isinstance(raw_stream, httpx.SyncByteStream)
        stream: httpx.SyncByteStream = raw_stream
        # The cap counts bytes after decompression, so a small compressed answer cannot
        # unpack into a huge one: this stream decodes, and httpx is told nothing is encoded.
        decoder = None if encoding in ("", "identity") else zlib.decompressobj(wbits=47)

        class Capped(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                total = 0
                for raw in stream:
                    pieces = [raw]
                    if decoder is not None:
                        pieces = []
                        data = raw
                        while data:
                            try:
                                piece = decoder.decompress(data, cap - total + 1)
                            except zlib.error as exc:
                                raise httpx.DecodingError(f"{url}: bad {encoding} data") from exc
                            pieces.append(piece)
                            total_here = total + sum(map(len, pieces))
                            if total_here > cap:
                                raise too_large()
                            data = decoder.unconsumed_tail
                    for chunk in pieces:
                        total += len(chunk)
                        if total > cap:
                            raise too_large()
                        yield chunk

            def close(self) -> None:
                stream.close()

        headers = response.headers.copy()
        if decoder is not None:
            del headers["content-encoding"]
            headers.pop("content-length", None)
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=Capped(),
            extensions=response.extensions,
        )
