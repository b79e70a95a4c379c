"""Which database an operator command works on, and whether it holds a registry yet.

Operator commands run in whatever folder the operator happens to be in; a command that opened
(and so created) a database there would quietly work on an empty registry. These helpers let
the commands name their database and refuse one that was never set up.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from registrum.storage import engine as storage_engine

# Alembic's bookkeeping table: present once the first migration ran, in every Registrum
# database whatever its version.
MIGRATIONS_TABLE = "alembic_version"


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for an in-memory database or another backend)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().absolute()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def display(url: str) -> str:
    """The URL as an operator should see it: a SQLite file by its absolute path (so the
    folder it was resolved in shows), any password masked."""
    path = _sqlite_path(url)
    if path is not None:
        return f"sqlite:///{path}"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def holds_registry(url: str) -> bool:
    """Whether the database exists and Registrum's migrations have run in it. Creates
    nothing: a SQLite file is opened only if it is there, and never created. A PostgreSQL
    server that cannot be reached raises (the caller reports it)."""
    if is_sqlite(url):
        path = _sqlite_path(url)
        if path is None:
            return True  # in memory: always new, nothing to point at
        if not path.is_file():
            return False
        # mode=rw, not ro: it still never creates the file, and a read-write connection
        # removes the WAL's side files when it closes, where a read-only one leaves them.
        conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True)
        try:
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (MIGRATIONS_TABLE,),
            ).fetchone()
        finally:
            conn.close()
        return row is not None
    engine = storage_engine.create(url)
    try:
        with engine.connect() as connection:
            return bool(inspect(connection).has_table(MIGRATIONS_TABLE))
    finally:
        engine.dispose()
