"""Stable ids made useful: each version's last change seq, the names a server had, retired
names under their cool-off, and transfer offers (issue #6).

- ``server_versions.seq``: the seq of the last change-log entry about that version, served in
  ``_meta["io.registrum/registry"].seq``; backfilled from the log.
- ``server_versions.previous_names``: the server's earlier names (a JSON array), kept on every
  version row so reads splice them without a join; NULL when none.
- ``retired_names``: a name a server left by a rename; reads of it redirect to the server's
  current name, and nobody else may publish under it until ``reserved_until``.
- ``transfer_offers``: the first step of a move to a namespace held by someone else.
- ``changes.version_id`` gets an index: the backfill and per-version history read by it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _ordered(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_index("ix_changes_version_id", "changes", ["version_id"])
    op.add_column(
        "server_versions",
        sa.Column("seq", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("server_versions", sa.Column("previous_names", sa.Text(), nullable=True))
    op.execute(
        "UPDATE server_versions SET seq = COALESCE("
        "(SELECT max(changes.seq) FROM changes WHERE changes.version_id = server_versions.id), 0)"
    )
    op.create_table(
        "retired_names",
        sa.Column("name", _ordered(200), nullable=False),
        sa.Column("server_id", sa.String(36), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=False),
        sa.Column("reserved_until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_retired_names"),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_retired_names_server_id_servers"
        ),
    )
    op.create_index("ix_retired_names_server_id", "retired_names", ["server_id"])
    op.create_table(
        "transfer_offers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("server_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("new_name", sa.String(200), nullable=False),
        sa.Column("offered_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("accepted_by", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_transfer_offers"),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_transfer_offers_server_id_servers"
        ),
    )


def downgrade() -> None:
    op.drop_table("transfer_offers")
    op.drop_index("ix_retired_names_server_id", table_name="retired_names")
    op.drop_table("retired_names")
    with op.batch_alter_table("server_versions") as batch:
        batch.drop_column("previous_names")
        batch.drop_column("seq")
    op.drop_index("ix_changes_version_id", table_name="changes")
