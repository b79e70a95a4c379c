"""Indexed search (a case-insensitive substring of the name or the description).

- ``server_versions.description_folded``: the description case-folded by the application
  (Python's ``str.lower``), so both backends fold every script the same way, whatever the
  database's locale. Names are ASCII by the name rules, so databases fold them correctly.
- PostgreSQL: trigram GIN indexes (pg_trgm) on the name and the folded description; they
  serve ``ILIKE``/``LIKE '%term%'``.
- SQLite: an FTS5 table with the trigram tokenizer over the same two texts, kept in step by
  triggers, so a substring query is an index look-up. (A trigram query needs 3 characters;
  shorter terms scan the index's rows, which are much smaller than the table's.)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 5000

_SQLITE_INDEX = [
    # version_id is carried along (UNINDEXED) so a match leads back to its row without
    # relying on SQLite rowids, which VACUUM may renumber.
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "version_id UNINDEXED, name, description, tokenize = 'trigram case_sensitive 1')",
    "CREATE TRIGGER search_index_insert AFTER INSERT ON server_versions BEGIN "
    "INSERT INTO search_index (version_id, name, description) "
    "VALUES (new.id, lower(new.name), new.description_folded); END",
    "CREATE TRIGGER search_index_update AFTER UPDATE OF name, description_folded "
    "ON server_versions BEGIN "
    "DELETE FROM search_index WHERE version_id = old.id; "
    "INSERT INTO search_index (version_id, name, description) "
    "VALUES (new.id, lower(new.name), new.description_folded); END",
    "CREATE TRIGGER search_index_delete AFTER DELETE ON server_versions BEGIN "
    "DELETE FROM search_index WHERE version_id = old.id; END",
]


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("server_versions") as batch:
        batch.add_column(
            sa.Column("description_folded", sa.Text(), nullable=False, server_default="")
        )
    rows = bind.execute(sa.text("SELECT id, description FROM server_versions")).all()
    update = sa.text("UPDATE server_versions SET description_folded = :f WHERE id = :id")
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        bind.execute(update, [{"id": r[0], "f": (r[1] or "").lower()} for r in chunk])
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_server_versions_name_trgm ON server_versions "
            "USING gin (name gin_trgm_ops)"
        )
        op.execute(
            "CREATE INDEX ix_server_versions_description_trgm ON server_versions "
            "USING gin (description_folded gin_trgm_ops)"
        )
    else:
        for statement in _SQLITE_INDEX:
            op.execute(statement)
        op.execute(
            "INSERT INTO search_index (version_id, name, description) "
            "SELECT id, lower(name), description_folded FROM server_versions"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_server_versions_description_trgm")
        op.execute("DROP INDEX IF EXISTS ix_server_versions_name_trgm")
    else:
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS search_index_{trigger}")
        op.execute("DROP TABLE IF EXISTS search_index")
    with op.batch_alter_table("server_versions") as batch:
        batch.drop_column("description_folded")
