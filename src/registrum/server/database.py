"""Which database an operator command works on, and whether it holds a registry yet.

Operator commands run in whatever folder the operator happens to be in; a command that opened
(and so created) a database there would quietly work on an empty registry. These helpers let
the commands name their database and refuse one that was never set up.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from registrum.storage import engine as storage_engine
from registrum.storage.dialects import sqlite_file


def display(url: str) -> str:
    """The URL as an operator should see it: a SQLite file by its absolute path (so the
    folder it was resolved in shows), any password masked."""
    path = sqlite_file(url)
    if path is not None:
        return f"sqlite:///{path}"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def holds_registry(url: str) -> bool:
    """Whether the database exists and Registrum's migrations have run in it. Creates
    nothing; a database server that cannot be reached raises (the caller reports it)."""
    return storage_engine.holds_registry(url)


def is_file(url: str) -> bool:
    """Whether the database is a file (SQLite) rather than a server."""
    return sqlite_file(url) is not None
