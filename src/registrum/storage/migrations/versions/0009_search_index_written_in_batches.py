"""SQLite: the search index is written by the store, and its rows are found by rowid; an
index for the mirror's polls.

- An FTS5 insert made inside a trigger costs about three times as much as the same rows
  inserted by one statement (20,000 versions: 3.7 s with the trigger, 1.2 s without), and a
  mirror's first sync inserts every version an upstream has. The store now adds each
  inserted version to ``search_index`` in the same transaction, one statement per batch
  (``SqlWriteSession(search_index=True)``); the insert trigger is dropped.
- ``server_versions.search_rowid`` holds the rowid of the version's index row. The update
  and delete triggers used to find that row by its UNINDEXED ``version_id``, a scan of the
  whole index (30 ms a rename or edit at 100,000 versions, growing with the registry); they
  now go to the rowid.

PostgreSQL gets the column too (the models are the same on both backends) but leaves it
NULL: its trigram indexes live on the table itself.

Both backends: ``ix_upstream_entries_updated`` (upstream, upstream_updated_at). An
``updated_since`` poll of an official-API upstream needs the keys it staged in the overlap
window only, not every key the upstream has.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TRIGGERS = ("search_index_insert", "search_index_update", "search_index_delete")

_BY_ROWID = [
    "CREATE TRIGGER search_index_update AFTER UPDATE OF name, description_folded "
    "ON server_versions BEGIN "
    "DELETE FROM search_index WHERE rowid = old.search_rowid; "
    "INSERT INTO search_index (rowid, version_id, name, description) "
    "VALUES (old.search_rowid, new.id, lower(new.name), new.description_folded); END",
    "CREATE TRIGGER search_index_delete AFTER DELETE ON server_versions BEGIN "
    "DELETE FROM search_index WHERE rowid = old.search_rowid; END",
]

# Migration 0005's triggers, for downgrading.
_BY_VERSION_ID = [
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
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for trigger in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    # A plain ADD COLUMN on both backends: a nullable column needs no table rebuild.
    op.add_column("server_versions", sa.Column("search_rowid", sa.Integer(), nullable=True))
    op.create_index(
        "ix_upstream_entries_updated", "upstream_entries", ["upstream", "upstream_updated_at"]
    )
    if sqlite:
        op.execute(
            "UPDATE server_versions SET search_rowid = found.rowid FROM "
            "(SELECT rowid, version_id FROM search_index) AS found "
            "WHERE found.version_id = server_versions.id"
        )
        for statement in _BY_ROWID:
            op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for trigger in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_index("ix_upstream_entries_updated", table_name="upstream_entries")
    # Not a batch (table copy): foreign keys point at server_versions. Both backends drop
    # a column in place (SQLite since 3.35).
    op.execute("ALTER TABLE server_versions DROP COLUMN search_rowid")
    if sqlite:
        for statement in _BY_VERSION_ID:
            op.execute(statement)
