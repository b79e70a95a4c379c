"""HTTP to package registries, bounded: per-host timeouts, a response size cap, and
failures turned into the registry's typed errors.

- 429 and 5xx answers, timeouts and unreachable hosts raise
  :class:`~registrum.core.errors.UpstreamUnavailableError` (the publisher may retry);
- an answer larger than the cap, or JSON that does not parse, raises
  :class:`~registrum.core.errors.BadUpstreamError`;
- every other status is returned for the verifier to read (404 means something to it).

One :class:`Fetcher` (one connection pool) is shared by every verifier; it is thread-safe.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
import orjson

from registrum import __version__
from registrum.client.guard import AddressRefusedError, GuardedTransport, OutboundPolicy
from registrum.core.errors import BadUpstreamError, PackageOwnershipError, UpstreamUnavailableError

USER_AGENT: Final = f"Registrum-Validator/{__version__}"
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_RESPONSE_BYTES: Final = 10 * 1024 * 1024
DEFAULT_MAX_DOWNLOAD_BYTES: Final = 256 * 1024 * 1024
MAX_REDIRECTS: Final = 5
DOWNLOAD_STRETCH: Final = 6.0
_CHUNK: Final = 64 * 1024


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _retry_after(value: str | None) -> int | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(int(value), 3600)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, min(int(when.timestamp() - time.time()), 3600))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    url: str
    headers: httpx.Headers
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self, what: str) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            raise BadUpstreamError(
                f"{what} answered {self.url} with something that is not JSON "
                f"({len(self.body)} bytes, Content-Type "
                f"{self.headers.get('content-type', 'unset')!r})"
            ) from None

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Download:
    status: int
    url: str
    sha256: str | None  # None unless the status was 2xx and the file within the cap
    size: int
    too_large: bool = False


class Fetcher:
    """Bounded GETs to package registries. ``transport`` lets tests talk to an in-process
    app; the tests of this project use real servers on 127.0.0.1 instead."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        host_timeouts: Mapping[str, float] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        user_agent: str = USER_AGENT,
        verify: bool | str = True,
        transport: httpx.BaseTransport | None = None,
        policy: OutboundPolicy | None = None,
    ) -> None:
        """``policy`` fences in where requests may go (every hop, redirects included);
        ``None`` lets them go anywhere (the publisher's own ``validate --online``)."""
        self.timeout = timeout
        self.host_timeouts = {k.lower(): v for k, v in (host_timeouts or {}).items()}
        self.max_response_bytes = max_response_bytes
        self.max_download_bytes = max_download_bytes
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        if policy is not None:
            transport = GuardedTransport(
                policy,
                transport,
                factory=lambda: httpx.HTTPTransport(verify=verify, limits=limits),
            )
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            verify=verify,
            transport=transport,
            # Proxies from the environment would reach hosts the guard never judged.
            trust_env=policy is None,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            limits=limits,
        )

    def close(self) -> None:
        self._client.close()

    def timeout_for(self, url: str) -> float:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
        if port is not None and f"{host}:{port}" in self.host_timeouts:
            return self.host_timeouts[f"{host}:{port}"]
        return self.host_timeouts.get(host, self.timeout)

    def get(
        self,
        url: str,
        *,
        what: str,
        accept: str | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Answer:
        """GET ``url``; ``what`` names the package registry in messages ("the npm registry at
        ...")."""
        cap = max_bytes or self.max_response_bytes
        sent = dict(headers or {})
        if accept:
            sent["Accept"] = accept
        with self._exchange(url, what, sent) as (response, deadline):
            body = b"".join(self._read(response, url, what, cap, deadline, "answer"))
            return Answer(response.status_code, str(response.url), response.headers, body)

    def download_sha256(self, url: str, *, what: str) -> Download:
        """Stream ``url`` through SHA-256, up to the download cap; nothing is kept. A file
        over the cap is the publisher's to fix, so it is reported, not raised."""
        cap = self.max_download_bytes
        # A file may be far larger than an API answer: it gets several request-times.
        with self._exchange(url, what, {}, stretch=DOWNLOAD_STRETCH) as (response, deadline):
            final = str(response.url)
            if not 200 <= response.status_code < 300:
                return Download(response.status_code, final, None, 0)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                return Download(response.status_code, final, None, int(declared), True)
            digest = hashlib.sha256()
            size = 0
            try:
                for chunk in self._read(response, url, what, cap, deadline, "file"):
                    digest.update(chunk)
                    size += len(chunk)
            except BadUpstreamError:
                return Download(response.status_code, final, None, size, True)
            return Download(response.status_code, final, digest.hexdigest(), size)

    @contextmanager
    def _exchange(
        self, url: str, what: str, headers: dict[str, str], *, stretch: float = 1.0
    ) -> Iterator[tuple[httpx.Response, float]]:
        """Send the request; a 429/5xx, a timeout or an unreachable host raises. The answer
        must be complete by the deadline (``stretch`` request-times), so a trickling
        package registry cannot hold a worker thread for long."""
        seconds = self.timeout_for(url)
        deadline = time.monotonic() + seconds * stretch
        try:
            request = self._client.build_request("GET", url, headers=headers, timeout=seconds)
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise UpstreamUnavailableError(
                f"{what} did not answer within {seconds:g} s ({url}); "
                "this is likely transient: retry later"
            ) from None
        except httpx.TooManyRedirects:
            raise BadUpstreamError(
                f"{what} redirected more than {MAX_REDIRECTS} times for {url}"
            ) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise BadUpstreamError(f"cannot request {url!r}: {exc}") from None
        except AddressRefusedError as exc:
            # A publisher's document (or a registry it names) chose the target: a refusal
            # the publisher must fix, not an outage to retry.
            raise PackageOwnershipError(
                f"{what}: {exc}; this registry fetches package data only from public "
                "addresses or from the package registries its operator configures"
            ) from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailableError(
                f"{what} could not be reached ({url}: {exc.__class__.__name__}"
                f"{': ' + str(exc) if str(exc) else ''}); retry later"
            ) from None
        try:
            status = response.status_code
            if status == 429 or status >= 500:
                raise UpstreamUnavailableError(
                    f"{what} answered {_phrase(status)} for {url}; "
                    "this is likely transient: retry later",
                    retry_after=_retry_after(response.headers.get("retry-after")),
                )
            yield response, deadline
        finally:
            response.close()

    def _read(
        self,
        response: httpx.Response,
        url: str,
        what: str,
        cap: int,
        deadline: float,
        noun: str,
    ) -> Iterator[bytes]:
        setting = "MCP_REGISTRY_VERIFY_MAX_RESPONSE_BYTES"

        def too_big() -> BadUpstreamError:
            return BadUpstreamError(
                f"{what} sent a {noun} larger than {cap:,} bytes for {url}; this registry "
                f"reads at most {cap:,} bytes ({setting})"
            )

        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise too_big()
        total = 0
        try:
            for chunk in response.iter_bytes(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise too_big()
                if time.monotonic() > deadline:
                    raise UpstreamUnavailableError(
                        f"{what} did not finish sending {url} within its time limit; "
                        "this is likely transient: retry later"
                    )
                yield chunk
        except httpx.TimeoutException:
            raise UpstreamUnavailableError(
                f"{what} stopped sending {url} before it was complete (timeout); retry later"
            ) from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailableError(
                f"{what} broke off while sending {url} ({exc.__class__.__name__}); retry later"
            ) from None
