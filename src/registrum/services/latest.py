"""Recomputing ``isLatest`` inside a write, by the official registry's rules."""

from __future__ import annotations

from registrum.core.ports import WriteSession
from registrum.core.status import Status
from registrum.core.versioning import Candidate, pick_latest
from registrum.core.wire import VersionView


def recompute_latest(tx: WriteSession, server_id: str) -> list[VersionView]:
    """Flag the greatest non-deleted version (or, all deleted, the greatest) as latest and
    return every version as it now stands."""
    views = tx.versions.of_server(server_id)
    by_id = {
        v.version_id: Candidate(v.version, v.published_at, v.status is Status.DELETED)
        for v in views
    }
    winner = pick_latest(list(by_id.items()), key=lambda item: item[1])
    winner_id = winner[0] if winner else None
    current = next((v.version_id for v in views if v.is_latest), None)
    if winner_id != current:
        tx.versions.set_latest(server_id, winner_id)
        views = tx.versions.of_server(server_id)
    return views
