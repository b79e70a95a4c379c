"""The index of latest versions covers the list's whole order, (name, version).

VS Code's list call (`version=latest`) orders by name then version; with the index on name
alone the planners walked the (name, version) index of every version instead, looking each
row up to test is_latest: ten look-ups per row served at ten versions a server.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_server_versions_latest_name", table_name="server_versions")
    op.create_index(
        "ix_server_versions_latest_name_version",
        "server_versions",
        ["name", "version"],
        sqlite_where=sa.text("is_latest"),
        postgresql_where=sa.text("is_latest"),
    )


def downgrade() -> None:
    op.drop_index("ix_server_versions_latest_name_version", table_name="server_versions")
    op.create_index(
        "ix_server_versions_latest_name",
        "server_versions",
        ["name"],
        sqlite_where=sa.text("is_latest"),
        postgresql_where=sa.text("is_latest"),
    )
