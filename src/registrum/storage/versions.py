"""Version rows inside a write transaction: inserts (one or in bulk), updates, the latest
flag, and the remote URLs that must stay unique across live servers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select, text
from sqlalchemy import update as sql_update

from registrum.core.records import Change, NewVersion, VersionUpdate
from registrum.core.status import Status
from registrum.core.urls import remote_url_key
from registrum.core.wire import VersionView
from registrum.storage import bulk
from registrum.storage.changelog import Journal, SqlChangeLog
from registrum.storage.dialects import Dialect, stored_view
from registrum.storage.servers import chunks
from registrum.storage.tables import remote_urls, search_index, server_versions

_sv = server_versions
VIEW_COLUMNS = (
    _sv.c.server_id,
    _sv.c.id,
    _sv.c.name,
    _sv.c.version,
    _sv.c.body,
    _sv.c.status,
    _sv.c.status_message,
    _sv.c.status_changed_at,
    _sv.c.published_at,
    # What is served as updatedAt: the origin's, for an ingested version not changed here.
    func.coalesce(_sv.c.origin_updated_at, _sv.c.updated_at),
    _sv.c.is_latest,
    _sv.c.seq,
    _sv.c.previous_names,
    _sv.c.source,
    _sv.c.warnings,
)

# Statements are built once: building SQLAlchemy constructs per call costs more than running
# them on SQLite.
_VERSION_ID_USED = select(_sv.c.id).where(_sv.c.id == bindparam("id"))
_COUNT = select(func.count()).select_from(_sv).where(_sv.c.server_id == bindparam("server_id"))
_FIND = select(*VIEW_COLUMNS).where(
    and_(_sv.c.server_id == bindparam("server_id"), _sv.c.version == bindparam("version"))
)
_LATEST = select(*VIEW_COLUMNS).where(
    and_(_sv.c.server_id == bindparam("server_id"), _sv.c.is_latest)
)
_OF_SERVER = (
    select(*VIEW_COLUMNS)
    .where(_sv.c.server_id == bindparam("server_id"))
    .order_by(_sv.c.published_at.desc(), _sv.c.version.desc())
)
_INSERT = _sv.insert()
_MOVED = (_sv.c.id, _sv.c.server_id, _sv.c.name, _sv.c.version)
_CLEAR_LATEST = (
    sql_update(_sv)
    .where(and_(_sv.c.server_id == bindparam("sid"), _sv.c.is_latest, _sv.c.id != bindparam("vid")))
    .values(is_latest=False)
    .returning(*_MOVED)
)
_SET_LATEST = (
    sql_update(_sv)
    .where(and_(_sv.c.id == bindparam("vid"), ~_sv.c.is_latest))
    .values(is_latest=True)
    .returning(*_MOVED)
)
_INSERT_REMOTE = remote_urls.insert()
_INSERT_SEARCH = search_index.insert()
# FTS5 answers this from the end of its rowid order, without a scan.
LAST_SEARCH_ROWID = text("SELECT rowid FROM search_index ORDER BY rowid DESC LIMIT 1")
_DELETE_REMOTES = remote_urls.delete().where(remote_urls.c.version_id == bindparam("vid"))
_REMOTE_OWNER = (
    select(_sv.c.name)
    .select_from(remote_urls.join(_sv, _sv.c.id == remote_urls.c.version_id))
    .where(
        and_(
            remote_urls.c.url_hash == bindparam("url_hash"),
            remote_urls.c.url == bindparam("url"),
            remote_urls.c.server_id != bindparam("server_id"),
            _sv.c.status != Status.DELETED.value,
        )
    )
    .limit(1)
)


def _url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def _version_row(new: NewVersion, seq: int = 0, search_rowid: int | None = None) -> dict[str, Any]:
    return {
        "id": new.version_id,
        "server_id": new.server_id,
        "name": new.name,
        "version": new.version,
        "description": new.description,
        "description_folded": new.description.lower(),
        "status": new.status.value,
        "status_message": new.status_message,
        "status_changed_at": new.status_changed_at,
        "published_at": new.published_at,
        "updated_at": new.updated_at,
        "is_latest": new.is_latest,
        "body": new.body,
        "previous_names": new.previous_names,
        "source": new.source,
        "warnings": new.warnings,
        "origin_updated_at": new.origin_updated_at,
        "seq": seq,
        "search_rowid": search_rowid,
    }


def _remote_rows(version_id: str, server_id: str, urls: Iterable[str]) -> list[dict[str, str]]:
    # The table holds each URL's comparison key, not its published spelling (the document
    # keeps that): two spellings of one address are one row, and clash across servers.
    return [
        {"version_id": version_id, "url_hash": _url_hash(key), "server_id": server_id, "url": key}
        for key in dict.fromkeys(remote_url_key(u) for u in urls)
    ]


def _search_row(version_row: dict[str, Any]) -> dict[str, Any]:
    """The search-index row of a version row (``_version_row``): the same folded texts."""
    return {
        "rowid": version_row["search_rowid"],
        "version_id": version_row["id"],
        "name": version_row["name"].lower(),
        "description": version_row["description_folded"],
    }


class SqlVersions:
    def __init__(
        self, conn: Connection, dialect: Dialect, log: SqlChangeLog, journal: Journal
    ) -> None:
        """Where the dialect ``writes_search_index``, inserted versions are added to
        SQLite's FTS5 search index here: a statement per batch, not a trigger per row (an
        FTS5 insert made by a trigger costs about three times as much, migration 0009)."""
        self._conn = conn
        self._dialect = dialect
        self._log = log
        self._journal = journal
        self._search_rowid: int | None = None  # the last search-index rowid used

    def _first(self, stmt: Any, **params: Any) -> VersionView | None:
        row = self._conn.execute(stmt, params).first()
        return stored_view(row) if row is not None else None

    def count(self, server_id: str) -> int:
        return int(self._conn.execute(_COUNT, {"server_id": server_id}).scalar_one())

    def find(self, server_id: str, version: str) -> VersionView | None:
        return self._first(_FIND, server_id=server_id, version=version)

    def latest(self, server_id: str) -> VersionView | None:
        return self._first(_LATEST, server_id=server_id)

    def of_server(self, server_id: str) -> list[VersionView]:
        rows = self._conn.execute(_OF_SERVER, {"server_id": server_id}).all()
        return [stored_view(r) for r in rows]

    def id_in_use(self, version_id: str) -> bool:
        return self._conn.execute(_VERSION_ID_USED, {"id": version_id}).first() is not None

    def ids_in_use(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(ids):
            found.update(self._conn.execute(select(_sv.c.id).where(_sv.c.id.in_(chunk))).scalars())
        return found

    def _search_rowids(self, count: int) -> range:
        """Rowids for ``count`` new search-index rows (SQLite writes one transaction at a
        time, so the highest one in use is read once per transaction)."""
        if self._search_rowid is None:
            self._search_rowid = int(self._conn.execute(LAST_SEARCH_ROWID).scalar() or 0)
        first = self._search_rowid + 1
        self._search_rowid += count
        return range(first, first + count)

    def insert(self, new: NewVersion) -> None:
        if not self._dialect.writes_search_index:
            self._conn.execute(_INSERT, _version_row(new))
        else:
            (rowid,) = self._search_rowids(1)
            row = _version_row(new, search_rowid=rowid)
            self._conn.execute(_INSERT, row)
            self._conn.execute(_INSERT_SEARCH, _search_row(row))
        self._journal.servers_touched.add(new.server_id)
        if new.remote_urls:
            self._write_remotes(new.version_id, new.server_id, new.remote_urls)

    def insert_many(self, news: Sequence[NewVersion], changes: Sequence[Change]) -> None:
        """New versions in bulk, each with its change-log entry (``changes[i]`` is about
        ``news[i]``): one head bump for all, and one statement per table."""
        if not news:
            return
        first = self._log.reserve(len(changes))
        seq_of = {c.version_id: first + i for i, c in enumerate(changes)}
        indexed = self._dialect.writes_search_index
        rowids: Sequence[int | None] = (
            self._search_rowids(len(news)) if indexed else [None] * len(news)
        )
        # In key order: the B-tree pages each statement touches are then visited once.
        rows = sorted(
            (
                _version_row(n, seq_of.get(n.version_id, 0), rowid)
                for n, rowid in zip(news, rowids, strict=True)
            ),
            key=lambda r: r["id"],
        )
        dialect = self._dialect
        bulk.insert_many(self._conn, dialect, server_versions, rows)
        if indexed:
            bulk.insert_many(self._conn, dialect, search_index, [_search_row(r) for r in rows])
        remotes = [
            row for n in news for row in _remote_rows(n.version_id, n.server_id, n.remote_urls)
        ]
        bulk.insert_many(self._conn, dialect, remote_urls, remotes)
        self._log.append_reserved(first, changes)
        self._journal.servers_touched.update(n.server_id for n in news)

    def _write_remotes(self, version_id: str, server_id: str, urls: tuple[str, ...]) -> None:
        self._conn.execute(_DELETE_REMOTES, {"vid": version_id})
        if urls:
            self._conn.execute(_INSERT_REMOTE, _remote_rows(version_id, server_id, urls))

    def remote_url_owner(self, url: str, other_than: str) -> str | None:
        key = remote_url_key(url)
        params = {"url_hash": _url_hash(key), "url": key, "server_id": other_than}
        return self._conn.execute(_REMOTE_OWNER, params).scalar()

    def update(self, update: VersionUpdate) -> None:
        u = update
        values: dict[str, Any] = {
            "updated_at": u.updated_at,
            "origin_updated_at": u.origin_updated_at,
        }
        if u.ingested:
            values["warnings"] = u.warnings
            values["previous_names"] = u.previous_names
        if u.status is not None:
            values["status"] = u.status.value
        if u.write_status_message:
            values["status_message"] = u.status_message
        if u.status_changed_at is not None:
            values["status_changed_at"] = u.status_changed_at
        if u.body is not None:
            values["body"] = u.body
        if u.description is not None:
            values["description"] = u.description
            values["description_folded"] = u.description.lower()
        if u.source is not None:
            values["source"] = u.source
        self._conn.execute(sql_update(_sv).where(_sv.c.id == u.version_id).values(**values))
        self._journal.versions_touched.add(u.version_id)
        if u.remote_urls is not None:
            server_id = self._conn.execute(
                select(_sv.c.server_id).where(_sv.c.id == u.version_id)
            ).scalar_one()
            self._write_remotes(u.version_id, server_id, u.remote_urls)

    def set_latest(self, server_id: str, version_id: str | None) -> None:
        # Clear first: the partial unique index allows one latest row per server at any moment.
        rows = list(self._conn.execute(_CLEAR_LATEST, {"sid": server_id, "vid": version_id or ""}))
        if version_id is not None:
            rows += self._conn.execute(_SET_LATEST, {"vid": version_id})
        for vid, sid, name, version in rows:
            self._journal.moved[vid] = (sid, name, version)
        self._journal.servers_touched.add(server_id)
