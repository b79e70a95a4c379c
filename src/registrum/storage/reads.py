"""The read path, on the database driver itself.

Every API read is one indexed statement and a few dozen rows. Through SQLAlchemy Core, a
connection checkout, statement compilation, parameter processing and result wrapping cost
three times the query itself on SQLite (0.5 ms of a 0.7 ms list call), so reads skip it: each
thread keeps one driver connection of its own, in autocommit (no transaction held open
between reads), and runs plain SQL whose text is built once per query shape. Writes keep
SQLAlchemy: they are few, and transactions matter there more than microseconds.

The SQL is written once, in the dialect both backends share; placeholders and returned values
differ, and the :class:`~registrum.storage.dialects.Dialect` converts them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Engine

from registrum.core.status import Status
from registrum.core.wire import VersionView
from registrum.storage.dialects import Dialect

# A VersionView's columns, in order. updatedAt is the origin's for an ingested version not
# changed here (migration 0010).
_VIEW_COLUMNS: Final = (
    "server_id",
    "id",
    "name",
    "version",
    "body",
    "status",
    "status_message",
    "status_changed_at",
    "published_at",
    "COALESCE({t}origin_updated_at, {t}updated_at)",
    "is_latest",
    "seq",
    "previous_names",
    "source",
    "warnings",
)


def view_columns(table: str = "") -> str:
    """The select list of a VersionView, its columns qualified by ``table`` if given."""
    prefix = f"{table}." if table else ""
    return ", ".join(c.format(t=prefix) if "{t}" in c else f"{prefix}{c}" for c in _VIEW_COLUMNS)


COLUMNS: Final = view_columns()
SELECT_VIEWS: Final = f"SELECT {COLUMNS} FROM server_versions"  # noqa: S608 - constant text
LIVE: Final = f"status != '{Status.DELETED.value}'"
# Spelled as the partial indexes' own predicate: SQLite uses a partial index only for a term
# identical to its WHERE.
LATEST: Final = "is_latest"
# Rows after (name, version) in list order. The leading `name >= :cursor_name` is implied by
# the rest but gives the planner a range to start the index scan at: with the OR alone, SQLite
# planned a bound-parameter cursor as a scan from the first row.
AFTER: Final = (
    "name >= :cursor_name AND (name > :cursor_name "
    "OR (name = :cursor_name AND version > :cursor_version))"
)
LIST_ORDER: Final = "ORDER BY name, version"
NEWEST_FIRST: Final = "ORDER BY published_at DESC, version DESC"


class ReadLine:
    """Per-thread driver connections for reads, outside SQLAlchemy's pool."""

    def __init__(self, engine: Engine, dialect: Dialect) -> None:
        self._engine = engine
        self.dialect = dialect
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[Any] = []
        self._sql: dict[str, str] = {}

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # Checked out once and detached: the pool's connect hooks have run (pragmas, the
            # Unicode lower(), PostgreSQL's session options), but the pool no longer counts
            # it, so a long-lived reader never starves writers of pooled connections.
            fairy = self._engine.raw_connection()
            conn = fairy.driver_connection
            fairy.detach()
            if conn is None:
                raise RuntimeError("the database driver gave no connection")
            self.dialect.prepare_reader(conn)
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._open:
                    self._open.remove(conn)
            with contextlib.suppress(Exception):  # being thrown away either way
                conn.close()

    def _text(self, sql: str) -> str:
        found = self._sql.get(sql)
        if found is None:
            found = self._sql[sql] = self.dialect.driver_sql(sql)
        return found

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Run one read; a connection lost since the last read (a restarted PostgreSQL) is
        replaced and the read tried once more."""
        statement = self._text(sql)
        for attempt in (1, 2):
            conn = self._connection()
            try:
                cursor = conn.cursor()
                try:
                    cursor.execute(statement, params or {})
                    return list(cursor.fetchall())
                finally:
                    cursor.close()
            except Exception as exc:
                if attempt == 2 or not self.dialect.connection_lost(exc, conn):
                    raise
                self._drop()
        raise AssertionError("unreachable")

    def views(self, sql: str, params: dict[str, Any] | None = None) -> list[VersionView]:
        view = self.dialect.view
        return [view(row) for row in self.rows(sql, params)]

    def view(self, row: Sequence[Any]) -> VersionView:
        return self.dialect.view(row)

    def close(self) -> None:
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()
