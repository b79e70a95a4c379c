"""An in-memory store: every storage port (core/ports) in plain Python, for unit tests of
the services that need no database.

It keeps the contract the SQL store keeps, and what the services rely on: a write is all or
nothing (the state is copied at the start and put back when the block raises), one version
is the latest of its server, the change log is gap-free and each entry's version takes its
seq, a latest flag that moved without an entry of its own gets a ``latest-moved`` entry at
commit, remote URLs are unique among live servers, a rename moves every version. Storage
tests keep the SQL store to the same rules on both databases.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from registrum.core.records import (
    Change,
    ChangeEntry,
    ChangeKind,
    ListQuery,
    NewVersion,
    StagedEntry,
    TransferOffer,
    Upstream,
    UpstreamEntry,
    VersionUpdate,
)
from registrum.core.search import SearchPage, SearchQuery
from registrum.core.status import Status
from registrum.core.urls import remote_url_key
from registrum.core.wire import VersionView
from registrum.services.search import facts_of_body, search_rows


@dataclass
class _Version:
    view: VersionView
    description: str
    remote_urls: tuple[str, ...]
    local_updated_at: datetime  # what updated_since filters on; view.updated_at is served


@dataclass
class _State:
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> name, upstream
    versions: dict[str, _Version] = field(default_factory=dict)  # version id -> row
    changes: list[Change] = field(default_factory=list)  # seq i+1 at index i
    retired: dict[str, tuple[str, datetime, datetime]] = field(default_factory=dict)
    offers: dict[str, TransferOffer] = field(default_factory=dict)
    upstreams: dict[str, Upstream] = field(default_factory=dict)
    staged: dict[tuple[str, str], tuple[UpstreamEntry, datetime]] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)

    def server_named(self, name: str) -> str | None:
        return next((sid for sid, s in self.servers.items() if s["name"] == name), None)

    def of_server(self, server_id: str) -> list[VersionView]:
        views = [v.view for v in self.versions.values() if v.view.server_id == server_id]
        return sorted(views, key=lambda v: (v.published_at, v.version), reverse=True)


class _Servers:
    def __init__(self, state: _State) -> None:
        self._s = state

    def find_id(self, name: str) -> str | None:
        return self._s.server_named(name)

    def create(self, server_id: str, name: str, at: datetime) -> None:
        self.create_many([(server_id, name, at, None)])

    def create_many(self, rows: Sequence[tuple[str, str, datetime, str | None]]) -> None:
        for server_id, name, _at, upstream in rows:
            if server_id in self._s.servers or self._s.server_named(name) is not None:
                raise ValueError(f"unique constraint: server {server_id} / {name}")
            self._s.servers[server_id] = {"name": name, "upstream": upstream}

    def id_in_use(self, server_id: str) -> bool:
        return server_id in self._s.servers

    def ids_in_use(self, ids: Sequence[str]) -> set[str]:
        return {i for i in ids if i in self._s.servers}

    def by_ids(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        servers = self._s.servers
        return {i: (servers[i]["name"], servers[i]["upstream"]) for i in ids if i in servers}

    def upstream_of(self, name: str) -> tuple[str, str | None] | None:
        sid = self._s.server_named(name)
        return None if sid is None else (sid, self._s.servers[sid]["upstream"])

    def upstreams_of(self, names: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        found = {n: self.upstream_of(n) for n in names}
        return {n: o for n, o in found.items() if o is not None}

    def set_upstream(self, server_id: str, upstream: str | None) -> None:
        self._s.servers[server_id]["upstream"] = upstream


class _Log:
    def __init__(self, state: _State, moved: dict[str, VersionView], logged: set[str]) -> None:
        self._s = state
        self._moved = moved
        self._logged = logged

    def append(self, change: Change) -> int:
        self._s.changes.append(change)
        seq = len(self._s.changes)
        if change.version_id is not None:
            row = self._s.versions[change.version_id]
            row.view = dataclasses.replace(row.view, seq=seq)
            self._logged.add(change.version_id)
        return seq

    def finish(self) -> None:
        if not self._s.changes:
            return
        last = self._s.changes[-1]
        for vid, view in list(self._moved.items()):
            if vid not in self._logged:
                kind = ChangeKind.LATEST_MOVED
                self.append(
                    Change(kind, last.at, view.server_id, vid, view.name, view.version, last.actor)
                )


class _Versions:
    def __init__(self, state: _State, log: _Log, moved: dict[str, VersionView]) -> None:
        self._s = state
        self._log = log
        self._moved = moved

    def count(self, server_id: str) -> int:
        return len(self._s.of_server(server_id))

    def find(self, server_id: str, version: str) -> VersionView | None:
        return next((v for v in self._s.of_server(server_id) if v.version == version), None)

    def latest(self, server_id: str) -> VersionView | None:
        return next((v for v in self._s.of_server(server_id) if v.is_latest), None)

    def of_server(self, server_id: str) -> list[VersionView]:
        return self._s.of_server(server_id)

    def insert(self, new: NewVersion) -> None:
        if new.server_id not in self._s.servers:
            raise ValueError(f"foreign key: no server {new.server_id}")
        if new.version_id in self._s.versions or self.find(new.server_id, new.version):
            raise ValueError(f"unique constraint: version {new.version_id} / {new.version}")
        if new.is_latest and self.latest(new.server_id) is not None:
            raise ValueError("unique constraint: a second latest version")
        view = VersionView(
            server_id=new.server_id,
            version_id=new.version_id,
            name=new.name,
            version=new.version,
            body=new.body,
            status=new.status,
            status_message=new.status_message,
            status_changed_at=new.status_changed_at,
            published_at=new.published_at,
            updated_at=new.origin_updated_at or new.updated_at,
            is_latest=new.is_latest,
            previous_names_json=new.previous_names,
            source=new.source,
            warnings=new.warnings,
        )
        urls = tuple(dict.fromkeys(new.remote_urls))
        self._s.versions[new.version_id] = _Version(view, new.description, urls, new.updated_at)

    def insert_many(self, news: Sequence[NewVersion], changes: Sequence[Change]) -> None:
        for new in news:
            self.insert(new)
        for change in changes:
            self._log.append(change)

    def update(self, update: VersionUpdate) -> None:
        u = update
        row = self._s.versions[u.version_id]
        values: dict[str, Any] = {"updated_at": u.origin_updated_at or u.updated_at}
        if u.ingested:
            values.update(warnings=u.warnings, previous_names_json=u.previous_names)
        if u.status is not None:
            values["status"] = u.status
        if u.write_status_message:
            values["status_message"] = u.status_message
        if u.status_changed_at is not None:
            values["status_changed_at"] = u.status_changed_at
        if u.body is not None:
            values["body"] = u.body
        if u.source is not None:
            values["source"] = u.source
        row.view = dataclasses.replace(row.view, **values)
        row.local_updated_at = u.updated_at
        if u.description is not None:
            row.description = u.description
        if u.remote_urls is not None:
            row.remote_urls = tuple(dict.fromkeys(u.remote_urls))

    def set_latest(self, server_id: str, version_id: str | None) -> None:
        for view in self._s.of_server(server_id):
            flag = view.version_id == version_id
            if view.is_latest != flag:
                row = self._s.versions[view.version_id]
                row.view = dataclasses.replace(view, is_latest=flag)
                self._moved[view.version_id] = row.view

    def id_in_use(self, version_id: str) -> bool:
        return version_id in self._s.versions

    def ids_in_use(self, ids: Sequence[str]) -> set[str]:
        return {i for i in ids if i in self._s.versions}

    def remote_url_owner(self, url: str, other_than: str) -> str | None:
        key = remote_url_key(url)
        for row in self._s.versions.values():
            view = row.view
            if (
                key in {remote_url_key(u) for u in row.remote_urls}
                and view.server_id != other_than
                and view.status is not Status.DELETED
            ):
                return view.name
        return None


class _Names:
    def __init__(self, state: _State) -> None:
        self._s = state

    def retired(self, name: str) -> tuple[str, datetime] | None:
        found = self._s.retired.get(name)
        return None if found is None else (found[0], found[2])

    def retire(self, name: str, server_id: str, at: datetime, until: datetime) -> None:
        self._s.retired[name] = (server_id, at, until)

    def release(self, name: str) -> None:
        self._s.retired.pop(name, None)

    def rename_server(
        self,
        server_id: str,
        new_name: str,
        previous_names: list[str],
        bodies: dict[str, str],
        at: datetime,
    ) -> None:
        self._s.servers[server_id]["name"] = new_name
        previous = json.dumps(previous_names) if previous_names else None
        for version_id, body in bodies.items():
            row = self._s.versions[version_id]
            row.view = dataclasses.replace(
                row.view, name=new_name, body=body, previous_names_json=previous, updated_at=at
            )
            row.local_updated_at = at

    def create_offer(self, offer: TransferOffer) -> None:
        self._s.offers[offer.id] = offer

    def find_offer(self, offer_id: str) -> TransferOffer | None:
        return self._s.offers.get(offer_id)

    def accept_offer(self, offer_id: str, at: datetime, by: str) -> None:
        offer = self._s.offers[offer_id]
        self._s.offers[offer_id] = dataclasses.replace(offer, accepted_at=at, accepted_by=by)


class _Upstreams:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, upstream: Upstream) -> None:
        if upstream.name in self._s.upstreams:
            raise ValueError(f"unique constraint: upstream {upstream.name}")
        self._s.upstreams[upstream.name] = upstream

    def remove(self, name: str) -> None:
        self._s.upstreams.pop(name, None)
        for key in [k for k in self._s.staged if k[0] == name]:
            del self._s.staged[key]

    def get(self, name: str) -> Upstream | None:
        return self._s.upstreams.get(name)

    def list(self) -> list[Upstream]:
        return sorted(self._s.upstreams.values(), key=lambda u: (-u.priority, u.name))

    def record_sync(
        self, name: str, checkpoint: str | None, at: datetime, error: str | None
    ) -> None:
        upstream = self._s.upstreams[name]
        values: dict[str, Any] = {"last_error": error}
        if checkpoint is not None:
            values["checkpoint"] = checkpoint
        if error is None:
            values["last_synced_at"] = at
        self._s.upstreams[name] = dataclasses.replace(upstream, **values)


class _Staging:
    def __init__(self, state: _State) -> None:
        self._s = state

    def stage(self, upstream: str, entries: Sequence[UpstreamEntry], at: datetime) -> set[str]:
        touched = {e.name for e in entries}
        for entry in entries:
            old = self._s.staged.get((upstream, entry.key))
            if old is not None:
                touched.add(old[0].name)
            self._s.staged[(upstream, entry.key)] = (entry, at)
        self._s.pending |= touched
        return touched

    def unstage(self, upstream: str, keys: Iterable[str]) -> set[str]:
        touched = set()
        for key in keys:
            old = self._s.staged.pop((upstream, key), None)
            if old is not None:
                touched.add(old[0].name)
        self._s.pending |= touched
        return touched

    def keys(
        self, upstream: str, updated_since: datetime | None = None
    ) -> dict[str, datetime | None]:
        return {
            key: entry.upstream_updated_at
            for (up, key), (entry, _) in self._s.staged.items()
            if up == upstream
            and (
                updated_since is None
                or (
                    entry.upstream_updated_at is not None
                    and entry.upstream_updated_at >= updated_since
                )
            )
        }

    def for_name(self, name: str) -> list[StagedEntry]:
        found = [
            StagedEntry(up, self._s.upstreams[up].priority, self._s.upstreams[up].url, e, at)
            for (up, _), (e, at) in self._s.staged.items()
            if e.name == name
        ]
        return sorted(found, key=lambda s: (-s.priority, s.upstream, s.entry.version))

    def for_names(self, names: Sequence[str]) -> dict[str, list[StagedEntry]]:
        found = {n: self.for_name(n) for n in names}
        return {n: s for n, s in found.items() if s}

    def mirrored_names(self, upstream: str | None = None) -> set[str]:
        names = {e.name for (up, _), (e, _) in self._s.staged.items() if upstream in (None, up)}
        for server in self._s.servers.values():
            if server["upstream"] is not None and upstream in (None, server["upstream"]):
                names.add(server["name"])
        return names

    def names_of_servers(self, upstream: str, server_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for (up, _), (entry, _) in self._s.staged.items():
            if up == upstream and entry.server_id in server_ids:
                found.setdefault(entry.server_id, set()).add(entry.name)
        return found

    def pending(self, limit: int) -> list[str]:
        return sorted(self._s.pending)[:limit]

    def clear_pending(self, names: Sequence[str]) -> None:
        self._s.pending -= set(names)


class MemoryWriteSession:
    def __init__(self, state: _State) -> None:
        moved: dict[str, VersionView] = {}
        logged: set[str] = set()
        self.servers = _Servers(state)
        self.log = _Log(state, moved, logged)
        self.versions = _Versions(state, self.log, moved)
        self.names = _Names(state)
        self.upstreams = _Upstreams(state)
        self.staging = _Staging(state)


class _VersionReads:
    def __init__(self, state: _State) -> None:
        self._s = state

    def _live(self, include_deleted: bool) -> list[VersionView]:
        views = [row.view for row in self._s.versions.values()]
        return [v for v in views if include_deleted or v.status is not Status.DELETED]

    def page(self, query: ListQuery) -> list[VersionView]:
        q = query
        rows = [
            row
            for row in self._s.versions.values()
            if (q.include_deleted or row.view.status is not Status.DELETED)
            and (not q.latest_only or row.view.is_latest)
            and (q.version is None or row.view.version == q.version)
            and (q.updated_since is None or row.local_updated_at > q.updated_since)
            and (
                not q.search
                or q.search.lower() in row.view.name.lower()
                or q.search.lower() in row.description.lower()
            )
        ]
        views = sorted((r.view for r in rows), key=lambda v: (v.name, v.version))
        if q.cursor_name is not None:
            after = (q.cursor_name, q.cursor_version or "\U0010ffff")
            views = [v for v in views if (v.name, v.version) > after]
        return views[: q.limit]

    def by_name(self, name: str, include_deleted: bool) -> list[VersionView]:
        views = [v for v in self._live(include_deleted) if v.name == name]
        return sorted(views, key=lambda v: (v.published_at, v.version), reverse=True)

    def find(self, name: str, version: str, include_deleted: bool) -> VersionView | None:
        return next((v for v in self.by_name(name, include_deleted) if v.version == version), None)

    def latest(self, name: str, include_deleted: bool) -> VersionView | None:
        return next((v for v in self.by_name(name, include_deleted) if v.is_latest), None)

    def by_server_id(self, server_id: str, include_deleted: bool) -> list[VersionView]:
        views = [v for v in self._live(include_deleted) if v.server_id == server_id]
        return sorted(views, key=lambda v: (v.published_at, v.version), reverse=True)

    def latest_by_server_id(self, server_id: str, include_deleted: bool) -> VersionView | None:
        views = self.by_server_id(server_id, include_deleted)
        return next((v for v in views if v.is_latest), None)

    def iter_all(self) -> Iterator[VersionView]:
        yield from sorted(self._live(True), key=lambda v: (v.name, v.version))


class _LogReads:
    def __init__(self, state: _State) -> None:
        self._s = state

    def head(self) -> int:
        return len(self._s.changes)

    def since(self, since: int, limit: int) -> list[ChangeEntry]:
        found = []
        for seq, c in enumerate(self._s.changes[since : since + limit], start=since + 1):
            row = self._s.versions.get(c.version_id) if c.version_id else None
            view = row.view if row is not None else None
            found.append(
                ChangeEntry(
                    seq, c.kind, c.at, c.server_id, c.version_id, c.name, c.version, c.detail, view
                )
            )
        return found

    def change_token(self) -> int:
        return len(self._s.changes)

    async def change_token_async(self) -> int:
        return self.change_token()

    async def head_async(self) -> int:
        return self.head()


class _NameReads:
    def __init__(self, state: _State) -> None:
        self._s = state

    def moved_to(self, name: str) -> str | None:
        found = self._s.retired.get(name)
        return None if found is None else self._s.servers[found[0]]["name"]

    def find_offer(self, offer_id: str) -> TransferOffer | None:
        return self._s.offers.get(offer_id)


class _SearchReads:
    """Ranked search by the rules applied in Python (services.search.search_rows)."""

    def __init__(self, state: _State) -> None:
        self._s = state

    def search(self, query: SearchQuery, now: datetime) -> SearchPage:
        latest = [r.view for r in self._s.versions.values() if r.view.is_latest]
        return search_rows([(v, facts_of_body(v.body)) for v in latest], query, now)


class MemoryStore:
    """Every storage port in memory (see the module's docstring)."""

    def __init__(self) -> None:
        self.state = _State()
        self.versions = _VersionReads(self.state)
        self.log = _LogReads(self.state)
        self.names = _NameReads(self.state)
        self.upstreams = _Upstreams(self.state)
        self.search = _SearchReads(self.state)
        self.writes = 0  # transactions committed
        self.locked: list[tuple[str, ...]] = []  # the names each write asked to lock

    @contextmanager
    def write(self, *names: str) -> Iterator[MemoryWriteSession]:
        self.locked.append(names)
        before = copy.deepcopy(self.state)
        session = MemoryWriteSession(self.state)
        try:
            yield session
            session.log.finish()
        except BaseException:
            self._restore(before)
            raise
        self.writes += 1

    def _restore(self, before: _State) -> None:
        for f in dataclasses.fields(_State):
            setattr(self.state, f.name, getattr(before, f.name))
