"""A response cache for the read API, keyed on the request and the database's change token.

Reads vastly outnumber writes (clients poll the list; VS Code asks for the same first page
again and again), and every answer is a pure function of the request and the stored data.
So a GET of a read path is answered from memory when the same request was answered since
the last committed write — at about the cost of a fixed-bytes route, before routing,
validation or the database are touched.

Invalidation asks the store for its *change token* on every request: a number that changes
whenever any process commits a write (``PRAGMA data_version`` on SQLite, the change log's
head on PostgreSQL). The token is read before the request is handled and the entry is kept
under it, so an answer can only be served while nothing has been written since it was
computed.

Every read answer also carries a strong ``ETag`` made of the change log's head (read before
the answer is computed, so it never claims newer data than it holds) and the request; a
matching ``If-None-Match`` gets ``304 Not Modified`` with no body.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registrum import metrics

# The read paths: list, versions, one version (both prefixes), and the extensions' reads:
# the change feed, the look-ups by id, transfer offers, a version's install configurations
# and ranked search; and the web pages (web/), which are as much a function of the data.
_READ_PATH: Final = re.compile(
    rb"^(?:/v0(?:\.1)?/(?:servers(?:/[^/]+/versions(?:/[^/]+)?)?"
    rb"|x/io\.registrum/(?:changes|search|servers/[^/]+(?:/versions(?:/[^/]+/install)?)?"
    rb"|transfers/[^/]+))"
    rb"|/|/servers/.+|/namespaces/[^/]+|/changes)$"
)
_CACHEABLE_STATUS: Final = frozenset({200, 404})  # 404: polling for a server not yet there
_DROPPED: Final = frozenset({b"content-length", b"etag", b"date", b"server", b"cache-control"})


@dataclass(frozen=True, slots=True)
class _Entry:
    token: int
    etag: bytes
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def validated(self) -> bool:
        """Only a 200 carries an ETag and can be revalidated (RFC 9110 §15.4.5)."""
        return self.status == 200


def _footprint(key: bytes, entry: _Entry) -> int:
    """Bytes an entry holds, roughly: its body and key, and a flat allowance for the rest."""
    return len(entry.body) + len(key) + 256


def _etag(head: int, key: bytes, salt: bytes = b"") -> bytes:
    digest = hashlib.blake2b(salt + key, digest_size=8).hexdigest()
    return f'"{head}-{digest}"'.encode()


@functools.cache
def software_fingerprint() -> bytes:
    """A digest of the installed code, templates and static files. Mixed into every ETag,
    so that after an upgrade with no write in between a client does not keep a page that
    names stylesheets that are gone, or an install configuration from an older mapping."""
    import registrum

    root = Path(registrum.__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".html", ".css", ".js", ".svg") and path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest().encode()


def _matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    candidates = [c.strip() for c in if_none_match.split(b",")]
    return b"*" in candidates or etag in candidates or b"W/" + etag in candidates


class ReadCacheMiddleware:
    """ASGI middleware caching read answers on the server (the client library's cache is
    ``registrum.client.ResponseCache``). ``token`` and ``head`` are the store's (cheap,
    awaited on the event loop without blocking it); ``max_bytes`` bounds the memory held (0
    turns caching off, ETags stay)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: Callable[[], Awaitable[int]],
        head: Callable[[], Awaitable[int]],
        max_bytes: int = 64 * 1024 * 1024,
        max_entry_bytes: int = 2 * 1024 * 1024,
        max_age: int = 0,
        salt: bytes = b"",
    ) -> None:
        self.app = app
        self._salt = salt
        # A shared cache (a CDN) may keep answers; with max-age 0 it asks again every time,
        # which a matching ETag answers with a 304.
        self._cache_control = (
            b"public, no-cache"
            if max_age == 0
            else f"public, max-age={max_age}, stale-while-revalidate={max_age}".encode()
        )
        self._token = token
        self._head = head
        self._max_bytes = max_bytes
        self._max_entry = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._size = 0
        self._seen = -1
        self._lock = threading.Lock()

    def _lookup(self, key: bytes, token: int) -> _Entry | None:
        with self._lock:
            if token != self._seen:
                self._entries.clear()
                self._size = 0
                self._seen = token
                return None
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _store(self, key: bytes, entry: _Entry) -> None:
        size = _footprint(key, entry)
        if size > self._max_entry:
            return
        with self._lock:
            if entry.token != self._seen:
                return  # written meanwhile: the answer may already be stale
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= _footprint(key, old)
            self._entries[key] = entry
            self._size += size
            while self._size > self._max_bytes and self._entries:
                self._size -= _footprint(*self._entries.popitem(last=False))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path: bytes = scope.get("raw_path") or scope["path"].encode()
        path = path.split(b"?", 1)[0]
        if not _READ_PATH.match(path):
            await self.app(scope, receive, send)
            return
        key = path + b"?" + scope.get("query_string", b"")
        if_none_match = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
        # With no memory for answers there is nothing to validate: skip the token.
        token = await self._token() if self._max_bytes else 0
        entry = self._lookup(key, token) if self._max_bytes else None
        if self._max_bytes:
            metrics.read_cache("miss" if entry is None else "hit")
        if entry is not None:
            await self._answer(send, entry, if_none_match)
            return
        # The ETag's head is read before the answer is computed: it may understate what the
        # answer holds, never overstate it.
        head = await self._head()  # one indexed row: no thread hop
        etag = _etag(head, key, self._salt)
        if _matches(if_none_match, etag):
            await self._not_modified(send, etag)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                if start is None:
                    return
                status = start["status"]
                headers = [(k, v) for k, v in start.get("headers", []) if k not in _DROPPED]
                body = b"".join(chunks)
                cached = _Entry(token, etag, status, headers, body)
                if status in _CACHEABLE_STATUS:
                    self._store(key, cached)
                await self._answer(send, cached, None)
                return
            await send(message)

        await self.app(scope, receive, capture)

    async def _answer(self, send: Send, entry: _Entry, if_none_match: bytes | None) -> None:
        if entry.validated and _matches(if_none_match, entry.etag):
            await self._not_modified(send, entry.etag)
            return
        headers = [*entry.headers, (b"content-length", str(len(entry.body)).encode())]
        if entry.validated:
            headers.append((b"etag", entry.etag))
            headers.append((b"cache-control", self._cache_control))
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})

    async def _not_modified(self, send: Send, etag: bytes) -> None:
        headers = [(b"etag", etag), (b"cache-control", self._cache_control)]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
