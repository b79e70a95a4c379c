"""The mirror / subregistry engine (issue #7; docs/guides/run-an-enterprise-mirror.md).

A sync reads an upstream in batches (``core.ports.UpstreamReader``) and, for each batch, in
one transaction: stages what the upstream serves, re-computes what this registry serves for
every name the batch touched, and stores the checkpoint. A sync killed anywhere resumes from
the last committed batch, and staging is an upsert keyed by the upstream's own key, so running
a batch twice changes nothing: resumable and idempotent.

What is served for a name is *merged* from the staged entries, never written by the readers:

- a server published here (local) shadows every upstream entry of the same name;
- otherwise the whole entry comes from the highest-priority upstream that has any version the
  policy allows (version histories are never mixed);
- a version the policy hides, or the winning upstream no longer serves, is served as
  ``deleted`` (a tombstone, which downstream mirrors follow);
- each served version records its provenance (upstream, URL, the upstream's seq or
  updatedAt, when it was synced), served in ``_meta["io.registrum/registry"].source``.

Every change of what is served is a change-log entry (kind ``mirrored``), so the mirror's own
change feed, ETags and official read paths work as for local entries and mirrors can chain.
Because merging reads only staged rows, a new policy is applied by merging again, without
downloading anything.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from queue import Full, Queue
from typing import Any, Final

import orjson

from registrum.core.errors import InvalidInputError, NotFoundError, Problem, StateConflictError
from registrum.core.ingest import count_stored, indexed_description, remote_urls
from registrum.core.policy import Decision, Policy, Subject, subject_of
from registrum.core.ports import (
    KnownKeys,
    ServerStore,
    UpstreamBatch,
    UpstreamReader,
    WriteSession,
)
from registrum.core.records import (
    UPSTREAM_KINDS,
    Change,
    ChangeKind,
    NewVersion,
    StagedEntry,
    Upstream,
    VersionUpdate,
)
from registrum.core.stable_ids import derived_server_id, derived_version_id, origin_of
from registrum.core.status import Status
from registrum.core.versioning import Candidate, pick_latest
from registrum.core.wire import VersionView
from registrum.services.clock import Clock, utc_now
from registrum.services.latest import recompute_latest
from registrum.services.renames import DEFAULT_COOL_OFF, move_server

UPSTREAM_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DEFAULT_INTERVAL: Final = 300
# A merge transaction covers this many names at most: a full sync of a large upstream
# commits as it goes.
_NAMES_PER_TRANSACTION: Final = 2000
# New names are prepared and written this many at a time (see MirrorService._merge_new).
_NEW_PER_PART: Final = 200
# Upstream batches are staged together until a transaction holds this many entries. Each
# commit writes out every index page the transaction touched, and upstream keys are random,
# so fewer, larger transactions write far less (100,000 entries: 5.4 s staged 1,000 a
# commit, 3.2 s 5,000 a commit).
STAGE_ENTRIES: Final = 5000
# ... or this many batches, whichever comes first: a slow upstream with small pages still
# commits (and so moves its checkpoint) every few pages.
STAGE_BATCHES: Final = 4
# A long sync serves what it has read every this many entries, not only at the end.
MERGE_EVERY: Final = 200_000

# What a policy without rules is given to decide: its default decides alone.
_NO_SUBJECT: Final = Subject("")

Readers = Callable[[Upstream], UpstreamReader]
Progress = Callable[["SyncReport"], None]


@dataclass
class SyncReport:
    upstream: str
    fetched: int = 0  # entries read from the upstream
    changed: int = 0  # served versions added, changed or hidden
    done: int = 0
    total: int | None = None
    seconds: float = 0.0
    error: str | None = None
    # Entries kept although today's publish would refuse them, by rule (core/ingest.py).
    deviations: Counter[str] = field(default_factory=Counter)
    # Items the upstream served that cannot be stored at all, each with why.
    refused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VersionExplanation:
    upstream: str
    version: str
    decision: Decision
    served: bool


@dataclass(frozen=True)
class Explanation:
    name: str
    served_from: str | None  # "local", an upstream's name, or None (not served)
    local: bool
    versions: list[VersionExplanation] = field(default_factory=list)
    publish: Decision | None = None


def _source(staged: StagedEntry) -> str:
    entry = staged.entry
    data: dict[str, Any] = {"upstream": staged.upstream, "url": staged.url}
    if entry.upstream_seq is not None:
        data["seq"] = entry.upstream_seq
    if entry.upstream_updated_at is not None:
        data["updatedAt"] = entry.upstream_updated_at.isoformat() + "Z"
    data["syncedAt"] = staged.synced_at.isoformat() + "Z"
    return orjson.dumps(data).decode()


def prefetched(
    batches: Iterator[UpstreamBatch], depth: int = 2
) -> Generator[UpstreamBatch, None, None]:
    """Read the next batches in a thread while the caller stores the current one: waiting for
    the upstream overlaps with writing (a full sync spends a sixth of its time reading)."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.2)
                return True
            except Full:
                continue
        return False  # the consumer has gone

    def produce() -> None:
        try:
            for batch in batches:
                if not hand_over(("batch", batch)):
                    return
            hand_over(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            hand_over(("error", exc))

    worker = threading.Thread(target=produce, name="registrum-mirror-read", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join(timeout=5)


def grouped(
    batches: Iterator[UpstreamBatch], entries: int = STAGE_ENTRIES, most: int = STAGE_BATCHES
) -> Generator[list[UpstreamBatch], None, None]:
    """Consecutive batches, together holding at least ``entries`` entries or ``most``
    batches (the last group fewer): each group is staged in one transaction."""
    group: list[UpstreamBatch] = []
    held = 0
    for batch in batches:
        group.append(batch)
        held += len(batch.entries) + len(batch.removed)
        if held >= entries or len(group) >= most:
            yield group
            group, held = [], 0
    if group:
        yield group


def _server_id(staged: StagedEntry) -> str:
    """The served id of a server new here: its upstream's (a Registrum upstream serves
    one), else derived from the upstream and the name."""
    entry = staged.entry
    return entry.server_id or derived_server_id(origin_of(staged.url), entry.name)


def _version_id(staged: StagedEntry) -> str:
    entry = staged.entry
    return entry.version_id or derived_version_id(origin_of(staged.url), entry.name, entry.version)


def _origin_updated_at(staged: StagedEntry, status: str) -> datetime | None:
    """The upstream's updatedAt is served while the version is served as the upstream serves
    it; hidden by this registry's policy, it changed here, now."""
    return staged.entry.upstream_updated_at if status == staged.entry.status else None


def _flagged_latest(shown: Iterable[tuple[StagedEntry, str]]) -> str | None:
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
    status: str,
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
        status=Status(status),
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
    be written with one statement per table (``WriteSession.add_versions``)."""

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
                Candidate(s.entry.version, s.entry.published_at, status == Status.DELETED.value)
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
    taken = tx.server_ids_in_use([sid for sid, _, _, _ in new.servers])
    servers = {sid: sid if sid not in taken else str(uuid.uuid4()) for sid, *_ in new.servers}
    taken = tx.version_ids_in_use([v.version_id for v in new.versions])
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
    tx.create_servers([(servers[sid], n, at, u) for sid, n, at, u in new.servers])
    tx.add_versions(news, changes)
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
        orjson.dumps({"upstream": staged.upstream}).decode(),
    )


def _served_status(staged: StagedEntry, allowed: bool) -> tuple[str, str | None]:
    if not allowed:
        return Status.DELETED.value, "hidden by this registry's policy"
    return staged.entry.status, staged.entry.status_message


class MirrorService:
    def __init__(
        self,
        store: ServerStore,
        readers: Readers,
        *,
        policy: Policy | Callable[[], Policy] | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._readers = readers
        # A fixed policy, or where to get the current one (a file that is re-read when it
        # changes: server/policy_file.py).
        fixed = policy or Policy.allow_all()
        self._policy_source: Callable[[], Policy] = (
            fixed if callable(fixed) and not isinstance(fixed, Policy) else (lambda: fixed)
        )
        self._clock = clock
        self._applied: Policy | None = None  # the policy the last full merge used

    @property
    def policy(self) -> Policy:
        return self._policy_source()

    def policy_changed(self) -> bool:
        """Whether the policy in force differs from the one the served entries were last
        merged with (the scheduler then re-applies it)."""
        return self._applied is not None and self.policy is not self._applied

    # Upstreams ------------------------------------------------------------------------------

    def add(
        self, name: str, url: str, kind: str, *, priority: int = 0, interval: int = DEFAULT_INTERVAL
    ) -> Upstream:
        if not UPSTREAM_NAME.match(name):
            raise InvalidInputError(
                f"Invalid upstream name {name!r}",
                [Problem("name", "use lower-case letters, digits and '-' (at most 64)", name)],
            )
        if kind not in UPSTREAM_KINDS:
            raise InvalidInputError(
                f"Unknown upstream kind {kind!r}",
                [Problem("kind", f"use one of {', '.join(UPSTREAM_KINDS)}", kind)],
            )
        if interval < 10:
            raise InvalidInputError(
                "The sync interval is too short",
                [Problem("interval", "give at least 10 seconds", interval)],
            )
        upstream = Upstream(name, url, kind, priority, interval, "{}", self._clock())
        with self._store.write() as tx:
            if tx.get_upstream(name) is not None:
                raise StateConflictError(f"An upstream named {name!r} exists already")
            tx.add_upstream(upstream)
        return upstream

    def remove(self, name: str) -> int:
        """Forget the upstream; the names it staged or served are merged again (so they
        disappear, or come from another upstream). Returns how many served versions
        changed."""
        with self._store.write() as tx:
            if tx.get_upstream(name) is None:
                raise NotFoundError(f"No upstream named {name!r}")
            names = tx.all_mirrored_names(name)
            tx.remove_upstream(name)
        return self._merge_names(sorted(names), actor=f"mirror:{name}")

    def upstreams(self) -> list[Upstream]:
        return self._store.list_upstreams()

    def get(self, name: str) -> Upstream:
        upstream = self._store.get_upstream(name)
        if upstream is None:
            raise NotFoundError(f"No upstream named {name!r}")
        return upstream

    # Syncing --------------------------------------------------------------------------------

    def sync(self, name: str, progress: Progress | None = None) -> SyncReport:
        """Read the upstream from its checkpoint. Batches are staged, in order, with the
        checkpoint after the last of them, in one transaction per STAGE_ENTRIES entries; the
        names they touched are merged afterwards, each once, every MERGE_EVERY entries and
        at the end (pending names survive a crash)."""
        upstream = self.get(name)
        report = SyncReport(name)
        started = time.perf_counter()
        reader = self._readers(upstream)
        checkpoint = orjson.loads(upstream.checkpoint or "{}")
        actor = f"mirror:{name}"
        batches = prefetched(reader.read(checkpoint, self._known(name)))
        unmerged = 0
        try:
            for group in grouped(batches):
                now = self._clock()
                with self._store.write() as tx:
                    for batch in group:
                        tx.stage(name, batch.entries, now)
                        tx.unstage(name, batch.removed)
                    last = group[-1]
                    tx.record_sync(name, orjson.dumps(last.checkpoint).decode(), now, None)
                for batch in group:
                    report.refused += batch.refused
                    for entry in batch.entries:
                        count_stored(report.deviations, entry.warnings)
                staged = sum(len(batch.entries) for batch in group)
                report.fetched += staged
                report.done, report.total = last.done, last.total
                unmerged += staged
                if unmerged >= MERGE_EVERY:
                    report.changed += self.merge_pending(actor)
                    unmerged = 0
                if progress is not None:
                    progress(report)
            report.changed += self.merge_pending(actor)
        except Exception as exc:
            report.error = str(exc)
            with self._store.write() as tx:
                tx.record_sync(name, None, self._clock(), str(exc))
            raise
        finally:
            batches.close()  # stops the reading thread before its client is closed
            reader.close()
            report.seconds = time.perf_counter() - started
        with self._store.write() as tx:
            tx.record_sync(name, None, self._clock(), None)
        return report

    def merge_pending(self, actor: str = "mirror") -> int:
        """Merge every name whose staged entries changed; returns how many served versions
        changed."""
        changed = 0
        while True:
            with self._store.write() as tx:
                names = tx.pending_names(_NAMES_PER_TRANSACTION)
                if not names:
                    return changed
                changed += self._merge(tx, names, actor)
                tx.clear_pending(names)

    def due(self, now: datetime | None = None) -> list[Upstream]:
        """Upstreams whose interval has passed since their last sync."""
        now = now or self._clock()
        return [
            u
            for u in self.upstreams()
            if u.last_synced_at is None
            or now - u.last_synced_at >= timedelta(seconds=u.interval_seconds)
        ]

    def _known(self, name: str) -> KnownKeys:
        def known(updated_since: datetime | None = None) -> dict[str, datetime | None]:
            with self._store.write() as tx:
                return tx.staged_keys(name, updated_since)

        return known

    # Policy ---------------------------------------------------------------------------------

    def reapply(self, policy: Policy | None = None) -> int:
        """Merge every mirrored name again (with a new policy, when given): nothing is
        downloaded. Returns how many served versions changed."""
        if policy is not None:
            self._policy_source = lambda: policy
        self._applied = self.policy
        with self._store.write() as tx:
            names = sorted(tx.all_mirrored_names())
        return self._merge_names(names, actor="mirror:policy")

    def remember_policy(self) -> None:
        """Take the policy in force as the one served entries reflect (at start-up: they
        were merged with it, or the scheduler's check will find the difference)."""
        self._applied = self.policy

    def explain(self, name: str) -> Explanation:
        with self._store.write() as tx:
            owner = tx.server_upstream(name)
            staged = tx.staged_for(name)
        local = owner is not None and owner[1] is None
        versions = [
            VersionExplanation(
                s.upstream,
                s.entry.version,
                self._decide(s),
                served=False,
            )
            for s in staged
        ]
        winner = None if local else self._winner(staged)
        if winner is not None:
            versions = [
                VersionExplanation(v.upstream, v.version, v.decision, v.upstream == winner)
                for v in versions
            ]
        served_from = "local" if local else (owner[1] if owner is not None else None)
        return Explanation(name, served_from, local, versions, self.policy.may_publish(name))

    # Merging --------------------------------------------------------------------------------

    def _decide(
        self, staged: StagedEntry, body: Any = None, policy: Policy | None = None
    ) -> Decision:
        if policy is None:
            policy = self.policy
        if not policy.rules:
            return policy.decide(_NO_SUBJECT)  # the default decides: no document to read
        if body is None:
            body = orjson.loads(staged.entry.body)
        return policy.decide(subject_of(body, staged.entry.status, staged.upstream))

    def _winner(self, staged: list[StagedEntry]) -> str | None:
        for entry in staged:  # highest priority first
            if self._decide(entry).allowed:
                return entry.upstream
        return None

    def _merge_names(self, names: list[str], actor: str) -> int:
        changed = 0
        for start in range(0, len(names), _NAMES_PER_TRANSACTION):
            with self._store.write() as tx:
                changed += self._merge(tx, names[start : start + _NAMES_PER_TRANSACTION], actor)
        return changed

    def _merge(self, tx: WriteSession, names: Iterable[str], actor: str) -> int:
        names = list(names)
        # Looked up for the whole chunk at once: per name, these were most of a merge's time.
        owners = tx.server_upstreams(names)
        staged = tx.staged_for_names(names)
        moved = self._follow_renames(tx, names, owners, staged, actor)
        if moved:
            names = sorted({*names, *moved})
            owners = tx.server_upstreams(names)
            staged = tx.staged_for_names(names)
        policy = self.policy  # once a chunk: reading it may look at the policy file
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

    def _follow_renames(
        self,
        tx: WriteSession,
        names: list[str],
        owners: dict[str, tuple[str, str | None]],
        staged: dict[str, list[StagedEntry]],
        actor: str,
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
        here = tx.servers_by_id(sorted(candidates))
        by_upstream: dict[str, list[str]] = {}
        for server_id, (_, upstream) in here.items():
            if upstream is not None:
                by_upstream.setdefault(upstream, []).append(server_id)
        moved: set[str] = set()
        now = self._clock()
        for upstream, ids in sorted(by_upstream.items()):
            for server_id, named in tx.staged_names_of_servers(upstream, ids).items():
                old = here[server_id][0]
                if old in named or len(named) != 1:
                    continue  # not renamed, or split: merged by names
                new_name = next(iter(named))
                if tx.find_server_id(new_name) is not None:
                    continue  # the name is taken here (a local server shadows it)
                mine = [
                    s
                    for s in tx.staged_for(new_name)
                    if s.upstream == upstream and s.entry.server_id == server_id
                ]
                served = {s.entry.version: s.entry.body for s in mine}
                previous = next(
                    (s.entry.previous_names for s in mine if s.entry.previous_names), None
                )
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
                        for v in tx.versions(server_id)
                        if v.version in served
                    },
                )
                moved.add(new_name)
        return moved

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
            return self._decide(staged, body, policy).allowed

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
            (s.upstream, s.entry.key): self._decide(
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
            tx.set_server_upstream(server_id, winner)
        served = tx.versions(server_id)
        changed = 0
        by_version = {v.version: v for v in served}
        shown: list[tuple[StagedEntry, str]] = []
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
                current.previous_names,
                current.warnings,
            ) == (entry.body, status, message, entry.previous_names, entry.warnings):
                continue
            else:
                version_id = current.version_id
                self._update(tx, current, staged_entry, status, message, now, body)
            changed += 1
            tx.append_change(_mirrored(now, server_id, version_id, name, staged_entry, actor))
        for version, current in by_version.items():
            if version in desired or current.status == Status.DELETED.value:
                continue
            # The winning upstream no longer serves it (or another upstream won): tombstone.
            tx.update_version(
                VersionUpdate(
                    version_id=current.version_id,
                    updated_at=now,
                    status=Status.DELETED,
                    status_message="no longer served by the upstream",
                    write_status_message=True,
                    status_changed_at=now,
                )
            )
            tx.append_change(
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
        status: str,
        message: str | None,
        now: datetime,
        body: Any,
    ) -> str:
        candidate = _version_id(staged)
        version_id = candidate if not tx.version_id_in_use(candidate) else str(uuid.uuid4())
        new = _new_version(server_id, version_id, staged, status, message, now, False, body)
        tx.insert_version(new)
        return version_id

    @staticmethod
    def _update(
        tx: WriteSession,
        current: VersionView,
        staged: StagedEntry,
        status: str,
        message: str | None,
        now: datetime,
        body: Any,
    ) -> None:
        tx.update_version(
            VersionUpdate(
                version_id=current.version_id,
                updated_at=now,
                status=Status(status),
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


def _settle_flagged(tx: WriteSession, server_id: str, version: str) -> None:
    """Give the latest flag to ``version``, as the upstream does."""
    views = tx.versions(server_id)
    target = next((v for v in views if v.version == version), None)
    if target is not None and not target.is_latest:
        tx.set_latest(server_id, target.version_id)
