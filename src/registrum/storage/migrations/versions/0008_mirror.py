"""The mirror: configured upstreams, what each serves (staged), and where a served entry
comes from (issue #7).

- ``upstreams``: name, URL, kind (``registrum``, ``official`` or ``file``), priority, sync
  interval, the checkpoint a sync resumes from, and how the last sync went.
- ``upstream_entries``: every version each upstream serves, as fetched (staging). What the
  registry serves is computed from it (policy, priority, local shadowing), so changing the
  policy re-applies without downloading anything again.
- ``mirror_pending``: names whose staged entries changed and are not merged yet; a sync
  stages first and merges each such name once, even if a crash comes in between.
- ``servers.upstream``: the upstream a served server comes from (NULL: published here).
- ``server_versions.source``: provenance served in ``_meta["io.registrum/registry"].source``
  (a JSON object; NULL for local entries).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _ordered(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "upstreams",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_upstreams"),
    )
    op.create_table(
        "upstream_entries",
        sa.Column("upstream", sa.String(64), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("name", _ordered(200), nullable=False),
        sa.Column("version", _ordered(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=False),
        sa.Column("upstream_updated_at", sa.DateTime(), nullable=True),
        sa.Column("upstream_seq", sa.Integer(), nullable=True),
        sa.Column("synced_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("upstream", "key", name="pk_upstream_entries"),
        sa.ForeignKeyConstraint(
            ["upstream"],
            ["upstreams.name"],
            name="fk_upstream_entries_upstream_upstreams",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_upstream_entries_name", "upstream_entries", ["name"])
    op.create_table(
        "mirror_pending",
        sa.Column("name", _ordered(200), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_mirror_pending"),
    )
    op.add_column("servers", sa.Column("upstream", sa.String(64), nullable=True))
    op.add_column("server_versions", sa.Column("source", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("server_versions") as batch:
        batch.drop_column("source")
    with op.batch_alter_table("servers") as batch:
        batch.drop_column("upstream")
    op.drop_table("mirror_pending")
    op.drop_index("ix_upstream_entries_name", table_name="upstream_entries")
    op.drop_table("upstream_entries")
    op.drop_table("upstreams")
