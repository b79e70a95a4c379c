"""Index versions by (server_id, version): a write looks a version up by both.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_server_versions_server_id_version", "server_versions", ["server_id", "version"]
    )
    op.drop_index("ix_server_versions_server_id", table_name="server_versions")


def downgrade() -> None:
    op.create_index("ix_server_versions_server_id", "server_versions", ["server_id"])
    op.drop_index("ix_server_versions_server_id_version", table_name="server_versions")
