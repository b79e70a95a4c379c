"""Remote URLs per version, for the one-live-server-per-remote-URL rule.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "remote_urls",
        sa.Column("version_id", sa.String(36), nullable=False),
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.Column("server_id", sa.String(36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["server_versions.id"], name="fk_remote_urls_version_id_server_versions"
        ),
        sa.PrimaryKeyConstraint("version_id", "url_hash", name="pk_remote_urls"),
    )
    op.create_index("ix_remote_urls_url_hash", "remote_urls", ["url_hash"])
    # Backfill from the stored documents.
    rows = op.get_bind().execute(sa.text("SELECT id, server_id, body FROM server_versions"))
    entries = []
    for version_id, server_id, body in rows:
        remotes = json.loads(body).get("remotes") or []
        urls = dict.fromkeys(r["url"] for r in remotes if isinstance(r, dict) and "url" in r)
        for url in urls:
            digest = hashlib.sha256(url.encode()).hexdigest()
            entries.append(
                {"version_id": version_id, "url_hash": digest, "server_id": server_id, "url": url}
            )
    if entries:
        op.bulk_insert(table, entries)


def downgrade() -> None:
    op.drop_index("ix_remote_urls_url_hash", table_name="remote_urls")
    op.drop_table("remote_urls")
