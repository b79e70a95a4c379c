"""Renames an upstream made, done here too before a merge (see :func:`follow_renames`)."""

from __future__ import annotations

from datetime import datetime

import orjson

from registrum.core.ports import Ownership, WriteSession
from registrum.core.records import StagedEntry
from registrum.services.renames import DEFAULT_COOL_OFF, move_server


def follow_renames(
    tx: WriteSession,
    names: list[str],
    owners: dict[str, Ownership],
    staged: dict[str, list[StagedEntry]],
    actor: str,
    now: datetime,
) -> set[str]:
    """Rename here the servers their upstream renamed, before merging: a merge by names
    alone would see a deleted server and an unrelated new one, where the upstream has one
    server with its id, its previous names and a redirect from the old name. A rename is
    recognised by the id the upstream serves (a Registrum upstream's, which the served
    server took). Returns the names servers moved to."""
    candidates: dict[str, str] = {}  # a served server id -> the upstream naming it
    for name in names:
        owner = owners.get(name)
        entries = staged.get(name, [])
        if owner is None:
            for s in entries:
                if s.entry.server_id is not None:
                    candidates.setdefault(s.entry.server_id, s.upstream)
        elif owner[1] is not None and not any(s.upstream == owner[1] for s in entries):
            candidates.setdefault(owner[0], owner[1])
    if not candidates:
        return set()
    here = tx.servers.by_ids(sorted(candidates))
    by_upstream: dict[str, list[str]] = {}
    for server_id, (_, upstream) in here.items():
        if upstream is not None:
            by_upstream.setdefault(upstream, []).append(server_id)
    moved: set[str] = set()
    for upstream, ids in sorted(by_upstream.items()):
        for server_id, named in tx.staging.names_of_servers(upstream, ids).items():
            old = here[server_id][0]
            if old in named or len(named) != 1:
                continue  # not renamed, or split: merged by names
            new_name = next(iter(named))
            if tx.servers.find_id(new_name) is not None:
                continue  # the name is taken here (a local server shadows it)
            mine = [
                s
                for s in tx.staging.for_name(new_name)
                if s.upstream == upstream and s.entry.server_id == server_id
            ]
            served = {s.entry.version: s.entry.body for s in mine}
            previous = next((s.entry.previous_names for s in mine if s.entry.previous_names), None)
            move_server(
                tx,
                server_id,
                old,
                new_name,
                actor,
                now,
                now + DEFAULT_COOL_OFF,
                previous=list(orjson.loads(previous)) if previous else None,
                bodies={
                    v.version_id: served[v.version]
                    for v in tx.versions.of_server(server_id)
                    if v.version in served
                },
            )
            moved.add(new_name)
    return moved
