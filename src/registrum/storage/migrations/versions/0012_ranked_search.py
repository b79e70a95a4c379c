"""Ranked search with facets (issue #16): one search row per server, for its latest version.

- ``search_entries``: the server's latest version (deleted ones too), its name, the folded
  texts the rules match (name, its last part, its words, title, description: folded by
  ``core.search.fold`` so both backends fold every script alike), namespace, status, the
  served ``updatedAt`` and whether it has remotes.
- ``search_facets``: (server, registryType | transport, value), one row per value.
- Text indexes, declared here only (the drift check leaves them out): SQLite an FTS5 table
  ``search_text`` with the trigram tokenizer (rowid in ``search_entries.text_rowid``);
  PostgreSQL trigram GIN indexes on the three folded texts.

Backfilled from every server's latest version, each document parsed with
``core.search.facts_of``. The store keeps the rows in step from now on (storage/search.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from registrum.storage.search import document_facts, entry_rows

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 2000

_ENTRIES = sa.table(
    "search_entries",
    *(
        sa.column(name, kind)
        for name, kind in (
            ("server_id", sa.String),
            ("version_id", sa.String),
            ("name", sa.String),
            ("name_folded", sa.Text),
            ("last_folded", sa.Text),
            ("name_words", sa.Text),
            ("title_folded", sa.Text),
            ("description_folded", sa.Text),
            ("namespace", sa.Text),
            ("status", sa.String),
            ("updated_at", sa.DateTime),
            ("has_remote", sa.Boolean),
            ("text_rowid", sa.Integer),
        )
    ),
)
_FACETS = sa.table(
    "search_facets",
    sa.column("server_id", sa.String),
    sa.column("facet", sa.String),
    sa.column("value", sa.Text),
)
_LATEST = sa.text(
    "SELECT server_id, id, name, body, status, COALESCE(origin_updated_at, updated_at) "
    "FROM server_versions WHERE is_latest AND server_id > :after ORDER BY server_id LIMIT :n"
)
_FTS = (
    "CREATE VIRTUAL TABLE search_text USING fts5("
    "name, title, description, tokenize = 'trigram case_sensitive 1')"
)
_TRIGRAMS = ("name", "title", "description")


def _ordered(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.create_table(
        "search_entries",
        sa.Column("server_id", sa.String(36), nullable=False),
        sa.Column("version_id", sa.String(36), nullable=False),
        sa.Column("name", _ordered(200), nullable=False),
        sa.Column("name_folded", sa.Text(), nullable=False),
        sa.Column("last_folded", sa.Text(), nullable=False),
        sa.Column("name_words", sa.Text(), nullable=False),
        sa.Column("title_folded", sa.Text(), nullable=False),
        sa.Column("description_folded", sa.Text(), nullable=False),
        sa.Column(
            "namespace",
            sa.Text().with_variant(sa.Text(collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("has_remote", sa.Boolean(), nullable=False),
        sa.Column("text_rowid", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_search_entries_server_id_servers"
        ),
        sa.PrimaryKeyConstraint("server_id", name="pk_search_entries"),
    )
    op.create_index("ix_search_entries_namespace", "search_entries", ["namespace"])
    op.create_index("ix_search_entries_text_rowid", "search_entries", ["text_rowid"])
    op.create_index("ix_search_entries_status_name", "search_entries", ["status", "name"])
    op.create_index(
        "ix_search_entries_facets",
        "search_entries",
        ["status", "has_remote", "namespace", "server_id"],
    )
    op.create_table(
        "search_facets",
        sa.Column("server_id", sa.String(36), nullable=False),
        sa.Column("facet", sa.String(16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_search_facets_server_id_servers"
        ),
        sa.PrimaryKeyConstraint("server_id", "facet", "value", name="pk_search_facets"),
    )
    op.create_index("ix_search_facets_facet_value", "search_facets", ["facet", "value"])
    if sqlite:
        op.execute(_FTS)
    _backfill(bind, sqlite)
    if not sqlite:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in _TRIGRAMS:
            op.execute(
                f"CREATE INDEX ix_search_entries_{column}_trgm ON search_entries "
                f"USING gin ({column}_folded gin_trgm_ops)"
            )


def _backfill(bind: Any, sqlite: bool) -> None:
    after = ""
    rowid = 0
    while True:
        rows = bind.execute(_LATEST, {"after": after, "n": BATCH}).all()
        if not rows:
            return
        entries: list[dict[str, Any]] = []
        facets: list[dict[str, Any]] = []
        texts: list[dict[str, Any]] = []
        for server_id, version_id, name, body, status, updated_at in rows:
            if isinstance(updated_at, str):  # SQLite, through text(): as SQLAlchemy stored it
                updated_at = datetime.fromisoformat(updated_at)
            entry, facet_rows = entry_rows(
                server_id, version_id, name, document_facts(body), status, updated_at
            )
            if sqlite:
                rowid += 1
                entry["text_rowid"] = rowid
                texts.append(
                    {
                        "rowid": rowid,
                        "name": entry["name_folded"],
                        "title": entry["title_folded"],
                        "description": entry["description_folded"],
                    }
                )
            entries.append(entry)
            facets.extend(facet_rows)
        op.bulk_insert(_ENTRIES, entries)
        if facets:
            op.bulk_insert(_FACETS, facets)
        if texts:
            bind.execute(
                sa.text(
                    "INSERT INTO search_text (rowid, name, title, description) "
                    "VALUES (:rowid, :name, :title, :description)"
                ),
                texts,
            )
        after = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_text")
    op.drop_table("search_facets")
    op.drop_table("search_entries")
