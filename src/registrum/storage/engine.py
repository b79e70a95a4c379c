"""Engine creation and migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

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
