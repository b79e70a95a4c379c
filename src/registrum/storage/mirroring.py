"""Storage of the mirror (migration 0008): upstreams and their staged entries.

Staging writes are upserts in batches, since a full sync stages every version an upstream
serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select, update

from registrum.core.records import StagedEntry, Upstream, UpstreamEntry
from registrum.core.status import STATUS_OF
from registrum.storage import bulk
from registrum.storage.dialects import Dialect
from registrum.storage.servers import chunks
from registrum.storage.tables import mirror_pending, servers, upstream_entries, upstreams

_ue = upstream_entries
_UPSTREAM_COLUMNS = (
    upstreams.c.name,
    upstreams.c.url,
    upstreams.c.kind,
    upstreams.c.priority,
    upstreams.c.interval_seconds,
    upstreams.c.checkpoint,
    upstreams.c.created_at,
    upstreams.c.last_synced_at,
    upstreams.c.last_error,
)
_ENTRY_COLUMNS = (
    _ue.c.key,
    _ue.c.name,
    _ue.c.version,
    _ue.c.body,
    _ue.c.status,
    _ue.c.status_message,
    _ue.c.published_at,
    _ue.c.status_changed_at,
    _ue.c.upstream_updated_at,
    _ue.c.upstream_seq,
    _ue.c.is_latest,
    _ue.c.server_id,
    _ue.c.version_id,
    _ue.c.previous_names,
    _ue.c.warnings,
)


class SqlUpstreams:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, upstream: Upstream) -> None:
        self._conn.execute(
            upstreams.insert(),
            {
                "name": upstream.name,
                "url": upstream.url,
                "kind": upstream.kind,
                "priority": upstream.priority,
                "interval_seconds": upstream.interval_seconds,
                "checkpoint": upstream.checkpoint,
                "created_at": upstream.created_at,
            },
        )

    def remove(self, name: str) -> None:
        self._conn.execute(delete(_ue).where(_ue.c.upstream == name))
        self._conn.execute(delete(upstreams).where(upstreams.c.name == name))

    def get(self, name: str) -> Upstream | None:
        return _get(self._conn, name)

    def record_sync(
        self, name: str, checkpoint: str | None, at: datetime, error: str | None
    ) -> None:
        values: dict[str, Any] = {"last_error": error}
        if checkpoint is not None:
            values["checkpoint"] = checkpoint
        if error is None:
            values["last_synced_at"] = at
        self._conn.execute(update(upstreams).where(upstreams.c.name == name).values(**values))


def _get(conn: Connection, name: str) -> Upstream | None:
    row = conn.execute(select(*_UPSTREAM_COLUMNS).where(upstreams.c.name == name)).first()
    return Upstream(*row) if row is not None else None


_LIST = select(*_UPSTREAM_COLUMNS).order_by(upstreams.c.priority.desc(), upstreams.c.name)


class SqlUpstreamReads:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list(self) -> list[Upstream]:
        with self._engine.connect() as conn:
            return [Upstream(*row) for row in conn.execute(_LIST)]

    def get(self, name: str) -> Upstream | None:
        with self._engine.connect() as conn:
            return _get(conn, name)


_PENDING = select(mirror_pending.c.name).order_by(mirror_pending.c.name).limit(bindparam("n"))
_STAGED_COLUMNS = (
    upstreams.c.name,
    upstreams.c.priority,
    upstreams.c.url,
    _ue.c.synced_at,
    *_ENTRY_COLUMNS,
)
_STAGED_FOR = (
    select(*_STAGED_COLUMNS)
    .select_from(_ue.join(upstreams, upstreams.c.name == _ue.c.upstream))
    .where(_ue.c.name == bindparam("name"))
    .order_by(upstreams.c.priority.desc(), upstreams.c.name, _ue.c.version)
)


def keys_query(upstream: str, updated_since: datetime | None) -> Any:
    """The staged keys of ``upstream`` with its updatedAt of each; with ``updated_since``,
    only keys it updated then or later (an index range, however large the upstream)."""
    stmt = select(_ue.c.key, _ue.c.upstream_updated_at).where(_ue.c.upstream == upstream)
    if updated_since is not None:
        stmt = stmt.where(_ue.c.upstream_updated_at >= updated_since)
    return stmt


def _entry(row: Sequence[Any]) -> UpstreamEntry:
    return UpstreamEntry(
        key=row[0],
        name=row[1],
        version=row[2],
        body=row[3],
        status=STATUS_OF[row[4]],
        status_message=row[5],
        published_at=row[6],
        status_changed_at=row[7],
        upstream_updated_at=row[8],
        upstream_seq=row[9],
        is_latest=None if row[10] is None else bool(row[10]),
        server_id=row[11],
        version_id=row[12],
        previous_names=row[13],
        warnings=row[14],
    )


def _staged(row: Sequence[Any]) -> StagedEntry:
    return StagedEntry(row[0], row[1], row[2], _entry(row[4:]), row[3])


def _last_of_each(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per key, the last given: a statement may not upsert a key twice on
    PostgreSQL."""
    return list({row["key"]: row for row in rows}.values())


class SqlStaging:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def _mark_pending(self, names: Iterable[str]) -> None:
        rows = [{"name": n} for n in sorted(set(names))]
        if rows:
            insert = self._dialect.upsert(mirror_pending).on_conflict_do_nothing()
            self._conn.execute(insert, rows)

    def pending(self, limit: int) -> list[str]:
        return list(self._conn.execute(_PENDING, {"n": limit}).scalars())

    def clear_pending(self, names: Sequence[str]) -> None:
        for chunk in chunks(names):
            self._conn.execute(delete(mirror_pending).where(mirror_pending.c.name.in_(chunk)))

    def stage(self, upstream: str, entries: Sequence[UpstreamEntry], at: datetime) -> set[str]:
        """Insert or replace ``entries``; returns every name they touch, including a name
        an entry had before (an upstream rename moves a key to another name)."""
        if not entries:
            return set()
        touched = {e.name for e in entries}
        for chunk in chunks([e.key for e in entries]):
            stmt = select(_ue.c.name).where(_ue.c.upstream == upstream, _ue.c.key.in_(chunk))
            touched.update(self._conn.execute(stmt).scalars())
        rows = [
            {
                "upstream": upstream,
                "key": e.key,
                "name": e.name,
                "version": e.version,
                "body": e.body,
                "status": e.status,
                "status_message": e.status_message,
                "published_at": e.published_at,
                "status_changed_at": e.status_changed_at,
                "upstream_updated_at": e.upstream_updated_at,
                "upstream_seq": e.upstream_seq,
                "synced_at": at,
                "is_latest": e.is_latest,
                "server_id": e.server_id,
                "version_id": e.version_id,
                "previous_names": e.previous_names,
                "warnings": e.warnings,
            }
            for e in entries
        ]
        # In key order, so the B-tree pages are visited once (upstream keys are often random).
        ordered = sorted(_last_of_each(rows), key=lambda r: str(r["key"]))
        bulk.insert_many(self._conn, self._dialect, _ue, ordered, conflict=("upstream", "key"))
        self._mark_pending(touched)
        return touched

    def unstage(self, upstream: str, keys: Iterable[str]) -> set[str]:
        """Drop entries an upstream no longer serves; returns their names."""
        touched: set[str] = set()
        for chunk in chunks(list(keys)):
            where = (_ue.c.upstream == upstream) & _ue.c.key.in_(chunk)
            touched.update(self._conn.execute(select(_ue.c.name).where(where)).scalars())
            self._conn.execute(delete(_ue).where(where))
        self._mark_pending(touched)
        return touched

    def keys(
        self, upstream: str, updated_since: datetime | None = None
    ) -> dict[str, datetime | None]:
        return {row[0]: row[1] for row in self._conn.execute(keys_query(upstream, updated_since))}

    def for_name(self, name: str) -> list[StagedEntry]:
        return [_staged(row) for row in self._conn.execute(_STAGED_FOR, {"name": name})]

    def for_names(self, names: Sequence[str]) -> dict[str, list[StagedEntry]]:
        """``for_name`` for many names at once (each list highest priority first)."""
        found: dict[str, list[StagedEntry]] = {}
        for chunk in chunks(names):
            stmt = (
                select(*_STAGED_COLUMNS)
                .select_from(_ue.join(upstreams, upstreams.c.name == _ue.c.upstream))
                .where(_ue.c.name.in_(chunk))
                .order_by(_ue.c.name, upstreams.c.priority.desc(), upstreams.c.name, _ue.c.version)
            )
            for row in self._conn.execute(stmt):
                found.setdefault(row[5], []).append(_staged(row))
        return found

    def mirrored_names(self, upstream: str | None = None) -> set[str]:
        staged = select(_ue.c.name).distinct()
        if upstream is None:
            served = select(servers.c.name).where(servers.c.upstream.is_not(None))
        else:
            staged = staged.where(_ue.c.upstream == upstream)
            served = select(servers.c.name).where(servers.c.upstream == upstream)
        names = set(self._conn.execute(staged).scalars())
        names.update(self._conn.execute(served).scalars())
        return names

    def names_of_servers(self, upstream: str, server_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for chunk in chunks(server_ids):
            stmt = (
                select(_ue.c.server_id, _ue.c.name)
                .where(_ue.c.upstream == upstream, _ue.c.server_id.in_(chunk))
                .distinct()
            )
            for server_id, name in self._conn.execute(stmt):
                found.setdefault(server_id, set()).add(name)
        return found
