"""Upstream readers: each turns a registry (or a dump) into batches of entries with a
checkpoint after each batch, so a sync can stop anywhere and resume exactly there.

- ``registrum``: follows ``/x/io.registrum/changes`` from the last seq seen. Gap-free and in
  commit order, so nothing is missed and nothing is read twice.
- ``official``: any registry speaking the official API. First a full walk of
  ``/servers?include_deleted=true`` (the client library's pager, items kept as served), then
  ``updated_since`` polling from the walk's start. Timestamps can tie and commits can land
  out of timestamp order, so each poll starts an overlap window before the newest time seen;
  entries already staged with the same ``updatedAt`` are skipped, which makes the overlap
  free of duplicates.
- ``file``: a JSON array of ServerResponse items or server.json documents, from a path or a
  URL; read whole each time (skipped when unchanged), and keys no longer in it are removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final

import httpx
import orjson

from registrum import __version__
from registrum.client import RawServerPage, RegistryClient, RegistryError, ResponseError
from registrum.client import api_root as client_api_root
from registrum.client.guard import GuardedTransport, OutboundPolicy, ResponseTooLargeError
from registrum.core import wire
from registrum.core.addresses import IPNetwork
from registrum.core.errors import UpstreamSyncError
from registrum.core.ingest import Refusal, deviations_json, ingest_item
from registrum.core.ports import KnownKeys, UpstreamBatch, UpstreamReader
from registrum.core.records import UPSTREAM_KINDS, Upstream, UpstreamEntry
from registrum.upstream.child import read_in_child

KINDS: Final = UPSTREAM_KINDS
FEED_PAGE: Final = 1000
CHILD_BACKLOG: Final = 20 * FEED_PAGE
LIST_PAGE: Final = 100
# How far back each updated_since poll starts before the newest updatedAt seen.
OVERLAP: Final = timedelta(minutes=5)
_FEED: Final = "/x/io.registrum/changes"
# A page of the official list (100 entries) is well under 1 MB, and a change-feed page of
# 1000 entries a few MB; 32 MiB leaves room for large documents and still bounds memory.
# A dump file holds a whole registry: tens of MB today, so 256 MiB.
DEFAULT_MAX_PAGE_BYTES: Final = 32 * 1024 * 1024
DEFAULT_MAX_FILE_BYTES: Final = 256 * 1024 * 1024


@dataclass(frozen=True)
class MirrorLimits:
    """How much one answer of an upstream may be, and which networks the redirect check
    treats as public. The upstream's own URL is trusted as configured (mirroring an
    internal registry is the point); a redirect may not lead from a public address to a
    non-public one."""

    page_bytes: int = DEFAULT_MAX_PAGE_BYTES
    file_bytes: int = DEFAULT_MAX_FILE_BYTES
    public_networks: tuple[IPNetwork, ...] = ()

    def transport(self, cap: int, setting: str) -> GuardedTransport:
        return GuardedTransport(
            OutboundPolicy(
                trust_first_hop=True,
                public_networks=self.public_networks,
                max_bytes=cap,
                max_bytes_setting=setting,
            )
        )


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def api_root(url: str) -> str:
    """The upstream's API root (``/v0.1`` unless the URL names a version), as the client
    library finds it; a URL that is not http(s) is a sync error, not a crash."""
    try:
        return client_api_root(url)
    except ValueError as exc:
        raise UpstreamSyncError(str(exc)) from exc


def entry_of(item: Any, key: str | None = None, seq: int | None = None) -> UpstreamEntry | Refusal:
    """An entry from a ServerResponse (or a bare server.json), stored as it was served; a
    refusal (with why) only when it cannot be stored at all."""
    served = ingest_item(item)
    if isinstance(served, Refusal):
        return served
    taken = served.document
    published = served.published_at or datetime(1970, 1, 1)
    return UpstreamEntry(
        key=key or f"{taken.name}\n{taken.version}",
        name=taken.name,
        version=taken.version,
        body=taken.body,
        status=served.status,
        status_message=served.status_message,
        published_at=published,
        status_changed_at=served.status_changed_at or published,
        upstream_updated_at=served.updated_at,
        upstream_seq=seq,
        is_latest=served.is_latest,
        server_id=served.server_id,
        version_id=served.version_id,
        previous_names=served.previous_names,
        warnings=deviations_json(taken.deviations),
    )


def _refusal(where: str, refusal: Refusal) -> str:
    name = f" {refusal.name!r}" if refusal.name else ""
    return f"{where}{name}: {refusal.reason}"


def entries_of(items: list[Any], where: str) -> tuple[list[UpstreamEntry], list[str]]:
    """The entries of a page of items, and a line for each item that cannot be stored."""
    entries: list[UpstreamEntry] = []
    refused: list[str] = []
    for i, item in enumerate(items):
        entry = entry_of(item)
        if isinstance(entry, Refusal):
            refused.append(_refusal(f"{where} item {i}", entry))
        else:
            entries.append(entry)
    return entries, refused


class _Http:
    whole_files = False  # what this reader reads: pages of a list, or a whole dump

    def __init__(
        self,
        upstream: Upstream,
        client: httpx.Client | None,
        limits: MirrorLimits | None = None,
    ) -> None:
        self.upstream = upstream
        self.limits = limits or MirrorLimits()
        self._own = client is None
        if self.whole_files:
            cap, setting = self.limits.file_bytes, "MCP_REGISTRY_MIRROR_MAX_FILE_BYTES"
        else:
            cap, setting = self.limits.page_bytes, "MCP_REGISTRY_MIRROR_MAX_PAGE_BYTES"
        self.http = client or httpx.Client(
            timeout=30.0,
            follow_redirects=True,
            headers={"User-Agent": f"registrum-mirror/{__version__}"},
            transport=self.limits.transport(cap, setting),
        )

    def error(self, exc: httpx.HTTPError, url: str) -> UpstreamSyncError:
        where = f"upstream {self.upstream.name!r} ({url})"
        if isinstance(exc, ResponseTooLargeError):
            return UpstreamSyncError(f"upstream {self.upstream.name!r}: {exc}")
        return UpstreamSyncError(f"{where}: cannot connect ({exc})")

    def get_bytes(self, url: str, params: Mapping[str, Any] | None = None) -> bytes:
        where = f"upstream {self.upstream.name!r} ({url})"
        try:
            response = self.http.get(url, params=params)
        except httpx.HTTPError as exc:
            raise self.error(exc, url) from exc
        if response.status_code != 200:
            raise UpstreamSyncError(f"{where}: answered HTTP {response.status_code}")
        return response.content

    def decode(self, url: str, content: bytes) -> Any:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            where = f"upstream {self.upstream.name!r} ({url})"
            raise UpstreamSyncError(f"{where}: the answer is not JSON ({exc})") from exc

    def close(self) -> None:
        if self._own:
            self.http.close()


class FeedReader(_Http):
    """A Registrum upstream: its change feed."""

    # Past this many entries behind the upstream, the rest of the feed is read in a child
    # process (upstream/child.py): decoding it would otherwise compete with storing it.
    child_backlog: int | None = CHILD_BACKLOG

    def read(self, checkpoint: Mapping[str, Any], known: KnownKeys) -> Iterator[UpstreamBatch]:
        since = int(checkpoint.get("seq", 0))
        url = api_root(self.upstream.url) + _FEED
        with ThreadPoolExecutor(1, thread_name_prefix="registrum-feed") as pool:
            pages = self._pages(url, since, pool)
            first = next(pages, None)
            if first is None:
                return
            yield first
            behind = (first.total or 0) - first.done
            if self.child_backlog is None or not self._own or behind <= self.child_backlog:
                yield from pages
                return
            pages.close()
        yield from read_in_child(partial(_feed_in_child, self.upstream, first.done, self.limits))

    def _pages(
        self, url: str, since: int, pool: ThreadPoolExecutor
    ) -> Generator[UpstreamBatch, None, None]:
        def fetch(start: int) -> bytes:
            return self.get_bytes(url, {"since": start, "limit": FEED_PAGE})

        # The log is gap-free, so after a full page the next one most likely ends FEED_PAGE
        # entries on too: while a long feed is read, the page after it is asked for while
        # this one is decoded (the upstream renders it meanwhile). A guess the page proves
        # wrong is dropped.
        ahead: tuple[int, Future[bytes]] | None = None
        streaming = False  # the last page was full
        while True:
            content = ahead[1].result() if ahead is not None and ahead[0] == since else fetch(since)
            ahead = None
            if streaming:
                ahead = (since + FEED_PAGE, pool.submit(fetch, since + FEED_PAGE))
            page = self.decode(url, content)
            changes = page.get(wire.CHANGES) if isinstance(page, dict) else None
            metadata = page.get(wire.METADATA) if isinstance(page, dict) else None
            if not isinstance(changes, list) or not isinstance(metadata, dict):
                raise UpstreamSyncError(f"upstream {self.upstream.name!r}: not a change feed")
            if not changes:
                return
            latest: dict[str, UpstreamEntry] = {}  # by key: the last state in this page wins
            refused: list[str] = []
            for change in changes:
                if not isinstance(change, dict) or change.get(wire.SERVER) is None:
                    continue  # a server-level entry (a transfer offer): nothing to stage
                key = change.get(wire.VERSION_ID)
                seq = change.get(wire.SEQ) if isinstance(change.get(wire.SEQ), int) else None
                entry = entry_of(change[wire.SERVER], key if isinstance(key, str) else None, seq)
                if isinstance(entry, Refusal):
                    refused.append(_refusal(f"change {seq}", entry))
                else:
                    latest[entry.key] = entry
            following = int(metadata.get(wire.NEXT_SINCE, since))
            streaming = len(changes) == FEED_PAGE and following == since + FEED_PAGE
            since = following
            head = metadata.get(wire.HEAD)
            yield UpstreamBatch(
                list(latest.values()),
                [],
                {"seq": since},
                since,
                head if isinstance(head, int) else None,
                refused,
            )


def _nothing_staged(updated_since: datetime | None = None) -> dict[str, datetime | None]:
    return {}  # a feed reader never asks: the feed itself says what changed


def _feed_in_child(upstream: Upstream, since: int, limits: MirrorLimits) -> Iterator[UpstreamBatch]:
    reader = FeedReader(upstream, None, limits)
    reader.child_backlog = None  # this is the child
    try:
        yield from reader.read({"seq": since}, _nothing_staged)
    finally:
        reader.close()


class OfficialReader(_Http):
    """Any registry speaking the official API: a full walk, then updated_since polls."""

    def read(self, checkpoint: Mapping[str, Any], known: KnownKeys) -> Iterator[UpstreamBatch]:
        url = api_root(self.upstream.url) + "/servers"
        if checkpoint.get("phase") != "poll":
            yield from self._walk(url, checkpoint)
            return
        yield from self._poll(url, checkpoint, known)

    def _pages(
        self,
        cursor: str | None,
        *,
        include_deleted: bool | None = None,
        updated_since: str | None = None,
    ) -> Iterator[RawServerPage]:
        """The pages of the upstream's list from ``cursor``, through the client library's
        pager (which also stops a cursor that comes back); its errors as sync errors."""
        client = RegistryClient(self.upstream.url, http=self.http)
        pages = client.iter_server_pages(
            cursor=cursor,
            include_deleted=include_deleted,
            updated_since=updated_since,
            page_size=LIST_PAGE,
        )
        while True:
            try:
                page = next(pages)
            except StopIteration:
                return
            except RegistryError as exc:
                raise self._sync_error(exc) from exc
            yield page

    def _sync_error(self, exc: RegistryError) -> UpstreamSyncError:
        where = f"upstream {self.upstream.name!r}" + (f" ({exc.url})" if exc.url else "")
        status = exc.status if isinstance(exc, ResponseError) else None
        if status is not None and not 200 <= status < 300:
            return UpstreamSyncError(f"{where}: answered HTTP {status}")
        return UpstreamSyncError(f"{where}: {exc}")

    def _walk(self, url: str, checkpoint: Mapping[str, Any]) -> Iterator[UpstreamBatch]:
        # Polling starts an overlap before the newest updatedAt the walk saw, on the
        # upstream's own clock (ours may differ from it); an entry changed while the walk
        # was past it has a later updatedAt than that.
        newest = wire.parse_time(checkpoint.get("newest"))
        cursor = checkpoint.get("cursor")
        asked = cursor if isinstance(cursor, str) and cursor else None
        done = int(checkpoint.get("done", 0))
        for page in self._pages(asked, include_deleted=True):
            entries, refused = entries_of(page.items, f"page {url}?cursor={asked or ''}")
            stamps = [e.upstream_updated_at for e in entries if e.upstream_updated_at]
            if stamps:
                newest = max([*stamps, newest]) if newest is not None else max(stamps)
            done += len(page.items)
            asked = page.next_cursor
            if asked is None:
                start = newest - OVERLAP if newest is not None else datetime(1970, 1, 1)
                checkpoint = {"phase": "poll", "since": _iso(start)}
                yield UpstreamBatch(entries, [], checkpoint, done, refused=refused)
                return
            state: dict[str, Any] = {"phase": "walk", "cursor": asked, "done": done}
            if newest is not None:
                state["newest"] = _iso(newest)
            yield UpstreamBatch(entries, [], state, done, refused=refused)

    def _poll(
        self, url: str, checkpoint: Mapping[str, Any], known: KnownKeys
    ) -> Iterator[UpstreamBatch]:
        since = wire.parse_time(checkpoint.get("since")) or datetime(1970, 1, 1)
        newest = since
        # Only entries updated in the overlap window can be repeats of what is staged.
        staged = known(since)
        done = 0
        for page in self._pages(None, updated_since=_iso(since)):
            fresh: list[UpstreamEntry] = []
            entries, refused = entries_of(page.items, f"poll since {_iso(since)}")
            for entry in entries:
                if entry.upstream_updated_at is not None:
                    newest = max(newest, entry.upstream_updated_at)
                    if staged.get(entry.key) == entry.upstream_updated_at:
                        continue  # seen in an earlier poll's overlap
                fresh.append(entry)
            done += len(page.items)
            if page.next_cursor is None:
                resume = max(since, newest - OVERLAP)
                checkpoint = {"phase": "poll", "since": _iso(resume)}
                yield UpstreamBatch(fresh, [], checkpoint, done, refused=refused)
                return
            # Mid-poll the checkpoint stays where this poll began: a resumed sync reads the
            # pages again, and the staged updatedAt skips what it already has.
            yield UpstreamBatch(fresh, [], dict(checkpoint), done, refused=refused)


class FileReader(_Http):
    """A dump: a JSON array of ServerResponse items or server.json documents."""

    whole_files = True

    def _content(self) -> bytes:
        source = self.upstream.url
        if source.startswith(("http://", "https://")):
            try:
                response = self.http.get(source)
            except ResponseTooLargeError as exc:
                raise self.error(exc, source) from exc
            except httpx.HTTPError as exc:
                raise UpstreamSyncError(f"upstream {self.upstream.name!r}: {exc}") from exc
            if response.status_code != 200:
                raise UpstreamSyncError(
                    f"upstream {self.upstream.name!r}: {source} answered {response.status_code}"
                )
            return response.content
        path = Path(source.removeprefix("file://"))
        cap = self.limits.file_bytes
        try:
            if path.stat().st_size > cap:
                raise UpstreamSyncError(
                    f"upstream {self.upstream.name!r}: {path} is larger than {cap:,} bytes, "
                    "the most this registry reads (MCP_REGISTRY_MIRROR_MAX_FILE_BYTES)"
                )
            return path.read_bytes()
        except OSError as exc:
            raise UpstreamSyncError(f"upstream {self.upstream.name!r}: {exc}") from exc

    def read(self, checkpoint: Mapping[str, Any], known: KnownKeys) -> Iterator[UpstreamBatch]:
        content = self._content()
        digest = hashlib.sha256(content).hexdigest()
        if checkpoint.get("sha256") == digest:
            return
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise UpstreamSyncError(
                f"upstream {self.upstream.name!r}: not valid JSON ({exc})"
            ) from exc
        items = data.get(wire.SERVERS) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise UpstreamSyncError(
                f"upstream {self.upstream.name!r}: expected a JSON array of server entries"
            )
        read, refused = entries_of(items, "the file's")
        entries = {e.key: e for e in read}
        removed = sorted(set(known()) - set(entries))
        yield UpstreamBatch(
            list(entries.values()),
            removed,
            {"sha256": digest},
            len(items),
            len(items),
            refused,
        )


def detect_kind(
    url: str, client: httpx.Client | None = None, limits: MirrorLimits | None = None
) -> str:
    """``registrum`` when the URL serves a change feed, ``official`` when it serves the
    official list, ``file`` for a path or a URL of a dump."""
    if not url.startswith(("http://", "https://")):
        return "file"
    probe = _Http(Upstream("probe", url, "official", 0, 0), client, limits)
    try:
        try:
            response = probe.http.get(api_root(url) + _FEED, params={"limit": 1})
            if response.status_code == 200 and wire.CHANGES in response.json():
                return "registrum"
            response = probe.http.get(api_root(url) + "/servers", params={"limit": 1})
            if response.status_code == 200 and wire.SERVERS in response.json():
                return "official"
        except (httpx.HTTPError, ValueError) as exc:
            raise UpstreamSyncError(f"{url}: cannot reach it to see what it is ({exc})") from exc
        return "file"
    finally:
        probe.close()


def reader_for(
    upstream: Upstream, client: httpx.Client | None = None, limits: MirrorLimits | None = None
) -> UpstreamReader:
    readers: dict[str, type[FeedReader | OfficialReader | FileReader]] = {
        "registrum": FeedReader,
        "official": OfficialReader,
        "file": FileReader,
    }
    return readers[upstream.kind](upstream, client, limits)
