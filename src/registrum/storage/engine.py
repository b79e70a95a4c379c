"""Engine creation and migrations."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from registrum.storage.dialects import WRITE, dialect_for, normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's bookkeeping table: present once the first migration ran, in every Registrum
# database whatever its version.
MIGRATIONS_TABLE = "alembic_version"
__all__ = [
    "MIGRATIONS",
    "WRITE",
    "alembic_config",
    "create",
    "holds_registry",
    "migrate",
    "normalise_url",
    "readiness_problems",
]


def create(url: str) -> Engine:
    """An engine for ``url``, set up the way its backend wants (see storage/dialects.py)."""
    url = normalise_url(url)
    return dialect_for(url).create_engine(url)


def holds_registry(url: str) -> bool:
    """Whether the database exists and Registrum's migrations have run in it (Alembic's
    bookkeeping table is there). Creates nothing."""
    url = normalise_url(url)
    return dialect_for(url).holds_registry(url, MIGRATIONS_TABLE)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


@cache
def _head() -> str | None:
    """The newest migration this release ships (read from the scripts once)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def readiness_problems(engine: Engine) -> list[tuple[str, str]]:
    """What keeps the database from serving this release, as (check, problem) pairs: it
    cannot be reached, or its schema is not at this release's newest migration. Empty when
    ready. One connection and one small query."""
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc  # the driver's own message, not the SQL
        first = str(cause).strip().splitlines()
        why = first[0] if first else type(exc).__name__
        return [("database", f"the database cannot be reached: {why}")]
    head = _head()
    if current != head:
        return [
            (
                "migrations",
                f"the database schema is at revision {current or 'none'}, this release needs "
                f"{head}: `registrum serve` of this release migrates it at start-up",
            )
        ]
    return []
