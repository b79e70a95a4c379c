"""Initial schema: servers, versions, the change log and its head.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "servers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_servers"),
        sa.UniqueConstraint("name", name="uq_servers_name"),
    )
    op.create_table(
        "server_versions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("server_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("description", sa.String(400), server_default="", nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_server_versions_server_id_servers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_server_versions"),
        sa.UniqueConstraint("name", "version", name="uq_server_versions_name_version"),
    )
    op.create_index("ix_server_versions_server_id", "server_versions", ["server_id"])
    op.create_index("ix_server_versions_updated_at", "server_versions", ["updated_at"])
    op.create_index(
        "uq_server_versions_one_latest",
        "server_versions",
        ["server_id"],
        unique=True,
        sqlite_where=sa.text("is_latest"),
        postgresql_where=sa.text("is_latest"),
    )
    op.create_index(
        "ix_server_versions_latest_name",
        "server_versions",
        ["name"],
        sqlite_where=sa.text("is_latest"),
        postgresql_where=sa.text("is_latest"),
    )
    op.create_table(
        "changes",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("server_id", sa.String(36), nullable=False),
        sa.Column("version_id", sa.String(36), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(255), nullable=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_changes"),
    )
    op.create_index("ix_changes_server_id", "changes", ["server_id"])
    log_head = op.create_table(
        "log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_log_head"),
    )
    op.bulk_insert(log_head, [{"id": 1, "seq": 0}])


def downgrade() -> None:
    op.drop_table("log_head")
    op.drop_index("ix_changes_server_id", table_name="changes")
    op.drop_table("changes")
    op.drop_index("ix_server_versions_latest_name", table_name="server_versions")
    op.drop_index("uq_server_versions_one_latest", table_name="server_versions")
    op.drop_index("ix_server_versions_updated_at", table_name="server_versions")
    op.drop_index("ix_server_versions_server_id", table_name="server_versions")
    op.drop_table("server_versions")
    op.drop_table("servers")
