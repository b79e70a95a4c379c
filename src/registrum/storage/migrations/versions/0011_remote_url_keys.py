"""Remote URLs compared by their normalised key, not their text.

``remote_urls.url`` (and its hash) now holds :func:`registrum.core.urls.remote_url_key` of
each URL, so ``https://VICTIM.example.com/mcp/`` and ``https://victim.example.com/mcp`` are
one address. The documents are not touched: they keep the URLs as published.

Rows are rewritten from the stored keys. Two spellings in one version become one row. Where
live versions of two or more servers named spellings of one address (allowed while the text
was compared), the server that first published it keeps the address (the earliest
``published_at`` among its live versions naming it) and the others' rows for it are removed:
their documents still name it and stay served, but a new version of theirs naming it is
refused until that server's versions are deleted. Each such removal is logged. Downgrading
keeps the keys (they are valid URLs; only some clashes go unseen).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import sqlalchemy as sa
from alembic import op

from registrum.core.urls import remote_url_key

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_ROWS = sa.text(
    "SELECT r.version_id, r.server_id, r.url, v.status, v.published_at, v.name "
    "FROM remote_urls r JOIN server_versions v ON v.id = r.version_id"
)


def _first_owner(holders: list[tuple[Any, str, str, str]]) -> str | None:
    """The server (id) that keeps a key: the first to publish it among live versions."""
    live = [(published, sid) for published, sid, status, _ in holders if status != "deleted"]
    if len({server_id for _, server_id in live}) < 2:
        return None
    return min(live, key=lambda item: (item[0] is None, item[0] or "", item[1]))[1]


def upgrade() -> None:
    bind = op.get_bind()
    rows: dict[tuple[str, str], dict[str, str]] = {}
    holders: dict[str, list[tuple[Any, str, str, str]]] = {}
    for version_id, server_id, url, status, published, name in bind.execute(_ROWS):
        key = remote_url_key(url)
        rows[(version_id, key)] = {
            "version_id": version_id,
            "url_hash": hashlib.sha256(key.encode()).hexdigest(),
            "server_id": server_id,
            "url": key,
        }
        holders.setdefault(key, []).append((published, server_id, status, name))
    owners = {key: owner for key, held in holders.items() if (owner := _first_owner(held))}
    for key, owner in owners.items():
        for name in sorted({name for _, sid, _, name in holders[key] if sid != owner}):
            log.warning(
                "remote URL %s: %s no longer holds it (a server that published it earlier "
                "under another spelling keeps it); its documents are unchanged",
                key,
                name,
            )
    kept = [r for (_, key), r in rows.items() if owners.get(key, r["server_id"]) == r["server_id"]]
    table = sa.table(
        "remote_urls",
        sa.column("version_id", sa.String),
        sa.column("url_hash", sa.String),
        sa.column("server_id", sa.String),
        sa.column("url", sa.Text),
    )
    op.execute(table.delete())
    if kept:
        op.bulk_insert(table, kept)


def downgrade() -> None:
    pass
