"""The change log: one gap-free, commit-ordered sequence of every change.

Writers bump a single head row, so seqs are handed out in commit order and a reader that
sees head N has every entry up to N. Within a transaction the :class:`Journal` notes which
versions' latest flag moved and which have an entry of their own: the first without the
second get a ``latest-moved`` entry at commit, so every change of a version's served state
is in the log.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, update

from registrum.core.records import Change, ChangeEntry, ChangeKind
from registrum.storage import bulk
from registrum.storage.dialects import Dialect
from registrum.storage.reads import ReadLine, view_columns
from registrum.storage.tables import changes, log_head, server_versions

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
_INSERT = changes.insert()
_SET_SEQ = (
    update(server_versions)
    .where(server_versions.c.id == bindparam("vid"))
    .values(seq=bindparam("seq"))
)
_HEAD = "SELECT seq FROM log_head WHERE id = 1"
_SINCE = (
    "SELECT c.seq, c.kind, c.at, c.server_id, c.version_id, c.name, c.version, c.detail, "  # noqa: S608
    f"{view_columns('v')} FROM changes c LEFT JOIN server_versions v ON v.id = c.version_id "
    "WHERE c.seq > :since ORDER BY c.seq LIMIT :limit"
)


def _row(seq: int, change: Change) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": change.at,
        "kind": change.kind,
        "server_id": change.server_id,
        "version_id": change.version_id,
        "name": change.name,
        "version": change.version,
        "actor": change.actor,
        "detail": change.detail,
    }


class Journal:
    """What one transaction did to latest flags and the log (see the module's docstring)."""

    def __init__(self) -> None:
        self.moved: dict[str, tuple[str, str, str]] = {}  # version id -> (server, name, version)
        self.logged: set[str] = set()
        self.last: Change | None = None
        # What ranked search must refresh at commit (storage/search.py): servers whose
        # versions were inserted, flagged or renamed, and versions updated in place.
        self.servers_touched: set[str] = set()
        self.versions_touched: set[str] = set()


class SqlChangeLog:
    def __init__(self, conn: Connection, dialect: Dialect, journal: Journal) -> None:
        self._conn = conn
        self._dialect = dialect
        self._journal = journal

    def append(self, change: Change) -> int:
        seq = int(self._conn.execute(_BUMP_HEAD).scalar_one())
        self._conn.execute(_INSERT, _row(seq, change))
        if change.version_id is not None:
            self._conn.execute(_SET_SEQ, {"vid": change.version_id, "seq": seq})
            self._journal.logged.add(change.version_id)
        self._journal.last = change
        return seq

    def reserve(self, count: int) -> int:
        """``count`` consecutive seqs for ``append_reserved``; returns the first."""
        last = int(self._conn.execute(_BUMP_HEAD_BY, {"n": count}).scalar_one())
        return last - count + 1

    def append_reserved(self, first: int, entries: Sequence[Change]) -> None:
        """Entries under the seqs ``reserve`` gave, one statement; the versions they are
        about were stored with their seqs already."""
        rows = [_row(first + i, c) for i, c in enumerate(entries)]
        bulk.insert_many(self._conn, self._dialect, changes, rows)
        self._journal.logged.update(c.version_id for c in entries if c.version_id is not None)
        if entries:
            self._journal.last = entries[-1]

    def finish(self) -> None:
        """Before commit: log the latest-flag moves no other entry of this transaction
        covers, at the time and by the actor of the transaction's last entry."""
        journal = self._journal
        last = journal.last
        if last is None:
            return
        for vid, (sid, name, version) in list(journal.moved.items()):
            if vid not in journal.logged:
                self.append(
                    Change(ChangeKind.LATEST_MOVED, last.at, sid, vid, name, version, last.actor)
                )
        journal.moved.clear()


class SqlChangeLogReads:
    def __init__(self, engine: Engine, reads: ReadLine) -> None:
        self._engine = engine
        self._reads = reads
        self._dialect = reads.dialect
        self._token_lock = threading.Lock()
        self._token_conn: Any = None
        self._async = self._dialect.async_reader(engine)

    def head(self) -> int:
        return int(self._reads.rows(_HEAD)[0][0])

    def since(self, since: int, limit: int) -> list[ChangeEntry]:
        # The versions as they now stand, joined in: one statement, one snapshot.
        rows = self._reads.rows(_SINCE, {"since": since, "limit": limit})
        view = self._reads.view
        time = self._dialect.time_value
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

    def change_token(self) -> int:
        # Asked on every read request, so on a connection of its own, outside the pool: no
        # checkout, no pre-ping, no transaction left open.
        with self._token_lock:
            try:
                if self._token_conn is None:
                    self._token_conn = self._engine.raw_connection()
                    self._dialect.prepare_token_reader(self._token_conn.driver_connection)
                cursor = self._token_conn.cursor()
                try:
                    cursor.execute(self._dialect.data_version_sql)
                    return int(cursor.fetchone()[0])
                finally:
                    cursor.close()
            except Exception:
                # A dropped connection (a restarted database): start over next time, and
                # answer through the pool now.
                self._drop_token_conn()
        # The log head changes with every write too.
        return self._dialect.token_from_head(self.head())

    async def change_token_async(self) -> int:
        if self._async is None:
            return self.change_token()
        return await self._async(self._dialect.data_version_sql)

    async def head_async(self) -> int:
        if self._async is None:
            return self.head()
        return await self._async(_HEAD)

    def _drop_token_conn(self) -> None:
        if self._token_conn is not None:
            with contextlib.suppress(Exception):  # it is being thrown away either way
                self._token_conn.invalidate()
            self._token_conn = None

    def close(self) -> None:
        if self._async is not None:
            self._async.close()
        with self._token_lock:
            if self._token_conn is not None:
                self._token_conn.close()
                self._token_conn = None
