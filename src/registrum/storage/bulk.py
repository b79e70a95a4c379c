"""Many-row inserts on the database driver.

SQLAlchemy's ``execute(table.insert(), rows)`` processes every value of every row through its
type system before the driver sees it; for the thousands of rows a mirror sync or an import
writes at once that was a fifth of the time. Here the statement is rendered once per table
and column set, the few values the driver cannot take as they are (timestamps and booleans
on SQLite) are converted by column type, and the rows go to the driver: SQLite's
``executemany``, or PostgreSQL's ``COPY`` for more than a few rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table

from registrum.storage.dialects import Convert, Dialect


def _on_conflict(columns: tuple[str, ...], conflict: tuple[str, ...] | None) -> str:
    if conflict is None:
        return ""
    keys = ", ".join(f'"{c}"' for c in conflict)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in conflict)
    return f" ON CONFLICT ({keys}) DO UPDATE SET {updates}"


@cache
def _statement(
    mark: str, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...] | None
) -> str:
    """An INSERT of one row of ``columns``, with the driver's placeholder ``mark``."""
    names = ", ".join(f'"{c}"' for c in columns)
    values = "(" + ", ".join(mark for _ in columns) + ")"
    # Table and column names come from the models, never from input.
    insert = f'INSERT INTO "{table.name}" ({names}) VALUES {values}'  # noqa: S608
    return insert + _on_conflict(columns, conflict)


@cache
def _converts(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> tuple[Convert, ...]:
    """What each column's values go through for the driver (None: nothing)."""
    return tuple(dialect.convert(table.c[name].type) for name in columns)


def insert_many(
    conn: Connection,
    dialect: Dialect,
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
    columns = tuple(rows[0])
    converts = _converts(dialect, table, columns)
    if any(converts):
        pairs = list(zip(columns, converts, strict=True))
        params = [tuple(row[c] if f is None else f(row[c]) for c, f in pairs) for row in rows]
    else:
        params = [tuple(row[c] for c in columns) for row in rows]
    if dialect.copies(len(params)):
        _copy(conn, table, columns, conflict, params)
        return
    # SQLite's executemany steps one prepared statement in a loop in C.
    conn.exec_driver_sql(_statement(dialect.mark, table, columns, conflict), params)


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
