"""An opt-in local cache of GET answers that revalidates with the registry's ETags.

::

    from registrum.client import DirectoryCache, RegistryClient

    with RegistryClient(url, cache=DirectoryCache("~/.cache/registrum/http")) as registry:
        registry.changes(since=1042)   # 200: the body and its ETag are kept
        registry.changes(since=1042)   # sent with If-None-Match; a 304 is answered from the cache

Only GETs sent without a token take part; a POST or PATCH, a request carrying
``Authorization``, an answer without an ``ETag`` or with ``Cache-Control: no-store`` goes
past the cache untouched. Nothing is ever served without asking the registry: every cached
answer is revalidated, so a registry that sends ``304`` decides. A client without ``cache``
sends exactly what it sent before.

:class:`MemoryCache` lives as long as the client; :class:`DirectoryCache` keeps one file per
URL under a folder, written to a temporary file and renamed into place, so processes sharing
the folder never read half a file. A cache that cannot be read or written is a miss, never
an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

import httpx

# Response headers kept with a body, to rebuild the answer a 304 stands for.
_KEPT_HEADERS: Final = ("content-type", "cache-control")
_MAGIC: Final = b"registrum-http-cache 1\n"
REVALIDATED: Final = "registrum.revalidated"
"""Set in ``response.extensions`` of an answer rebuilt from the cache after a 304."""


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """One kept answer: the URL it answers, its ETag, the headers worth keeping, the body."""

    url: str
    etag: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class ResponseCache(Protocol):
    """Where the client keeps answers; ``key`` is the request's full URL."""

    def get(self, key: str) -> CachedResponse | None: ...

    def put(self, key: str, entry: CachedResponse) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryCache:
    """Answers kept in memory, the least recently used dropped beyond ``max_entries``."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CachedResponse) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


class DirectoryCache:
    """Answers kept as files under ``folder`` (created on first write, mode 0700), one per
    URL, named by the URL's SHA-256. Safe to share between processes: a file is written
    whole to a temporary name and renamed into place. Beyond ``max_entries`` files, the
    least recently written are removed."""

    def __init__(self, folder: str | os.PathLike[str], *, max_entries: int = 1000) -> None:
        self.folder = Path(folder).expanduser()
        self.max_entries = max_entries

    def path(self, key: str) -> Path:
        return self.folder / (hashlib.sha256(key.encode()).hexdigest() + ".http")

    def get(self, key: str) -> CachedResponse | None:
        try:
            data = self.path(key).read_bytes()
        except OSError:
            return None
        if not data.startswith(_MAGIC):
            return None
        head, sep, body = data[len(_MAGIC) :].partition(b"\n")
        if not sep:
            return None
        try:
            meta = json.loads(head)
        except ValueError:
            return None
        if not isinstance(meta, dict) or meta.get("url") != key:
            return None  # another URL with the same hash, or a damaged file
        etag, headers = meta.get("etag"), meta.get("headers")
        if not isinstance(etag, str) or not isinstance(headers, dict):
            return None
        kept = {str(k): str(v) for k, v in headers.items()}
        return CachedResponse(key, etag, body, kept)

    def put(self, key: str, entry: CachedResponse) -> None:
        head = json.dumps(
            {"url": key, "etag": entry.etag, "headers": entry.headers}, ensure_ascii=True
        ).encode()
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(_MAGIC + head + b"\n" + entry.body)
                os.replace(tmp, self.path(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._prune()
        except OSError:
            return  # a cache that cannot be written is only slower

    def _prune(self) -> None:
        """Keep at most ``max_entries`` files: a follower asks for a new URL (``since``) with
        every page, so the folder would otherwise only grow."""
        with os.scandir(self.folder) as entries:
            files = [e for e in entries if e.name.endswith(".http") and e.is_file()]
        if len(files) <= self.max_entries:
            return
        files.sort(key=lambda e: e.stat().st_mtime_ns)
        for entry in files[: len(files) - self.max_entries]:
            Path(entry.path).unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError:
            return

    def clear(self) -> None:
        """Remove every kept answer (the folder stays)."""
        try:
            files = list(self.folder.glob("*.http"))
        except OSError:
            return
        for file in files:
            try:
                file.unlink(missing_ok=True)
            except OSError:
                continue


# --- what the clients do around sending ------------------------------------------------------


def cache_key(request: httpx.Request) -> str | None:
    """The key of a request the cache may answer, or None when it must go past the cache."""
    if request.method != "GET" or "authorization" in request.headers:
        return None
    return str(request.url)


def prepare(cache: ResponseCache | None, request: httpx.Request) -> CachedResponse | None:
    """Look the request up; when an answer is kept, ask the registry whether it still holds
    (``If-None-Match``). Returns the kept answer, or None."""
    if cache is None:
        return None
    key = cache_key(request)
    if key is None:
        return None
    entry = cache.get(key)
    if entry is not None:
        request.headers["If-None-Match"] = entry.etag
    return entry


def _no_store(response: httpx.Response) -> bool:
    # ``private`` forbids shared caches only; this one belongs to one user.
    directives = response.headers.get("cache-control", "").lower()
    return any(d.strip() == "no-store" for d in directives.split(","))


def settle(
    cache: ResponseCache | None,
    request: httpx.Request,
    entry: CachedResponse | None,
    response: httpx.Response,
) -> httpx.Response:
    """The answer to hand on: on 304 the kept one (as a 200, with the registry's fresh
    headers on top); a new 200 with an ETag is kept for next time. ``response`` must have
    been read."""
    if cache is None:
        return response
    key = cache_key(request)
    if key is None:
        return response
    if response.status_code == 304 and entry is not None:
        headers = dict(entry.headers)
        headers.update({k: v for k, v in response.headers.items() if k.lower() != "content-length"})
        headers.setdefault("etag", entry.etag)
        return httpx.Response(
            200,
            headers=headers,
            content=entry.body,
            request=response.request,
            extensions={**response.extensions, REVALIDATED: True},
        )
    etag = response.headers.get("etag")
    if response.status_code == 200 and etag and not _no_store(response):
        kept = {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers}
        cache.put(key, CachedResponse(key, etag, response.content, kept))
    elif response.status_code == 200 and entry is not None:
        cache.delete(key)  # the registry stopped sending a validator: forget the old one
    return response
