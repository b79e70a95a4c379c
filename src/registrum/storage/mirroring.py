"""Storage of the mirror (migration 0008): upstreams and their staged entries.

Functions of one connection, used by the write session and the store; staging writes are
upserts in batches, since a full sync stages every version an upstream serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from registrum.core.records import StagedEntry, Upstream, UpstreamEntry
from registrum.storage import bulk
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
_CHUNK = 500  # keys per IN list


def add_upstream(conn: Connection, upstream: Upstream) -> None:
    conn.execute(
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


def remove_upstream(conn: Connection, name: str) -> None:
    conn.execute(delete(_ue).where(_ue.c.upstream == name))
    conn.execute(delete(upstreams).where(upstreams.c.name == name))


def get_upstream(conn: Connection, name: str) -> Upstream | None:
    row = conn.execute(select(*_UPSTREAM_COLUMNS).where(upstreams.c.name == name)).first()
    return Upstream(*row) if row is not None else None


def list_upstreams(conn: Connection) -> list[Upstream]:
    stmt = select(*_UPSTREAM_COLUMNS).order_by(upstreams.c.priority.desc(), upstreams.c.name)
    return [Upstream(*row) for row in conn.execute(stmt)]


def record_sync(
    conn: Connection, name: str, checkpoint: str | None, at: datetime, error: str | None
) -> None:
    values: dict[str, Any] = {"last_error": error}
    if checkpoint is not None:
        values["checkpoint"] = checkpoint
    if error is None:
        values["last_synced_at"] = at
    conn.execute(update(upstreams).where(upstreams.c.name == name).values(**values))


def _insert(conn: Connection, table: Any = _ue) -> Any:
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


def mark_pending(conn: Connection, names: Iterable[str]) -> None:
    rows = [{"name": n} for n in sorted(set(names))]
    if rows:
        conn.execute(_insert(conn, mirror_pending).on_conflict_do_nothing(), rows)


_PENDING = select(mirror_pending.c.name).order_by(mirror_pending.c.name).limit(bindparam("n"))


def pending_names(conn: Connection, limit: int) -> list[str]:
    return list(conn.execute(_PENDING, {"n": limit}).scalars())


def clear_pending(conn: Connection, names: Sequence[str]) -> None:
    for start in range(0, len(names), _CHUNK):
        chunk = list(names[start : start + _CHUNK])
        conn.execute(delete(mirror_pending).where(mirror_pending.c.name.in_(chunk)))


def stage(
    conn: Connection, upstream: str, entries: Sequence[UpstreamEntry], at: datetime
) -> set[str]:
    """Insert or replace ``entries``; returns every name they touch, including a name an
    entry had before (an upstream rename moves a key to another name)."""
    if not entries:
        return set()
    touched = {e.name for e in entries}
    keys = [e.key for e in entries]
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        stmt = select(_ue.c.name).where(_ue.c.upstream == upstream, _ue.c.key.in_(chunk))
        touched.update(conn.execute(stmt).scalars())
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
    bulk.insert_many(conn, _ue, ordered, conflict=("upstream", "key"))
    mark_pending(conn, touched)
    return touched


def _last_of_each(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per key, the last given: a statement may not upsert a key twice on
    PostgreSQL."""
    return list({row["key"]: row for row in rows}.values())


def unstage(conn: Connection, upstream: str, keys: Iterable[str]) -> set[str]:
    """Drop entries an upstream no longer serves; returns their names."""
    touched: set[str] = set()
    keys = list(keys)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        where = (_ue.c.upstream == upstream) & _ue.c.key.in_(chunk)
        touched.update(conn.execute(select(_ue.c.name).where(where)).scalars())
        conn.execute(delete(_ue).where(where))
    mark_pending(conn, touched)
    return touched


def staged_keys(
    conn: Connection, upstream: str, updated_since: datetime | None = None
) -> dict[str, datetime | None]:
    """Every key the upstream has staged, with the upstream's updatedAt of it; with
    ``updated_since``, only keys it updated then or later (an index range, however large
    the upstream)."""
    stmt = staged_keys_query(upstream, updated_since)
    return {row[0]: row[1] for row in conn.execute(stmt)}


def staged_keys_query(upstream: str, updated_since: datetime | None) -> Any:
    stmt = select(_ue.c.key, _ue.c.upstream_updated_at).where(_ue.c.upstream == upstream)
    if updated_since is not None:
        stmt = stmt.where(_ue.c.upstream_updated_at >= updated_since)
    return stmt


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


def _entry(row: Sequence[Any]) -> UpstreamEntry:
    return UpstreamEntry(
        key=row[0],
        name=row[1],
        version=row[2],
        body=row[3],
        status=row[4],
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


def staged_for(conn: Connection, name: str) -> list[StagedEntry]:
    return [
        StagedEntry(row[0], row[1], row[2], _entry(row[4:]), row[3])
        for row in conn.execute(_STAGED_FOR, {"name": name})
    ]


def all_mirrored_names(conn: Connection, upstream: str | None = None) -> set[str]:
    """Every name some upstream serves or some mirrored server has (with ``upstream``:
    only that upstream's)."""
    staged = select(_ue.c.name).distinct()
    if upstream is None:
        served = select(servers.c.name).where(servers.c.upstream.is_not(None))
    else:
        staged = staged.where(_ue.c.upstream == upstream)
        served = select(servers.c.name).where(servers.c.upstream == upstream)
    names = set(conn.execute(staged).scalars())
    names.update(conn.execute(served).scalars())
    return names


def server_upstream(conn: Connection, name: str) -> tuple[str, str | None] | None:
    row = conn.execute(
        select(servers.c.id, servers.c.upstream).where(servers.c.name == name)
    ).first()
    return (row[0], row[1]) if row is not None else None


def set_server_upstream(conn: Connection, server_id: str, upstream: str | None) -> None:
    conn.execute(update(servers).where(servers.c.id == server_id).values(upstream=upstream))


def server_upstreams(conn: Connection, names: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """``server_upstream`` for many names at once."""
    found: dict[str, tuple[str, str | None]] = {}
    for start in range(0, len(names), _CHUNK):
        chunk = list(names[start : start + _CHUNK])
        stmt = select(servers.c.name, servers.c.id, servers.c.upstream).where(
            servers.c.name.in_(chunk)
        )
        found.update({row[0]: (row[1], row[2]) for row in conn.execute(stmt)})
    return found


def staged_for_names(conn: Connection, names: Sequence[str]) -> dict[str, list[StagedEntry]]:
    """``staged_for`` for many names at once (each list highest priority first)."""
    found: dict[str, list[StagedEntry]] = {}
    for start in range(0, len(names), _CHUNK):
        chunk = list(names[start : start + _CHUNK])
        stmt = (
            select(*_STAGED_COLUMNS)
            .select_from(_ue.join(upstreams, upstreams.c.name == _ue.c.upstream))
            .where(_ue.c.name.in_(chunk))
            .order_by(_ue.c.name, upstreams.c.priority.desc(), upstreams.c.name, _ue.c.version)
        )
        for row in conn.execute(stmt):
            found.setdefault(row[5], []).append(
                StagedEntry(row[0], row[1], row[2], _entry(row[4:]), row[3])
            )
    return found


def staged_names_of_servers(
    conn: Connection, upstream: str, server_ids: Sequence[str]
) -> dict[str, set[str]]:
    """The names under which ``upstream`` now serves each of these (upstream) server ids."""
    found: dict[str, set[str]] = {}
    for start in range(0, len(server_ids), _CHUNK):
        chunk = list(server_ids[start : start + _CHUNK])
        stmt = (
            select(_ue.c.server_id, _ue.c.name)
            .where(_ue.c.upstream == upstream, _ue.c.server_id.in_(chunk))
            .distinct()
        )
        for server_id, name in conn.execute(stmt):
            found.setdefault(server_id, set()).add(name)
    return found


def servers_by_id(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """(name, upstream) of each of these servers that exists here."""
    found: dict[str, tuple[str, str | None]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        stmt = select(servers.c.id, servers.c.name, servers.c.upstream).where(
            servers.c.id.in_(chunk)
        )
        found.update({row[0]: (row[1], row[2]) for row in conn.execute(stmt)})
    return found


def create_servers(conn: Connection, rows: Sequence[tuple[str, str, datetime, str | None]]) -> None:
    bulk.insert_many(
        conn,
        servers,
        [{"id": i, "name": n, "created_at": at, "upstream": u} for i, n, at, u in rows],
    )


def server_ids_in_use(conn: Connection, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        found.update(conn.execute(select(servers.c.id).where(servers.c.id.in_(chunk))).scalars())
    return found
