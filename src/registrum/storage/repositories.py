"""SqlServerStore: the :class:`registrum.core.ports.ServerStore` port on SQLAlchemy Core.

Reads select plain tuples (no ORM objects) and hand the stored JSON text through untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, select, text, update

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
from registrum.core.status import Status
from registrum.core.wire import VersionView
from registrum.storage import bulk, mirroring, reads
from registrum.storage.engine import WRITE
from registrum.storage.tables import (
    changes,
    log_head,
    remote_urls,
    retired_names,
    search_index,
    server_versions,
    servers,
    transfer_offers,
)

_sv = server_versions
_VIEW_COLUMNS = (
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


def _view(row: Any) -> VersionView:
    return VersionView(*row)  # the row is _VIEW_COLUMNS, in order


def _views(rows: Sequence[Any]) -> list[VersionView]:
    return [VersionView(*r) for r in rows]


def like_pattern(term: str) -> str:
    """A LIKE pattern that matches ``term`` literally, anywhere: ``%`` and ``_`` are not
    wildcards for the user: search is a plain substring match."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def advisory_key(name: str) -> int:
    # A stable 63-bit key per server name for pg_advisory_xact_lock.
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest()) >> 1


# Write statements are built once: building SQLAlchemy constructs per call costs more than
# running them on SQLite.
_FIND_SERVER = select(servers.c.id).where(servers.c.name == bindparam("name"))
_SERVER_ID_USED = select(servers.c.id).where(servers.c.id == bindparam("id"))
_VERSION_ID_USED = select(_sv.c.id).where(_sv.c.id == bindparam("id"))
_INSERT_SERVER = servers.insert()
_COUNT_VERSIONS = (
    select(func.count()).select_from(_sv).where(_sv.c.server_id == bindparam("server_id"))
)
_FIND_VERSION = select(*_VIEW_COLUMNS).where(
    and_(_sv.c.server_id == bindparam("server_id"), _sv.c.version == bindparam("version"))
)
_FIND_LATEST = select(*_VIEW_COLUMNS).where(
    and_(_sv.c.server_id == bindparam("server_id"), _sv.c.is_latest)
)
_ALL_VERSIONS = (
    select(*_VIEW_COLUMNS)
    .where(_sv.c.server_id == bindparam("server_id"))
    .order_by(_sv.c.published_at.desc(), _sv.c.version.desc())
)
_INSERT_VERSION = _sv.insert()
_MOVED = (_sv.c.id, _sv.c.server_id, _sv.c.name, _sv.c.version)
_CLEAR_LATEST = (
    update(_sv)
    .where(and_(_sv.c.server_id == bindparam("sid"), _sv.c.is_latest, _sv.c.id != bindparam("vid")))
    .values(is_latest=False)
    .returning(*_MOVED)
)
_SET_LATEST = (
    update(_sv)
    .where(and_(_sv.c.id == bindparam("vid"), ~_sv.c.is_latest))
    .values(is_latest=True)
    .returning(*_MOVED)
)
_SET_SEQ = update(_sv).where(_sv.c.id == bindparam("vid")).values(seq=bindparam("seq"))
_RETIRED = select(retired_names.c.server_id, retired_names.c.reserved_until).where(
    retired_names.c.name == bindparam("name")
)
_OFFER_COLUMNS = (
    transfer_offers.c.id,
    transfer_offers.c.server_id,
    transfer_offers.c.name,
    transfer_offers.c.new_name,
    transfer_offers.c.offered_by,
    transfer_offers.c.created_at,
    transfer_offers.c.expires_at,
    transfer_offers.c.accepted_at,
    transfer_offers.c.accepted_by,
)
_BUMP_HEAD = (
    update(log_head)
    .where(log_head.c.id == 1)
    .values(seq=log_head.c.seq + 1)
    .returning(log_head.c.seq)
)
_BUMP_HEAD_BY = (
    update(log_head)
    .where(log_head.c.id == 1)
    .values(seq=log_head.c.seq + bindparam("n"))
    .returning(log_head.c.seq)
)
_INSERT_CHANGE = changes.insert()
_CHANGES = changes  # add_versions has a parameter of that name
_INSERT_REMOTE = remote_urls.insert()
_INSERT_SEARCH = search_index.insert()
# FTS5 answers this from the end of its rowid order, without a scan.
_LAST_SEARCH_ROWID = text("SELECT rowid FROM search_index ORDER BY rowid DESC LIMIT 1")
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


# Below this many matches a search goes through the SQLite trigram index; at or above it,
# walking the list in order finds a page sooner (the page is full after a few rows).
SELECTIVE = 2000
_BY_TRIGRAMS = "SELECT rowid FROM search_index WHERE search_index MATCH :phrase LIMIT :enough"
_BY_SCAN = (
    "SELECT rowid FROM search_index WHERE name LIKE :pattern ESCAPE '\\' "
    "OR description LIKE :pattern ESCAPE '\\' LIMIT :enough"
)
# One parameter for any number of rows: a JSON array, unpacked by SQLite's json_each.
_BY_ROWIDS = (
    "id IN (SELECT version_id FROM search_index "
    "WHERE rowid IN (SELECT value FROM json_each(:rowids)))"
)
_NEWEST_FIRST = "ORDER BY published_at DESC, version DESC"
_JOINED_VIEW = reads.view_columns("v")
_CHANGES_SINCE = (
    "SELECT c.seq, c.kind, c.at, c.server_id, c.version_id, c.name, c.version, c.detail, "  # noqa: S608
    f"{_JOINED_VIEW} FROM changes c LEFT JOIN server_versions v ON v.id = c.version_id "
    "WHERE c.seq > :since ORDER BY c.seq LIMIT :limit"
)
_MOVED_TO = (
    "SELECT s.name FROM retired_names r JOIN servers s ON s.id = r.server_id WHERE r.name = :name"
)
_OFFER = (
    "SELECT id, server_id, name, new_name, offered_by, created_at, expires_at, accepted_at, "
    "accepted_by FROM transfer_offers WHERE id = :id"
)
_HEAD = "SELECT seq FROM log_head WHERE id = 1"


def _phrase(folded: str) -> str:
    """An FTS5 phrase matching ``folded`` literally: with the trigram tokenizer a phrase is
    a substring."""
    return '"' + folded.replace('"', '""') + '"'


_TOKEN_SQL = {False: "PRAGMA data_version", True: "SELECT seq FROM log_head WHERE id = 1"}


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
    return [
        {"version_id": version_id, "url_hash": _url_hash(u), "server_id": server_id, "url": u}
        for u in dict.fromkeys(urls)
    ]


def _search_row(version_row: dict[str, Any]) -> dict[str, Any]:
    """The search-index row of a version row (``_version_row``): the same folded texts."""
    return {
        "rowid": version_row["search_rowid"],
        "version_id": version_row["id"],
        "name": version_row["name"].lower(),
        "description": version_row["description_folded"],
    }


WRITE_CACHE_KIB = 64 * 1024
CHECKPOINT_PAGES = 10_000
_WRITE_CACHE = "registrum_write_cache"


class SqlWriteSession:
    def __init__(self, conn: Connection, *, search_index: bool) -> None:
        """``search_index``: whether inserted versions are added to SQLite's FTS5 search
        index here (PostgreSQL's trigram indexes keep themselves up to date). A statement
        per batch, not a trigger per row: an FTS5 insert made by a trigger costs about three
        times as much (migration 0009)."""
        self._conn = conn
        self._search_index = search_index
        self._search_rowid: int | None = None  # the last search-index rowid used
        # Versions whose latest flag moved, and versions with a change entry of their own in
        # this transaction: the first without the second get a `latest-moved` entry at
        # commit (finish), so every change of a version's state is in the log.
        self._moved: dict[str, tuple[str, str, str]] = {}
        self._logged: set[str] = set()
        self._last: Change | None = None

    def _first(self, stmt: Any, **params: Any) -> VersionView | None:
        row = self._conn.execute(stmt, params).first()
        return _view(row) if row is not None else None

    def find_server_id(self, name: str) -> str | None:
        return self._conn.execute(_FIND_SERVER, {"name": name}).scalar()

    def server_id_in_use(self, server_id: str) -> bool:
        return self._conn.execute(_SERVER_ID_USED, {"id": server_id}).first() is not None

    def version_id_in_use(self, version_id: str) -> bool:
        return self._conn.execute(_VERSION_ID_USED, {"id": version_id}).first() is not None

    def create_server(self, server_id: str, name: str, at: datetime) -> None:
        """A server published here (mirrored ones come in bulk: ``create_servers``)."""
        self._conn.execute(_INSERT_SERVER, {"id": server_id, "name": name, "created_at": at})

    # The mirror ---------------------------------------------------------------------------

    def add_upstream(self, upstream: Upstream) -> None:
        mirroring.add_upstream(self._conn, upstream)

    def remove_upstream(self, name: str) -> None:
        mirroring.remove_upstream(self._conn, name)

    def get_upstream(self, name: str) -> Upstream | None:
        return mirroring.get_upstream(self._conn, name)

    def record_sync(
        self, name: str, checkpoint: str | None, at: datetime, error: str | None
    ) -> None:
        mirroring.record_sync(self._conn, name, checkpoint, at, error)

    def stage(self, upstream: str, entries: Sequence[UpstreamEntry], at: datetime) -> set[str]:
        return mirroring.stage(self._conn, upstream, entries, at)

    def unstage(self, upstream: str, keys: Iterable[str]) -> set[str]:
        return mirroring.unstage(self._conn, upstream, keys)

    def staged_keys(
        self, upstream: str, updated_since: datetime | None = None
    ) -> dict[str, datetime | None]:
        return mirroring.staged_keys(self._conn, upstream, updated_since)

    def staged_for(self, name: str) -> list[StagedEntry]:
        return mirroring.staged_for(self._conn, name)

    def all_mirrored_names(self, upstream: str | None = None) -> set[str]:
        return mirroring.all_mirrored_names(self._conn, upstream)

    def server_upstreams(self, names: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        return mirroring.server_upstreams(self._conn, names)

    def staged_for_names(self, names: Sequence[str]) -> dict[str, list[StagedEntry]]:
        return mirroring.staged_for_names(self._conn, names)

    def create_servers(self, rows: Sequence[tuple[str, str, datetime, str | None]]) -> None:
        mirroring.create_servers(self._conn, rows)

    def staged_names_of_servers(
        self, upstream: str, server_ids: Sequence[str]
    ) -> dict[str, set[str]]:
        return mirroring.staged_names_of_servers(self._conn, upstream, server_ids)

    def servers_by_id(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        return mirroring.servers_by_id(self._conn, ids)

    def server_ids_in_use(self, ids: Sequence[str]) -> set[str]:
        return mirroring.server_ids_in_use(self._conn, ids)

    def pending_names(self, limit: int) -> list[str]:
        return mirroring.pending_names(self._conn, limit)

    def clear_pending(self, names: Sequence[str]) -> None:
        mirroring.clear_pending(self._conn, names)

    def server_upstream(self, name: str) -> tuple[str, str | None] | None:
        return mirroring.server_upstream(self._conn, name)

    def set_server_upstream(self, server_id: str, upstream: str | None) -> None:
        mirroring.set_server_upstream(self._conn, server_id, upstream)

    def count_versions(self, server_id: str) -> int:
        return int(self._conn.execute(_COUNT_VERSIONS, {"server_id": server_id}).scalar_one())

    def find(self, server_id: str, version: str) -> VersionView | None:
        return self._first(_FIND_VERSION, server_id=server_id, version=version)

    def latest(self, server_id: str) -> VersionView | None:
        return self._first(_FIND_LATEST, server_id=server_id)

    def versions(self, server_id: str) -> list[VersionView]:
        return _views(self._conn.execute(_ALL_VERSIONS, {"server_id": server_id}).all())

    def _search_rowids(self, count: int) -> range:
        """Rowids for ``count`` new search-index rows (SQLite writes one transaction at a
        time, so the highest one in use is read once per transaction)."""
        if self._search_rowid is None:
            self._search_rowid = int(self._conn.execute(_LAST_SEARCH_ROWID).scalar() or 0)
        first = self._search_rowid + 1
        self._search_rowid += count
        return range(first, first + count)

    def insert_version(self, new: NewVersion) -> None:
        if not self._search_index:
            self._conn.execute(_INSERT_VERSION, _version_row(new))
        else:
            (rowid,) = self._search_rowids(1)
            row = _version_row(new, search_rowid=rowid)
            self._conn.execute(_INSERT_VERSION, row)
            self._conn.execute(_INSERT_SEARCH, _search_row(row))
        if new.remote_urls:
            self._write_remotes(new.version_id, new.server_id, new.remote_urls)

    def add_versions(self, news: Sequence[NewVersion], changes: Sequence[Change]) -> None:
        """New versions in bulk, each with its change-log entry (``changes[i]`` is about
        ``news[i]``): one head bump for all, and one statement per table."""
        if not news:
            return
        last = int(self._conn.execute(_BUMP_HEAD_BY, {"n": len(changes)}).scalar_one())
        first = last - len(changes) + 1
        seq_of = {c.version_id: first + i for i, c in enumerate(changes)}
        rowids: Sequence[int | None] = (
            self._search_rowids(len(news)) if self._search_index else [None] * len(news)
        )
        # In key order: the B-tree pages each statement touches are then visited once.
        rows = sorted(
            (
                _version_row(n, seq_of.get(n.version_id, 0), rowid)
                for n, rowid in zip(news, rowids, strict=True)
            ),
            key=lambda r: r["id"],
        )
        bulk.insert_many(self._conn, server_versions, rows)
        if self._search_index:
            bulk.insert_many(self._conn, search_index, [_search_row(row) for row in rows])
        remotes = [
            row for n in news for row in _remote_rows(n.version_id, n.server_id, n.remote_urls)
        ]
        bulk.insert_many(self._conn, remote_urls, remotes)
        bulk.insert_many(
            self._conn,
            _CHANGES,
            [
                {
                    "seq": first + i,
                    "at": c.at,
                    "kind": c.kind,
                    "server_id": c.server_id,
                    "version_id": c.version_id,
                    "name": c.name,
                    "version": c.version,
                    "actor": c.actor,
                    "detail": c.detail,
                }
                for i, c in enumerate(changes)
            ],
        )
        self._logged.update(c.version_id for c in changes if c.version_id is not None)
        self._last = changes[-1]

    def version_ids_in_use(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            found.update(self._conn.execute(select(_sv.c.id).where(_sv.c.id.in_(chunk))).scalars())
        return found

    def _write_remotes(self, version_id: str, server_id: str, urls: tuple[str, ...]) -> None:
        self._conn.execute(_DELETE_REMOTES, {"vid": version_id})
        if urls:
            self._conn.execute(_INSERT_REMOTE, _remote_rows(version_id, server_id, urls))

    def remote_url_owner(self, url: str, other_than: str) -> str | None:
        params = {"url_hash": _url_hash(url), "url": url, "server_id": other_than}
        return self._conn.execute(_REMOTE_OWNER, params).scalar()

    def update_version(self, u: VersionUpdate) -> None:
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
        self._conn.execute(update(_sv).where(_sv.c.id == u.version_id).values(**values))
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
            self._moved[vid] = (sid, name, version)

    def append_change(self, change: Change) -> int:
        seq = int(self._conn.execute(_BUMP_HEAD).scalar_one())
        self._conn.execute(
            _INSERT_CHANGE,
            {
                "seq": seq,
                "at": change.at,
                "kind": change.kind,
                "server_id": change.server_id,
                "version_id": change.version_id,
                "name": change.name,
                "version": change.version,
                "actor": change.actor,
                "detail": change.detail,
            },
        )
        if change.version_id is not None:
            self._conn.execute(_SET_SEQ, {"vid": change.version_id, "seq": seq})
            self._logged.add(change.version_id)
        self._last = change
        return seq

    def finish(self) -> None:
        """Before commit: log the latest-flag moves no other entry of this transaction
        covers, at the time and by the actor of the transaction's last entry."""
        last = self._last
        if last is None:
            return
        for vid, (sid, name, version) in list(self._moved.items()):
            if vid not in self._logged:
                self.append_change(
                    Change(ChangeKind.LATEST_MOVED, last.at, sid, vid, name, version, last.actor)
                )
        self._moved.clear()

    def retired_name(self, name: str) -> tuple[str, datetime] | None:
        row = self._conn.execute(_RETIRED, {"name": name}).first()
        return (row[0], row[1]) if row is not None else None

    def retire_name(self, name: str, server_id: str, at: datetime, until: datetime) -> None:
        self.release_name(name)
        self._conn.execute(
            retired_names.insert(),
            {"name": name, "server_id": server_id, "retired_at": at, "reserved_until": until},
        )

    def release_name(self, name: str) -> None:
        self._conn.execute(retired_names.delete().where(retired_names.c.name == name))

    def rename_server(
        self,
        server_id: str,
        new_name: str,
        previous_names: list[str],
        bodies: dict[str, str],
        at: datetime,
    ) -> None:
        self._conn.execute(update(servers).where(servers.c.id == server_id).values(name=new_name))
        previous = json.dumps(previous_names) if previous_names else None
        for version_id, body in bodies.items():
            self._conn.execute(
                update(_sv)
                .where(_sv.c.id == version_id)
                .values(
                    name=new_name,
                    body=body,
                    previous_names=previous,
                    updated_at=at,
                    origin_updated_at=None,
                )
            )

    def create_offer(self, offer: TransferOffer) -> None:
        self._conn.execute(
            transfer_offers.insert(),
            {
                "id": offer.id,
                "server_id": offer.server_id,
                "name": offer.name,
                "new_name": offer.new_name,
                "offered_by": offer.offered_by,
                "created_at": offer.created_at,
                "expires_at": offer.expires_at,
            },
        )

    def find_offer(self, offer_id: str) -> TransferOffer | None:
        stmt = select(*_OFFER_COLUMNS).where(transfer_offers.c.id == offer_id)
        row = self._conn.execute(stmt).first()
        return TransferOffer(*row) if row is not None else None

    def accept_offer(self, offer_id: str, at: datetime, by: str) -> None:
        self._conn.execute(
            update(transfer_offers)
            .where(transfer_offers.c.id == offer_id)
            .values(accepted_at=at, accepted_by=by)
        )


class SqlServerStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._token_lock = threading.Lock()
        self._token_conn: Any = None
        self._write_lock = threading.Lock()
        self.reads = reads.ReadLine(engine)

    def change_token(self) -> int:
        # Asked on every read request, so on a connection of its own, outside the pool: no
        # checkout, no pre-ping, no transaction left open.
        # SQLite: `PRAGMA data_version` changes whenever another connection, of any process,
        # commits — a read of shared memory. PostgreSQL: the log head, one indexed row.
        with self._token_lock:
            try:
                if self._token_conn is None:
                    self._token_conn = self._engine.raw_connection()
                    if self._postgres:
                        self._token_conn.driver_connection.autocommit = True
                cursor = self._token_conn.cursor()
                try:
                    cursor.execute(_TOKEN_SQL[self._postgres])
                    return int(cursor.fetchone()[0])
                finally:
                    cursor.close()
            except Exception:
                # A dropped connection (a restarted database): start over next time, and
                # answer through the pool now.
                self._drop_token_conn()
        # The log head changes with every write too; on SQLite it is negated so that it can
        # never equal a data_version read before or after.
        return self.head() if self._postgres else -1 - self.head()

    def _drop_token_conn(self) -> None:
        if self._token_conn is not None:
            with contextlib.suppress(Exception):  # it is being thrown away either way
                self._token_conn.invalidate()
            self._token_conn = None

    def close(self) -> None:
        self.reads.close()
        with self._token_lock:
            if self._token_conn is not None:
                self._token_conn.close()
                self._token_conn = None

    @contextmanager
    def write(self, *names: str) -> Iterator[SqlWriteSession]:
        if self._postgres:
            with self._transaction(names) as session:
                yield session
            return
        # SQLite has one writer at a time. Threads of this process queue on a lock, handed
        # over at once; left to SQLite's busy handler they would sleep and poll (up to
        # 100 ms a turn), which made 8 concurrent publishers slower than one.
        with self._write_lock, self._transaction(names) as session:
            yield session

    @contextmanager
    def _transaction(self, names: tuple[str, ...]) -> Iterator[SqlWriteSession]:
        with self._engine.connect() as conn:
            conn = conn.execution_options(**{WRITE: True})
            if not self._postgres and not conn.connection.info.get(_WRITE_CACHE):
                # Large writes (an import, a mirror's sync) touch index pages all over the
                # tables; SQLite's default 2 MB page cache re-reads them from the file. Only
                # connections that write get the larger cache, and SQLite fills it on demand.
                # Their commits also fold the WAL into the database (a checkpoint, with two
                # fsyncs) only once it holds 40 MB rather than 4 MB: a mirror's first sync of
                # 100,000 versions spent a fifth of its time in checkpoints.
                cursor = conn.connection.cursor()
                cursor.execute(f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
                cursor.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
                cursor.close()
                conn.connection.info[_WRITE_CACHE] = True
            with conn.begin():
                if self._postgres:
                    # Sorted, so two writers that lock the same names never deadlock.
                    for key in sorted({advisory_key(n) for n in names}):
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
                session = SqlWriteSession(conn, search_index=not self._postgres)
                yield session
                session.finish()

    def list_page(self, q: ListQuery) -> list[VersionView]:
        where: list[str] = []
        params: dict[str, Any] = {"limit": q.limit}
        if not q.include_deleted:
            where.append(reads.LIVE)
        if q.latest_only:
            where.append(reads.LATEST)
        if q.version is not None:
            where.append("version = :version")
            params["version"] = q.version
        if q.updated_since is not None:
            where.append("updated_at > :updated_since")
            params["updated_since"] = self.reads.time_param(q.updated_since)
        if q.search:
            where.append(self._search(q.search, params))
        if q.cursor_name is not None:
            params["cursor_name"] = q.cursor_name
            if q.cursor_version is None:
                where.append("name > :cursor_name")
            else:
                where.append(reads.AFTER)
                params["cursor_version"] = q.cursor_version
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        sql = f"{reads.SELECT_VIEWS}{condition} {reads.LIST_ORDER} LIMIT :limit"
        return self.reads.views(sql, params)

    def _search(self, term: str, params: dict[str, Any]) -> str:
        """Case-insensitive substring of name or description, through the
        backend's trigram index where that is the cheaper way; adds its parameters."""
        folded = term.lower()
        params["pattern"] = like_pattern(folded)
        if self._postgres:
            # ILIKE folds the ASCII of names (the name rules allow nothing else); descriptions
            # are folded already. Both are served by trigram GIN indexes.
            return (
                "(name ILIKE :pattern ESCAPE '\\' OR description_folded LIKE :pattern ESCAPE '\\')"
            )
        rowids = self._matching_rowids(folded, params["pattern"])
        if rowids is None:
            # Many matches: walking the list in order fills a page after a few rows.
            # SQLite's LIKE ignores ASCII case, which is all a name can have.
            return (
                "(name LIKE :pattern ESCAPE '\\' OR description_folded LIKE :pattern ESCAPE '\\')"
            )
        # Few: read exactly those rows.
        params["rowids"] = json.dumps(rowids)
        return _BY_ROWIDS

    def _matching_rowids(self, folded: str, pattern: str) -> list[int] | None:
        """The search index rows of every version matching, or None when there are more
        than SELECTIVE."""
        if len(folded) < 3:
            # Shorter than a trigram: the index cannot narrow it down, but its rows are a
            # small fraction of the table's, so scanning them is the cheaper full pass.
            found = self.reads.rows(_BY_SCAN, {"pattern": pattern, "enough": SELECTIVE + 1})
        else:
            # Row numbers come from the index alone; only a few are then looked up.
            found = self.reads.rows(
                _BY_TRIGRAMS, {"phrase": _phrase(folded), "enough": SELECTIVE + 1}
            )
        return [r[0] for r in found] if len(found) <= SELECTIVE else None

    def versions_by_name(self, name: str, include_deleted: bool) -> list[VersionView]:
        live = "" if include_deleted else f" AND {reads.LIVE}"
        sql = f"{reads.SELECT_VIEWS} WHERE name = :name{live} {_NEWEST_FIRST}"
        return self.reads.views(sql, {"name": name})

    def find_version(self, name: str, version: str, include_deleted: bool) -> VersionView | None:
        live = "" if include_deleted else f" AND {reads.LIVE}"
        sql = f"{reads.SELECT_VIEWS} WHERE name = :name AND version = :version{live}"
        rows = self.reads.views(sql, {"name": name, "version": version})
        return rows[0] if rows else None

    def find_latest(self, name: str, include_deleted: bool) -> VersionView | None:
        live = "" if include_deleted else f" AND {reads.LIVE}"
        sql = f"{reads.SELECT_VIEWS} WHERE name = :name AND {reads.LATEST}{live} LIMIT 1"
        rows = self.reads.views(sql, {"name": name})
        return rows[0] if rows else None

    def iter_all(self) -> Iterator[VersionView]:
        # Paged by key, so a large registry streams without holding one long read open.
        first = f"{reads.SELECT_VIEWS} {reads.LIST_ORDER} LIMIT 1000"
        after = f"{reads.SELECT_VIEWS} WHERE {reads.AFTER} {reads.LIST_ORDER} LIMIT 1000"
        page = self.reads.views(first)
        while page:
            yield from page
            last = page[-1]
            page = self.reads.views(
                after, {"cursor_name": last.name, "cursor_version": last.version}
            )

    def head(self) -> int:
        return int(self.reads.rows(_HEAD)[0][0])

    def changes_since(self, since: int, limit: int) -> list[ChangeEntry]:
        # The versions as they now stand, joined in: one statement, one snapshot.
        rows = self.reads.rows(_CHANGES_SINCE, {"since": since, "limit": limit})
        view = self.reads.view
        time = self.reads.time_value
        return [
            ChangeEntry(
                r[0],
                r[1],
                time(r[2]),
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                view(r[8:]) if r[8] is not None else None,
            )
            for r in rows
        ]

    def versions_by_server_id(self, server_id: str, include_deleted: bool) -> list[VersionView]:
        live = "" if include_deleted else f" AND {reads.LIVE}"
        sql = f"{reads.SELECT_VIEWS} WHERE server_id = :sid{live} {_NEWEST_FIRST}"
        return self.reads.views(sql, {"sid": server_id})

    def latest_by_server_id(self, server_id: str, include_deleted: bool) -> VersionView | None:
        live = "" if include_deleted else f" AND {reads.LIVE}"
        sql = f"{reads.SELECT_VIEWS} WHERE server_id = :sid AND {reads.LATEST}{live} LIMIT 1"
        rows = self.reads.views(sql, {"sid": server_id})
        return rows[0] if rows else None

    def moved_to(self, name: str) -> str | None:
        rows = self.reads.rows(_MOVED_TO, {"name": name})
        return str(rows[0][0]) if rows else None

    def list_upstreams(self) -> list[Upstream]:
        with self._engine.connect() as conn:
            return mirroring.list_upstreams(conn)

    def get_upstream(self, name: str) -> Upstream | None:
        with self._engine.connect() as conn:
            return mirroring.get_upstream(conn, name)

    def server_upstream(self, name: str) -> tuple[str, str | None] | None:
        with self._engine.connect() as conn:
            return mirroring.server_upstream(conn, name)

    def find_offer(self, offer_id: str) -> TransferOffer | None:
        rows = self.reads.rows(_OFFER, {"id": offer_id})
        if not rows:
            return None
        r = rows[0]
        time = self.reads.time_value
        return TransferOffer(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            time(r[5]),
            time(r[6]),
            time(r[7]) if r[7] is not None else None,
            r[8],
        )
