"""Faithful ingest, and what passes down a chain of mirrors.

- ``server_versions.warnings``: the rules of today's publish an imported or mirrored version
  breaks (a JSON array; NULL: none, or published here), served in
  ``_meta["io.registrum/registry"].warnings``.
- ``server_versions.origin_updated_at``: the ``updatedAt`` the upstream (or the imported
  file) served, served in its place; ``updated_at`` stays this registry's own time of the
  change, which ``updated_since`` filters on, so that a downstream poller never misses an
  entry synced here late.
- ``upstream_entries``: the upstream's ``isLatest``, its stable ids and previous names
  (from a Registrum upstream) and the entry's deviations, so that merging carries them. No
  index on server_id: it is looked up only when a server is renamed upstream, and an index
  on random ids made a 100,000-version first sync a third slower.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_VERSION_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("warnings", sa.Text(), nullable=True),
    sa.Column("origin_updated_at", sa.DateTime(), nullable=True),
)
_ENTRY_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("is_latest", sa.Boolean(), nullable=True),
    sa.Column("server_id", sa.String(36), nullable=True),
    sa.Column("version_id", sa.String(36), nullable=True),
    sa.Column("previous_names", sa.Text(), nullable=True),
    sa.Column("warnings", sa.Text(), nullable=True),
)


def upgrade() -> None:
    # Nullable columns: a plain ADD COLUMN on both backends, no table rebuild.
    for column in _VERSION_COLUMNS:
        op.add_column("server_versions", column)
    for column in _ENTRY_COLUMNS:
        op.add_column("upstream_entries", column)


def downgrade() -> None:
    # In place (SQLite since 3.35), not a batch copy: foreign keys point at these tables.
    for column in _ENTRY_COLUMNS:
        op.execute(f"ALTER TABLE upstream_entries DROP COLUMN {column.name}")
    for column in _VERSION_COLUMNS:
        op.execute(f"ALTER TABLE server_versions DROP COLUMN {column.name}")
