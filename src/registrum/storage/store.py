"""SqlServerStore: the :class:`registrum.core.ports.ServerStore` port on SQLAlchemy Core and
the database driver, one object per concept, with the dialect's differences kept in
:mod:`registrum.storage.dialects`.

Reads select plain tuples (no ORM objects) and hand the stored JSON text through untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from registrum.storage.changelog import Journal, SqlChangeLog, SqlChangeLogReads
from registrum.storage.dialects import Dialect, dialect_of
from registrum.storage.engine import WRITE
from registrum.storage.listing import SqlVersionReads
from registrum.storage.mirroring import SqlStaging, SqlUpstreamReads, SqlUpstreams
from registrum.storage.names import SqlNameReads, SqlNames
from registrum.storage.reads import ReadLine
from registrum.storage.search import SqlSearchReads, refresh
from registrum.storage.servers import SqlServers
from registrum.storage.versions import SqlVersions


class SqlWriteSession:
    """One write transaction on ``conn``, by concept."""

    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        journal = self._journal = Journal()
        self._conn = conn
        self._dialect = dialect
        self.connection = conn  # for what no concept owns (tests inspect its settings)
        self.servers = SqlServers(conn, dialect)
        self.log = SqlChangeLog(conn, dialect, journal)
        self.versions = SqlVersions(conn, dialect, self.log, journal)
        self.names = SqlNames(conn, journal)
        self.upstreams = SqlUpstreams(conn)
        self.staging = SqlStaging(conn, dialect)

    def finish(self) -> None:
        """Before commit: the log's latest-moved entries, then ranked search's rows of every
        server the transaction touched."""
        self.log.finish()
        refresh(self._conn, self._dialect, self._journal)


class SqlServerStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.dialect = dialect_of(engine)
        self.reads = ReadLine(engine, self.dialect)
        self.versions = SqlVersionReads(self.reads)
        self.log = SqlChangeLogReads(engine, self.reads)
        self.names = SqlNameReads(self.reads)
        self.upstreams = SqlUpstreamReads(engine)
        self.search = SqlSearchReads(self.reads)

    def close(self) -> None:
        self.reads.close()
        self.log.close()

    @contextmanager
    def write(self, *names: str) -> Iterator[SqlWriteSession]:
        dialect = self.dialect
        with dialect.writer_turn(), self._engine.connect() as conn:
            conn = conn.execution_options(**{WRITE: True})
            dialect.prepare_writer(conn)
            with conn.begin():
                dialect.lock_names(conn, names)
                session = SqlWriteSession(conn, dialect)
                yield session
                session.finish()
