"""Many-row inserts on the database driver.

SQLAlchemy's ``execute(table.insert(), rows)`` processes every value of every row through its
type system before the driver sees it; for the thousands of rows a mirror sync or an import
writes at once that was a fifth of the time. Here the statement is rendered once per table
and column set, the few values the driver cannot take as they are (timestamps and booleans
on SQLite) are converted by column type, and the rows go to the driver: SQLite's
``executemany``, or PostgreSQL's ``COPY`` for more than a few rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Boolean, Connection, DateTime, Table

from registrum.storage.reads import sqlite_param_time

Convert = Callable[[Any], Any] | None

# PostgreSQL: from this many rows on, COPY (no statement per row to parse and plan).
# Statements of many rows each were slower than one a row (100,000 versions mirrored in
# 74 s instead of 52).
_COPY_FROM = 50


@lru_cache(maxsize=4096)
def _sqlite_time(value: datetime | None) -> str | None:
    # Cached: a batch's rows share a few timestamps (when it was synced or written).
    return None if value is None else sqlite_param_time(value)


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _on_conflict(columns: tuple[str, ...], conflict: tuple[str, ...] | None) -> str:
    if conflict is None:
        return ""
    keys = ", ".join(f'"{c}"' for c in conflict)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in conflict)
    return f" ON CONFLICT ({keys}) DO UPDATE SET {updates}"


@cache
def _statement(
    dialect: str, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...] | None
) -> str:
    """An INSERT of one row of ``columns``, in the driver's parameter style."""
    mark = "?" if dialect == "sqlite" else "%s"
    names = ", ".join(f'"{c}"' for c in columns)
    values = "(" + ", ".join(mark for _ in columns) + ")"
    # Table and column names come from the models, never from input.
    insert = f'INSERT INTO "{table.name}" ({names}) VALUES {values}'  # noqa: S608
    return insert + _on_conflict(columns, conflict)


@cache
def _converts(dialect: str, table: Table, columns: tuple[str, ...]) -> tuple[Convert, ...]:
    """What each column's values go through for the driver (None: nothing)."""
    converts: list[Convert] = []
    for name in columns:
        kind = table.c[name].type
        if dialect == "sqlite" and isinstance(kind, DateTime):
            converts.append(_sqlite_time)
        elif dialect == "sqlite" and isinstance(kind, Boolean):
            converts.append(_sqlite_bool)
        else:
            converts.append(None)
    return tuple(converts)


def insert_many(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: tuple[str, ...] | None = None,
) -> None:
    """Insert ``rows`` (all with the same keys, columns of ``table``); with ``conflict``
    (the primary key's columns), a row whose key exists replaces the other columns (a key
    may then appear once only)."""
    if not rows:
        return
    dialect = conn.dialect.name
    columns = tuple(rows[0])
    converts = _converts(dialect, table, columns)
    if any(converts):
        pairs = list(zip(columns, converts, strict=True))
        params = [tuple(row[c] if f is None else f(row[c]) for c, f in pairs) for row in rows]
    else:
        params = [tuple(row[c] for c in columns) for row in rows]
    if dialect == "postgresql" and len(params) >= _COPY_FROM:
        _copy(conn, table, columns, conflict, params)
        return
    # SQLite's executemany steps one prepared statement in a loop in C.
    conn.exec_driver_sql(_statement(dialect, table, columns, conflict), params)


def _copy(
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    conflict: tuple[str, ...] | None,
    params: list[tuple[Any, ...]],
) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    driver = conn.connection.driver_connection  # psycopg, in the same transaction
    if driver is None:
        raise RuntimeError("the database connection is closed")
    cursor = driver.cursor()
    try:
        target = f'"{table.name}"'
        if conflict is not None:
            # COPY cannot upsert: the rows go through a temporary table of the same shape.
            target = f'"_bulk_{table.name}"'
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {target} "
                f'(LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS'
            )
        with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
        if conflict is not None:
            insert = f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {target}'  # noqa: S608
            cursor.execute(insert + _on_conflict(columns, conflict))
            cursor.execute(f"TRUNCATE {target}")
    finally:
        cursor.close()
