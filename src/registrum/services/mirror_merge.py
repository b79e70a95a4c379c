"""Merging staged upstream entries into what this registry serves.

What is served for a name is *merged* from the staged entries, never written by the readers:

- a server published here (local) shadows every upstream entry of the same name;
- otherwise the whole entry comes from the highest-priority upstream that has any version the
  policy allows (version histories are never mixed);
- a version the policy hides, or the winning upstream no longer serves, is served as
  ``deleted`` (a tombstone, which downstream mirrors follow);
- each served version records its provenance (upstream, URL, the upstream's seq or
  updatedAt, when it was synced), served in ``_meta["io.registrum/registry"].source``.

Every change of what is served is a change-log entry (kind ``mirrored``). Because merging
reads only staged rows, a new policy is applied by merging again, without downloading
anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

import orjson

from registrum.core import wire
from registrum.core.ingest import indexed_description, remote_urls
from registrum.core.policy import Decision, Policy, Subject, subject_of
from registrum.core.ports import WriteSession
from registrum.core.records import (
    Change,
    ChangeKind,
    NewVersion,
    StagedEntry,
    VersionUpdate,
)
from registrum.core.stable_ids import derived_server_id, derived_version_id, origin_of
from registrum.core.status import Status
from registrum.core.versioning import Candidate, pick_latest
from registrum.core.wire import VersionView
from registrum.services.clock import Clock
from registrum.services.latest import recompute_latest
from registrum.services.mirror_renames import follow_renames

# New names are prepared and written this many at a time (see Merger._merge_new).
_NEW_PER_PART: Final = 200
# What a policy without rules is given to decide: its default decides alone.
_NO_SUBJECT: Final = Subject("")


def _source(staged: StagedEntry) -> str:
    entry = staged.entry
    data: dict[str, Any] = {wire.UPSTREAM: staged.upstream, wire.URL: staged.url}
    if entry.upstream_seq is not None:
        data[wire.SEQ] = entry.upstream_seq
    if entry.upstream_updated_at is not None:
        data[wire.UPDATED_AT] = entry.upstream_updated_at.isoformat() + "Z"
    data[wire.SYNCED_AT] = staged.synced_at.isoformat() + "Z"
    return orjson.dumps(data).decode()


def _server_id(staged: StagedEntry) -> str:
    """The served id of a server new here: its upstream's (a Registrum upstream serves
    one), else derived from the upstream and the name."""
    entry = staged.entry
    return entry.server_id or derived_server_id(origin_of(staged.url), entry.name)


def _version_id(staged: StagedEntry) -> str:
    entry = staged.entry
    return entry.version_id or derived_version_id(origin_of(staged.url), entry.name, entry.version)


def _origin_updated_at(staged: StagedEntry, status: Status) -> datetime | None:
    """The upstream's updatedAt is served while the version is served as the upstream serves
    it; hidden by this registry's policy, it changed here, now."""
    return staged.entry.upstream_updated_at if status == staged.entry.status else None


def _flagged_latest(shown: Iterable[tuple[StagedEntry, Status]]) -> str | None:
    """The version the upstream flags isLatest, when it is served as the upstream serves it:
    the upstream's own choice is kept (it may differ from what the rules would compute from
    the versions alone: the official registry decides at each publish)."""
    flagged = [
        s.entry.version for s, status in shown if s.entry.is_latest and status == s.entry.status
    ]
    return flagged[-1] if flagged else None


def _new_version(
    server_id: str,
    version_id: str,
    staged: StagedEntry,
    status: Status,
    message: str | None,
    now: datetime,
    is_latest: bool,
    body: Any = None,
) -> NewVersion:
    """``body`` is ``staged``'s document already parsed, when the caller has it."""
    entry = staged.entry
    if body is None:
        body = orjson.loads(entry.body)
    return NewVersion(
        server_id=server_id,
        version_id=version_id,
        name=entry.name,
        version=entry.version,
        description=indexed_description(body),
        body=entry.body,
        status=status,
        status_message=message,
        status_changed_at=entry.status_changed_at,
        published_at=entry.published_at,
        # When this registry's copy changed: what its own updated_since filters on.
        updated_at=now,
        is_latest=is_latest,
        remote_urls=remote_urls(body),
        previous_names=entry.previous_names,
        source=_source(staged),
        warnings=entry.warnings,
        origin_updated_at=_origin_updated_at(staged, status),
    )


@dataclass
class _NewServers:
    """Servers new to this registry with their versions and change-log entries, ready to
    be written with one statement per table (``VersionWrites.insert_many``)."""

    servers: list[tuple[str, str, datetime, str]] = field(default_factory=list)
    versions: list[NewVersion] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def _prepare_new(
    names: list[tuple[str, list[StagedEntry]]],
    decide: Callable[[StagedEntry, Any], bool],
    now: datetime,
    actor: str,
) -> _NewServers:
    """What merging names nobody serves here yet writes. Pure (no database), so that it can
    run in a thread while the previous part is being written."""
    out = _NewServers()
    for name, staged in names:
        bodies = [orjson.loads(s.entry.body) for s in staged]
        allowed = [decide(s, body) for s, body in zip(staged, bodies, strict=True)]
        winner = next((s.upstream for s, ok in zip(staged, allowed, strict=True) if ok), None)
        if winner is None:
            continue  # nothing the policy allows: not served
        # A version history comes from one upstream only (the last entry of a version wins).
        chosen: dict[str, tuple[StagedEntry, Any, bool]] = {}
        for s, body, ok in zip(staged, bodies, allowed, strict=True):
            if s.upstream == winner:
                chosen[s.entry.version] = (s, body, ok)
        shown = [(s, body, _served_status(s, ok)) for s, body, ok in chosen.values()]
        latest = _flagged_latest((s, status) for s, _, (status, _) in shown)
        if latest is None:
            pool = [
                Candidate(s.entry.version, s.entry.published_at, status is Status.DELETED)
                for s, _, (status, _) in shown
            ]
            computed = pick_latest(pool, key=lambda c: c)
            latest = computed.version if computed is not None else None
        server_id = _server_id(shown[0][0])
        out.servers.append((server_id, name, now, winner))
        for s, body, (status, message) in shown:
            version_id = _version_id(s)
            is_latest = s.entry.version == latest
            out.versions.append(
                _new_version(server_id, version_id, s, status, message, now, is_latest, body)
            )
            out.changes.append(_mirrored(now, server_id, version_id, name, s, actor))
    return out


def _store_new(tx: WriteSession, new: _NewServers) -> int:
    """Write what ``_prepare_new`` made. Ids derived from names are taken only if a server
    was renamed here to a name it then left (or a version id collides): those get random
    ones."""
    if not new.versions:
        return 0
    taken = tx.servers.ids_in_use([sid for sid, _, _, _ in new.servers])
    servers = {sid: sid if sid not in taken else str(uuid.uuid4()) for sid, *_ in new.servers}
    taken = tx.versions.ids_in_use([v.version_id for v in new.versions])
    versions = {v.version_id: v.version_id for v in new.versions}
    versions.update({vid: str(uuid.uuid4()) for vid in taken})
    news, changes = new.versions, new.changes
    if any(servers[sid] != sid for sid in servers) or taken:
        news = [
            replace(v, server_id=servers[v.server_id], version_id=versions[v.version_id])
            for v in news
        ]
        changes = [
            replace(
                c,
                server_id=servers[c.server_id],
                version_id=versions[c.version_id] if c.version_id is not None else None,
            )
            for c in changes
        ]
    tx.servers.create_many([(servers[sid], n, at, u) for sid, n, at, u in new.servers])
    tx.versions.insert_many(news, changes)
    return len(news)


def _mirrored(
    now: datetime, server_id: str, version_id: str, name: str, staged: StagedEntry, actor: str
) -> Change:
    return Change(
        ChangeKind.MIRRORED,
        now,
        server_id,
        version_id,
        name,
        staged.entry.version,
        actor,
        orjson.dumps({wire.UPSTREAM: staged.upstream}).decode(),
    )


def _served_status(staged: StagedEntry, allowed: bool) -> tuple[Status, str | None]:
    if not allowed:
        return Status.DELETED, "hidden by this registry's policy"
    return staged.entry.status, staged.entry.status_message


def _settle_flagged(tx: WriteSession, server_id: str, version: str) -> None:
    """Give the latest flag to ``version``, as the upstream does."""
    views = tx.versions.of_server(server_id)
    target = next((v for v in views if v.version == version), None)
    if target is not None and not target.is_latest:
        tx.versions.set_latest(server_id, target.version_id)


class Merger:
    """Merges names, inside the caller's transaction, with the policy in force."""

    def __init__(self, clock: Clock, policy: Callable[[], Policy]) -> None:
        self._clock = clock
        self._policy = policy

    def decide(
        self, staged: StagedEntry, body: Any = None, policy: Policy | None = None
    ) -> Decision:
        if policy is None:
            policy = self._policy()
        if not policy.rules:
            return policy.decide(_NO_SUBJECT)  # the default decides: no document to read
        if body is None:
            body = orjson.loads(staged.entry.body)
        return policy.decide(subject_of(body, staged.entry.status, staged.upstream))

    def winner(self, staged: list[StagedEntry]) -> str | None:
        for entry in staged:  # highest priority first
            if self.decide(entry).allowed:
                return entry.upstream
        return None

    def merge(self, tx: WriteSession, names: Iterable[str], actor: str) -> int:
        names = list(names)
        # Looked up for the whole chunk at once: per name, these were most of a merge's time.
        owners = tx.servers.upstreams_of(names)
        staged = tx.staging.for_names(names)
        moved = follow_renames(tx, names, owners, staged, actor, self._clock())
        if moved:
            names = sorted({*names, *moved})
            owners = tx.servers.upstreams_of(names)
            staged = tx.staging.for_names(names)
        policy = self._policy()  # once a chunk: reading it may look at the policy file
        changed = 0
        new: list[tuple[str, list[StagedEntry]]] = []
        for name in names:
            owner = owners.get(name)
            if owner is None:
                new.append((name, staged.get(name, [])))
            elif owner[1] is not None:
                changed += self._merge_one(tx, name, actor, owner, staged.get(name, []), policy)
            # else: a server published here, which shadows every upstream's entries
        return changed + self._merge_new(tx, new, policy, actor)

    def _merge_new(
        self,
        tx: WriteSession,
        names: list[tuple[str, list[StagedEntry]]],
        policy: Policy,
        actor: str,
    ) -> int:
        """Names new here (what a full sync is made of), written in bulk a part at a time.
        The next part is prepared in a thread while this one is written: the database
        works without holding the interpreter lock, so the two overlap."""

        def decide(staged: StagedEntry, body: Any) -> bool:
            return self.decide(staged, body, policy).allowed

        parts = [names[i : i + _NEW_PER_PART] for i in range(0, len(names), _NEW_PER_PART)]
        if not parts:
            return 0
        changed = 0
        with ThreadPoolExecutor(1, thread_name_prefix="registrum-merge") as pool:
            ahead = pool.submit(_prepare_new, parts[0], decide, self._clock(), actor)
            for following in [*parts[1:], None]:
                prepared = ahead.result()
                if following is not None:
                    ahead = pool.submit(_prepare_new, following, decide, self._clock(), actor)
                changed += _store_new(tx, prepared)
        return changed

    def _merge_one(
        self,
        tx: WriteSession,
        name: str,
        actor: str,
        owner: tuple[str, str | None],
        staged: list[StagedEntry],
        policy: Policy,
    ) -> int:
        """A name this registry already serves from an upstream: compare and change."""
        bodies = {(s.upstream, s.entry.key): orjson.loads(s.entry.body) for s in staged}
        decisions = {
            (s.upstream, s.entry.key): self.decide(
                s, bodies[(s.upstream, s.entry.key)], policy
            ).allowed
            for s in staged
        }
        winner = next((s.upstream for s in staged if decisions[(s.upstream, s.entry.key)]), None)
        desired = {
            s.entry.version: s for s in staged if s.upstream == winner
        }  # a version history comes from one upstream only
        now = self._clock()
        server_id = owner[0]
        if winner is not None and owner[1] != winner:
            tx.servers.set_upstream(server_id, winner)
        served = tx.versions.of_server(server_id)
        changed = 0
        by_version = {v.version: v for v in served}
        shown: list[tuple[StagedEntry, Status]] = []
        for version, staged_entry in desired.items():
            allowed = decisions[(staged_entry.upstream, staged_entry.entry.key)]
            status, message = _served_status(staged_entry, allowed)
            shown.append((staged_entry, status))
            current = by_version.get(version)
            body = bodies[(staged_entry.upstream, staged_entry.entry.key)]
            entry = staged_entry.entry
            if current is None:
                version_id = self._insert(tx, server_id, staged_entry, status, message, now, body)
            elif (
                current.body,
                current.status,
                current.status_message,
                current.previous_names_json,
                current.warnings,
            ) == (entry.body, status, message, entry.previous_names, entry.warnings):
                continue
            else:
                version_id = current.version_id
                self._update(tx, current, staged_entry, status, message, now, body)
            changed += 1
            tx.log.append(_mirrored(now, server_id, version_id, name, staged_entry, actor))
        for version, current in by_version.items():
            if version in desired or current.status is Status.DELETED:
                continue
            # The winning upstream no longer serves it (or another upstream won): tombstone.
            tx.versions.update(
                VersionUpdate(
                    version_id=current.version_id,
                    updated_at=now,
                    status=Status.DELETED,
                    status_message="no longer served by the upstream",
                    write_status_message=True,
                    status_changed_at=now,
                )
            )
            tx.log.append(
                Change(
                    ChangeKind.MIRRORED,
                    now,
                    server_id,
                    current.version_id,
                    name,
                    version,
                    actor,
                    orjson.dumps({"upstream": owner[1]}).decode(),
                )
            )
            changed += 1
        flagged = _flagged_latest(shown)
        if flagged is not None:
            current = by_version.get(flagged)
            if changed or current is None or not current.is_latest:
                _settle_flagged(tx, server_id, flagged)
        elif changed:
            recompute_latest(tx, server_id)
        return changed

    @staticmethod
    def _insert(
        tx: WriteSession,
        server_id: str,
        staged: StagedEntry,
        status: Status,
        message: str | None,
        now: datetime,
        body: Any,
    ) -> str:
        candidate = _version_id(staged)
        version_id = candidate if not tx.versions.id_in_use(candidate) else str(uuid.uuid4())
        new = _new_version(server_id, version_id, staged, status, message, now, False, body)
        tx.versions.insert(new)
        return version_id

    @staticmethod
    def _update(
        tx: WriteSession,
        current: VersionView,
        staged: StagedEntry,
        status: Status,
        message: str | None,
        now: datetime,
        body: Any,
    ) -> None:
        tx.versions.update(
            VersionUpdate(
                version_id=current.version_id,
                updated_at=now,
                status=status,
                status_message=message,
                write_status_message=True,
                status_changed_at=staged.entry.status_changed_at,
                body=staged.entry.body,
                description=indexed_description(body),
                remote_urls=remote_urls(body),
                source=_source(staged),
                ingested=True,
                warnings=staged.entry.warnings,
                previous_names=staged.entry.previous_names,
                origin_updated_at=_origin_updated_at(staged, status),
            )
        )
