"""Everything that differs between SQLite and PostgreSQL, in one place.

The rest of storage writes SQL once, in the dialect both backends share, and asks the
:class:`Dialect` of its engine wherever they part: how writers take turns, how search finds
rows, what the driver's placeholders look like, what values come back, how many rows go in
at once. :func:`dialect_of` is the only place that looks at the engine's name.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Protocol

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Engine,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.type_api import TypeEngine

from registrum.core.status import STATUS_OF
from registrum.core.wire import VersionView

Rows = Callable[[str, dict[str, Any]], list[Any]]
Convert = Callable[[Any], Any] | None

# The execution option that marks a connection about to write (SQLite begins it IMMEDIATE).
WRITE: Final = "registrum_write"
_PLACEHOLDER: Final = re.compile(r":(\w+)")

# Below this many matches a search on SQLite goes through its trigram index; at or above it,
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
_SUBSTRING = "(name {like} :pattern ESCAPE '\\' OR description_folded LIKE :pattern ESCAPE '\\')"

# SQLite: the page cache of connections that write, and how large the WAL grows before a
# commit folds it into the database.
WRITE_CACHE_KIB = 64 * 1024
CHECKPOINT_PAGES = 10_000
_WRITE_CACHE = "registrum_write_cache"

# PostgreSQL: from this many rows on, COPY (no statement per row to parse and plan).
# Statements of many rows each were slower than one a row (100,000 versions mirrored in
# 74 s instead of 52).
COPY_FROM = 50


def like_pattern(term: str) -> str:
    """A LIKE pattern that matches ``term`` literally, anywhere: ``%`` and ``_`` are not
    wildcards for the user: search is a plain substring match."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def advisory_key(name: str) -> int:
    # A stable 63-bit key per server name for pg_advisory_xact_lock.
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest()) >> 1


def _phrase(folded: str) -> str:
    """An FTS5 phrase matching ``folded`` literally: with the trigram tokenizer a phrase is
    a substring."""
    return '"' + folded.replace('"', '""') + '"'


def sqlite_param_time(value: datetime) -> str:
    """A timestamp as SQLAlchemy stores it on SQLite, so text comparison orders it."""
    return value.isoformat(sep=" ", timespec="microseconds")


@lru_cache(maxsize=4096)
def _sqlite_time_param(value: datetime | None) -> str | None:
    # Cached: a batch's rows share a few timestamps (when it was synced or written).
    return None if value is None else sqlite_param_time(value)


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


_sqlite_time: Final = datetime.fromisoformat  # stored as SQLAlchemy writes it: ISO 8601


def stored_view(row: Sequence[Any]) -> VersionView:
    """A version row (the VIEW_COLUMNS of storage/versions.py) whose values came through
    SQLAlchemy's types, or from a driver that returns them as Python values already."""
    return VersionView(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        STATUS_OF[row[5]],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        row[14],
    )


def _sqlite_view(row: Sequence[Any]) -> VersionView:
    return VersionView(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        STATUS_OF[row[5]],
        row[6],
        _sqlite_time(row[7]),
        _sqlite_time(row[8]),
        _sqlite_time(row[9]),
        bool(row[10]),
        row[11],
        row[12],
        row[13],
        row[14],
    )


def normalise_url(url: str) -> str:
    """Accept the URL forms operators write and give SQLAlchemy the driver it should use."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or another backend."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().absolute()


class AsyncScalar(Protocol):
    """Reads one number without blocking the event loop."""

    async def __call__(self, sql: str) -> int: ...

    def close(self) -> None: ...


class Dialect:
    """What one backend does its own way. Subclasses: :class:`Sqlite`, :class:`Postgres`."""

    name: str
    # Whether storage writes the search index itself (SQLite's FTS5 table); PostgreSQL's
    # trigram indexes keep themselves up to date.
    writes_search_index: bool
    # What the change token reads (ServerStore.log.change_token).
    data_version_sql: str
    # Ranked search (storage/search.py): whether parameter ``param`` is a substring of
    # ``text``, exactly; the function giving the larger of its arguments.
    contains_sql: str
    greatest_sql: str
    # The driver's placeholder for bulk inserts.
    mark: str
    # Whether a read is a local file read (cheap enough to run on the event loop) rather
    # than a round trip to a server.
    local_reads: bool

    @staticmethod
    def create_engine(url: str) -> Engine:
        """An engine for ``url`` (a SQLAlchemy URL of this backend), set up for Registrum."""
        raise NotImplementedError

    def holds_registry(self, url: str, table: str) -> bool:
        """Whether the database at ``url`` exists and has ``table``. Creates nothing."""
        engine = self.create_engine(url)
        try:
            with engine.connect() as connection:
                return bool(inspect(connection).has_table(table))
        finally:
            engine.dispose()

    # Writes ----------------------------------------------------------------------------

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """Held around a write transaction of this process."""
        yield

    def prepare_writer(self, conn: Connection) -> None:
        """Settings of a connection about to write, set once per connection."""

    def lock_names(self, conn: Connection, names: Sequence[str]) -> None:
        """Inside a transaction: serialise writers of the same server names."""

    def upsert(self, table: Table) -> Any:
        """An INSERT construct of ``table`` with ON CONFLICT support."""
        raise NotImplementedError

    def convert(self, kind: TypeEngine[Any]) -> Convert:
        """What a value of a column of that type goes through for the driver (None:
        nothing)."""
        return None

    def copies(self, rows: int) -> bool:
        """Whether a bulk insert of that many rows goes through COPY."""
        return False

    # Reads -----------------------------------------------------------------------------

    def driver_sql(self, sql: str) -> str:
        """``sql`` with ``:name`` placeholders, in the driver's own parameter style."""
        return sql

    def prepare_reader(self, driver_conn: Any) -> None:
        """Settings of a driver connection kept for reads."""

    def prepare_token_reader(self, driver_conn: Any) -> None:
        """Settings of the driver connection that reads the change token."""

    def token_from_head(self, head: int) -> int:
        """The change token from the log head, when the token connection is lost."""
        return head

    def view(self, row: Sequence[Any]) -> VersionView:
        return stored_view(row)

    def time_value(self, value: Any) -> datetime:
        """A timestamp column's value, as the driver returns it, as a datetime."""
        return value  # type: ignore[no-any-return]

    def time_param(self, value: datetime) -> Any:
        return value

    def connection_lost(self, exc: Exception, driver_conn: Any) -> bool:
        """Whether ``exc`` means the connection is gone (and a retry on a new one may do)."""
        return False

    def async_reader(self, engine: Engine) -> AsyncScalar | None:
        """Where reads cross a network: a reader of one number that awaits the database
        on the event loop instead of blocking it (the response cache asks for the change
        token on every request). None where reads are local."""
        return None

    def search(self, term: str, params: dict[str, Any], rows: Rows) -> str:
        """A WHERE term finding ``term`` as a case-insensitive substring of name or
        description; adds its parameters. ``rows`` runs a read."""
        raise NotImplementedError


class Sqlite(Dialect):
    name = "sqlite"
    writes_search_index = True
    # Changes whenever another connection, of any process, commits: a read of shared memory.
    data_version_sql = "PRAGMA data_version"
    contains_sql = "instr({text}, :{param}) > 0"
    greatest_sql = "max"
    mark = "?"
    local_reads = True

    @staticmethod
    def create_engine(url: str) -> Engine:
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            # Take transaction control from the sqlite3 module so BEGIN is ours to choose.
            dbapi_conn.isolation_level = None
            # SQLite's built-in lower() folds ASCII only; search must be case-insensitive
            # for every script, as ILIKE is on PostgreSQL.
            dbapi_conn.create_function("lower", 1, _unicode_lower, deterministic=True)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a committed transaction survives a process crash (kill -9);
            # only a power loss can take the last few back.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Writers take the database write lock at BEGIN, so two writers never both read
            # the same state and then collide at commit; readers stay lock-free (WAL).
            if conn.get_execution_options().get(WRITE):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine

    def holds_registry(self, url: str, table: str) -> bool:
        path = sqlite_file(url)
        if path is None:
            return True  # in memory: always new, nothing to point at
        if not path.is_file():
            return False
        # mode=rw, not ro: it still never creates the file, and a read-write connection
        # removes the WAL's side files when it closes, where a read-only one leaves them.
        conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True)
        try:
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
        finally:
            conn.close()
        return row is not None

    def __init__(self) -> None:
        # SQLite has one writer at a time. Threads of this process queue on a lock, handed
        # over at once; left to SQLite's busy handler they would sleep and poll (up to
        # 100 ms a turn), which made 8 concurrent publishers slower than one.
        self._write_lock = threading.Lock()

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        with self._write_lock:
            yield

    def prepare_writer(self, conn: Connection) -> None:
        info = conn.connection.info
        if info.get(_WRITE_CACHE):
            return
        # Large writes (an import, a mirror's sync) touch index pages all over the tables;
        # SQLite's default 2 MB page cache re-reads them from the file. Only connections that
        # write get the larger cache, and SQLite fills it on demand. Their commits also fold
        # the WAL into the database (a checkpoint, with two fsyncs) only once it holds 40 MB
        # rather than 4 MB: a mirror's first sync of 100,000 versions spent a fifth of its
        # time in checkpoints.
        cursor = conn.connection.cursor()
        cursor.execute(f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        cursor.close()
        info[_WRITE_CACHE] = True

    def upsert(self, table: Table) -> Any:
        return sqlite.insert(table)

    def convert(self, kind: TypeEngine[Any]) -> Convert:
        if isinstance(kind, DateTime):
            return _sqlite_time_param
        if isinstance(kind, Boolean):
            return _sqlite_bool
        return None

    def token_from_head(self, head: int) -> int:
        # Negated, so that it can never equal a data_version read before or after.
        return -1 - head

    def view(self, row: Sequence[Any]) -> VersionView:
        # Timestamps come back as the text SQLAlchemy stored, booleans as 0/1.
        return _sqlite_view(row)

    def time_value(self, value: Any) -> datetime:
        return _sqlite_time(value)

    def time_param(self, value: datetime) -> Any:
        return sqlite_param_time(value)

    def search(self, term: str, params: dict[str, Any], rows: Rows) -> str:
        folded = term.lower()
        params["pattern"] = like_pattern(folded)
        rowids = self._matching_rowids(folded, params["pattern"], rows)
        if rowids is None:
            # Many matches: walking the list in order fills a page after a few rows.
            # SQLite's LIKE ignores ASCII case, which is all a name can have.
            return _SUBSTRING.format(like="LIKE")
        # Few: read exactly those rows.
        params["rowids"] = json.dumps(rowids)
        return _BY_ROWIDS

    @staticmethod
    def _matching_rowids(folded: str, pattern: str, rows: Rows) -> list[int] | None:
        """The search index rows of every version matching, or None when there are more
        than SELECTIVE."""
        if len(folded) < 3:
            # Shorter than a trigram: the index cannot narrow it down, but its rows are a
            # small fraction of the table's, so scanning them is the cheaper full pass.
            found = rows(_BY_SCAN, {"pattern": pattern, "enough": SELECTIVE + 1})
        else:
            # Row numbers come from the index alone; only a few are then looked up.
            found = rows(_BY_TRIGRAMS, {"phrase": _phrase(folded), "enough": SELECTIVE + 1})
        return [r[0] for r in found] if len(found) <= SELECTIVE else None


class Postgres(Dialect):
    name = "postgresql"
    writes_search_index = False
    # The log head: one indexed row, bumped by every write.
    data_version_sql = "SELECT seq FROM log_head WHERE id = 1"
    contains_sql = "strpos({text}, :{param}) > 0"
    greatest_sql = "GREATEST"
    mark = "%s"
    local_reads = False

    @staticmethod
    def create_engine(url: str) -> Engine:
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            # Timestamps are stored without a zone and meant as UTC: a server or database
            # whose default time zone is another must not shift them on the way in or out.
            # Custom plans always: a prepared statement's generic plan cannot see a search
            # pattern, and would skip the trigram indexes for it.
            connect_args={"options": "-c timezone=UTC -c plan_cache_mode=force_custom_plan"},
        )

    def lock_names(self, conn: Connection, names: Sequence[str]) -> None:
        # Sorted, so two writers that lock the same names never deadlock.
        for key in sorted({advisory_key(n) for n in names}):
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    def upsert(self, table: Table) -> Any:
        return postgresql.insert(table)

    def copies(self, rows: int) -> bool:
        return rows >= COPY_FROM

    def driver_sql(self, sql: str) -> str:
        return _PLACEHOLDER.sub(r"%(\1)s", sql)

    def prepare_reader(self, driver_conn: Any) -> None:
        # No transaction held open between reads: nothing pins old row versions or blocks DDL.
        driver_conn.autocommit = True

    prepare_token_reader = prepare_reader

    def connection_lost(self, exc: Exception, driver_conn: Any) -> bool:
        import psycopg  # only a PostgreSQL store has psycopg to import

        return isinstance(exc, psycopg.OperationalError) and bool(
            driver_conn is None or driver_conn.closed
        )

    def async_reader(self, engine: Engine) -> AsyncScalar | None:
        from registrum.storage.async_reads import PostgresScalar

        return PostgresScalar(engine)

    def search(self, term: str, params: dict[str, Any], rows: Rows) -> str:
        params["pattern"] = like_pattern(term.lower())
        # ILIKE folds the ASCII of names (the name rules allow nothing else); descriptions
        # are folded already. Both are served by trigram GIN indexes.
        return _SUBSTRING.format(like="ILIKE")


def _named(backend: str) -> Dialect:
    return Postgres() if backend == "postgresql" else Sqlite()


def dialect_of(engine: Engine) -> Dialect:
    """The dialect object of an engine (SQLite or PostgreSQL)."""
    return _named(engine.dialect.name)


def dialect_for(url: str) -> Dialect:
    """The dialect object for a (normalised) database URL."""
    return _named(make_url(url).get_backend_name())
