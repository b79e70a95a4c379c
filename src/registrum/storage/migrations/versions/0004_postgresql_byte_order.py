"""PostgreSQL: names and versions compare byte by byte (collation "C"), as on SQLite.

The list endpoint orders and pages by (name, version) and its cursor is a comparison on
them; with a database's default linguistic collation (en_US.UTF-8, ...) the order would
depend on how the server was installed and differ from SQLite's. "C" makes it the same
everywhere, and lets the (name, version) index serve the keyset comparison.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("servers", "name", "varchar(200)"),
    ("server_versions", "name", "varchar(200)"),
    ("server_versions", "version", "varchar(255)"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite compares text with BINARY already
    for table, column, kind in _COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind} COLLATE "C"')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, kind in _COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind} COLLATE "default"')
