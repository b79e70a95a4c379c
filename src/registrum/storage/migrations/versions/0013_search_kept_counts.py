"""Ranked search without counting every server: the blank query's order from an index, and
its facet counts kept.

- ``search_entries.status_rank`` (``core.search.status_rank``: minus the status score) and
  ``ix_search_entries_blank_order`` (status_rank, updated_at DESC, name): a query with no
  text is ordered by status, newest first, then name, and its page is a walk of this index.
- ``search_counts`` (facet, status, value, n): how many servers count under each facet
  value, per status and (status ``*``) among every server but the deleted ones; the home
  page's total and facets are read from it. ``ix_search_counts_top`` (facet, status,
  n DESC, value) gives the namespace facet's top 20.

The two indexes have a descending column, so they are declared here as SQL (the drift check
leaves them out, as it does the text indexes). Backfilled from ``search_entries`` and
``search_facets``; storage/search.py:refresh keeps them in step from now on.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09
"""

# ruff: noqa: S608 - the SQL text here is built from constants only.

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from alembic import op

from registrum.core.search import STATUS_SCORE
from registrum.storage import search_counts

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BATCH = 5000

_COUNTS = sa.table(
    "search_counts",
    sa.column("facet", sa.String),
    sa.column("status", sa.String),
    sa.column("value", sa.Text),
    sa.column("n", sa.Integer),
)
_RANK = (
    "UPDATE search_entries SET status_rank = CASE status "
    + " ".join(f"WHEN '{status}' THEN {-score}" for status, score in STATUS_SCORE.items())
    + " ELSE 0 END"
)
_ENTRIES = sa.text(
    "SELECT server_id, status, namespace, has_remote FROM search_entries "
    "WHERE server_id > :after ORDER BY server_id LIMIT :n"
)
_FACETS = sa.text(
    "SELECT server_id, facet, value FROM search_facets "
    "WHERE server_id > :after AND server_id <= :last"
)


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column(
        "search_entries",
        sa.Column("status_rank", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute(_RANK)
    if bind.dialect.name != "sqlite":
        op.alter_column("search_entries", "status_rank", server_default=None)
    op.execute(
        "CREATE INDEX ix_search_entries_blank_order "
        "ON search_entries (status_rank, updated_at DESC, name)"
    )
    op.create_table(
        "search_counts",
        sa.Column("facet", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "value",
            sa.Text().with_variant(sa.Text(collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("facet", "status", "value", name="pk_search_counts"),
    )
    op.execute("CREATE INDEX ix_search_counts_top ON search_counts (facet, status, n DESC, value)")
    _backfill(bind)
    if bind.dialect.name != "sqlite":
        # Statistics now, so that the first home page after the upgrade walks the index
        # rather than planning for an empty table.
        op.execute("ANALYZE search_counts")
        op.execute("ANALYZE search_entries")


def _backfill(bind: Any) -> None:
    counted: Counter[search_counts.Key] = Counter()
    after = ""
    while True:
        rows = bind.execute(_ENTRIES, {"after": after, "n": BATCH}).all()
        if not rows:
            break
        values: dict[str, list[tuple[str, str]]] = {}
        last = rows[-1][0]
        for server_id, facet, value in bind.execute(_FACETS, {"after": after, "last": last}):
            values.setdefault(server_id, []).append((facet, value))
        for server_id, status, namespace, has_remote in rows:
            counted.update(
                search_counts.contributions(
                    status, namespace, bool(has_remote), values.get(server_id, ())
                )
            )
        after = last
    rows_out = [
        {"facet": facet, "status": status, "value": value, "n": n}
        for (facet, status, value), n in sorted(counted.items())
        if n > 0
    ]
    for start in range(0, len(rows_out), BATCH):
        op.bulk_insert(_COUNTS, rows_out[start : start + BATCH])


def downgrade() -> None:
    op.execute("DROP INDEX ix_search_counts_top")
    op.drop_table("search_counts")
    op.execute("DROP INDEX ix_search_entries_blank_order")
    op.execute("ALTER TABLE search_entries DROP COLUMN status_rank")
