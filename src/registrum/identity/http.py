"""``http``: prove a domain with a key served at a well-known HTTPS URL, as the
official registry's ``POST /auth/http`` does.

``GET https://<domain>/.well-known/mcp-registry-auth`` must answer 200 with one key record,
``v=MCPv1; k=<algorithm>; p=<base64 key>``. The proof covers the domain only:
``example.com`` grants ``com.example/*``.

The registry fetches a URL that callers choose, so the fetch is fenced in: TLS verified, no
redirects, a 10-second budget, at most 4096 bytes, and an SSRF guard that resolves the host
itself, refuses private, loopback, link-local, shared (CGNAT), multicast and unspecified
addresses, and then connects to the very address it checked (so a second DNS answer cannot
swap in an internal one).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Final
from urllib.parse import urlsplit

import httpx

from registrum.core.addresses import IPAddress, refused_because
from registrum.core.identity import KeyRecord, parse_key_record
from registrum.identity.domain_proof import (
    RECORD_EXAMPLE,
    Clock,
    DomainLogin,
    ProofError,
    describe_malformed,
    utc_now,
)

DEFAULT_URL_TEMPLATE: Final = "https://{domain}/.well-known/mcp-registry-auth"
TIMEOUT: Final = 10.0
MAX_BODY: Final = 4096
USER_AGENT: Final = "mcp-registry/1.0"

__all__ = ["DEFAULT_URL_TEMPLATE", "HttpLogin", "build_client", "refused_because"]


def build_client(ca_bundle: str = "") -> httpx.Client:
    """The HTTP client for well-known files: TLS verified against the usual roots plus
    ``ca_bundle`` when given; no proxies from the environment (they would bypass the SSRF
    guard); no pooled connections (each fetch resolves and checks afresh)."""
    context = httpx.create_ssl_context(verify=True)
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"MCP_REGISTRY_HTTP_AUTH_CA_BUNDLE: cannot read CA bundle '{ca_bundle}' ({exc})"
            ) from None
    return httpx.Client(
        verify=context,
        trust_env=False,
        follow_redirects=False,
        timeout=TIMEOUT,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


class HttpLogin(DomainLogin):
    method = "http"
    label = "HTTP"
    subdomains = False

    def __init__(
        self,
        *,
        url_template: str = DEFAULT_URL_TEMPLATE,
        allow_private: bool = False,
        client: httpx.Client | None = None,
        ca_bundle: str = "",
        clock: Clock = utc_now,
    ) -> None:
        """``url_template`` names the well-known URL with ``{domain}`` in it;
        ``allow_private`` lets the fetch reach private addresses (for tests only)."""
        super().__init__(clock)
        if "{domain}" not in url_template:
            raise ValueError(
                "MCP_REGISTRY_HTTP_AUTH_URL_TEMPLATE must contain '{domain}', for example "
                f"{DEFAULT_URL_TEMPLATE}"
            )
        self._template = url_template
        self._allow_private = allow_private
        self._client = client if client is not None else build_client(ca_bundle)

    def url_for(self, domain: str) -> str:
        return self._template.replace("{domain}", domain)

    def _addresses(self, url: str, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, refused as a whole if any is not public."""
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise ProofError(
                    f"cannot resolve {host} to fetch {url} ({exc}): check the domain's DNS records",
                    "domain",
                    host,
                ) from None
            addresses = []
            for info in infos:
                ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
                if ip not in addresses:
                    addresses.append(ip)
        if not self._allow_private:
            for ip in addresses:
                why = refused_because(ip)
                if why is not None:
                    raise ProofError(
                        f"{url} resolves to {ip}, {why}: the registry only fetches key files "
                        "from public addresses",
                        "domain",
                        host,
                    )
        if not addresses:
            raise ProofError(f"{host} has no address: check the domain's DNS records", "domain")
        return addresses

    def _fetch(self, url: str) -> bytes:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = self._addresses(url, host, port)
        host_header = parts.netloc.rpartition("@")[2]
        deadline = time.monotonic() + TIMEOUT
        last_error: Exception | None = None
        for ip in addresses:
            # Connect to the address just checked; the name still goes in the Host header,
            # and in TLS (SNI and certificate check) through the sni_hostname extension.
            netloc = f"[{ip}]" if ip.version == 6 else str(ip)
            pinned = parts._replace(netloc=f"{netloc}:{port}").geturl()
            try:
                return self._get(url, pinned, host, host_header, deadline)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last_error = exc
        raise ProofError(
            f"could not connect to {url} ({last_error}): check that the server is reachable "
            "over HTTPS with a valid certificate",
            "domain",
            host,
        )

    def _get(self, url: str, pinned: str, host: str, host_header: str, deadline: float) -> bytes:
        request = self._client.build_request(
            "GET",
            pinned,
            headers={
                "Host": host_header,
                "User-Agent": USER_AGENT,
                "Accept": "text/plain",
                "Accept-Encoding": "identity",
            },
            extensions={"sni_hostname": host},
            timeout=max(0.1, min(TIMEOUT, deadline - time.monotonic())),
        )
        try:
            response = self._client.send(request, stream=True, follow_redirects=False)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise
        except httpx.HTTPError as exc:
            raise ProofError(
                f"fetching {url} failed ({exc}): check that the server answers over HTTPS",
                "domain",
                host,
            ) from None
        try:
            return self._read(url, host, response, deadline)
        finally:
            response.close()

    def _read(self, url: str, host: str, response: httpx.Response, deadline: float) -> bytes:
        status = response.status_code
        if response.is_redirect:
            target = response.headers.get("location", "?")
            raise ProofError(
                f"{url} answered {status}, a redirect to {target}: redirects are not "
                "followed; serve the key record at this exact URL",
                "domain",
                host,
            )
        if status != 200:
            raise ProofError(
                f"{url} answered {status}, not 200: serve the key record '{RECORD_EXAMPLE}' "
                "at this URL as text/plain",
                "domain",
                host,
            )
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise ProofError(
                f"{url} was served compressed ({encoding}): serve the key record uncompressed",
                "domain",
                host,
            )
        body = bytearray()
        try:
            for chunk in response.iter_raw():
                body += chunk
                if len(body) > MAX_BODY:
                    raise ProofError(
                        f"{url} is larger than {MAX_BODY} bytes: the file must hold only the "
                        f"key record '{RECORD_EXAMPLE}'",
                        "domain",
                        host,
                    )
                if time.monotonic() > deadline:
                    raise ProofError(
                        f"reading {url} took more than {TIMEOUT:g} seconds: try again later",
                        "domain",
                        host,
                    )
        except httpx.HTTPError as exc:
            raise ProofError(
                f"reading {url} failed ({exc}): try again later", "domain", host
            ) from None
        return bytes(body)

    def key_records(self, domain: str) -> list[KeyRecord]:
        url = self.url_for(domain)
        text = self._fetch(url).decode("utf-8", errors="replace").strip()
        if not text:
            raise ProofError(
                f"{url} is empty: serve the key record '{RECORD_EXAMPLE}' there",
                "domain",
                domain,
            )
        record = parse_key_record(text)
        if record is None:
            raise ProofError(
                f"the key file at {url} is malformed: {describe_malformed(text)}",
                "domain",
                domain,
            )
        return [record]
