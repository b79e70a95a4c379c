"""The mirror / subregistry engine (issue #7; docs/guides/run-an-enterprise-mirror.md).

A sync reads an upstream in batches (``core.ports.UpstreamReader``) and, for each batch, in
one transaction: stages what the upstream serves, re-computes what this registry serves for
every name the batch touched, and stores the checkpoint. A sync killed anywhere resumes from
the last committed batch, and staging is an upsert keyed by the upstream's own key, so running
a batch twice changes nothing: resumable and idempotent.

What is served is merged from the staged entries (services/mirror_merge.py); every change
of it is a change-log entry, so the mirror's own change feed, ETags and official read paths
work as for local entries, and mirrors can chain.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

import orjson

from registrum.core.errors import InvalidInputError, NotFoundError, Problem, StateConflictError
from registrum.core.ingest import count_stored
from registrum.core.policy import Decision, Policy
from registrum.core.ports import (
    KnownKeys,
    ServerStore,
    UpstreamReader,
)
from registrum.core.records import (
    UPSTREAM_KINDS,
    Upstream,
)
from registrum.services.clock import Clock, utc_now
from registrum.services.mirror_merge import Merger
from registrum.services.upstream_batches import grouped, prefetched

UPSTREAM_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DEFAULT_INTERVAL: Final = 300
# A merge transaction covers this many names at most: a full sync of a large upstream
# commits as it goes.
_NAMES_PER_TRANSACTION: Final = 2000
# A long sync serves what it has read every this many entries, not only at the end.
MERGE_EVERY: Final = 200_000

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
        self._merger = Merger(clock, lambda: self.policy)
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
            if tx.upstreams.get(name) is not None:
                raise StateConflictError(f"An upstream named {name!r} exists already")
            tx.upstreams.add(upstream)
        return upstream

    def remove(self, name: str) -> int:
        """Forget the upstream; the names it staged or served are merged again (so they
        disappear, or come from another upstream). Returns how many served versions
        changed."""
        with self._store.write() as tx:
            if tx.upstreams.get(name) is None:
                raise NotFoundError(f"No upstream named {name!r}")
            names = tx.staging.mirrored_names(name)
            tx.upstreams.remove(name)
        return self._merge_names(sorted(names), actor=f"mirror:{name}")

    def upstreams(self) -> list[Upstream]:
        return self._store.upstreams.list()

    def get(self, name: str) -> Upstream:
        upstream = self._store.upstreams.get(name)
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
                        tx.staging.stage(name, batch.entries, now)
                        tx.staging.unstage(name, batch.removed)
                    last = group[-1]
                    tx.upstreams.record_sync(
                        name, orjson.dumps(last.checkpoint).decode(), now, None
                    )
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
                tx.upstreams.record_sync(name, None, self._clock(), str(exc))
            raise
        finally:
            batches.close()  # stops the reading thread before its client is closed
            reader.close()
            report.seconds = time.perf_counter() - started
        with self._store.write() as tx:
            tx.upstreams.record_sync(name, None, self._clock(), None)
        return report

    def merge_pending(self, actor: str = "mirror") -> int:
        """Merge every name whose staged entries changed; returns how many served versions
        changed."""
        changed = 0
        while True:
            with self._store.write() as tx:
                names = tx.staging.pending(_NAMES_PER_TRANSACTION)
                if not names:
                    return changed
                changed += self._merger.merge(tx, names, actor)
                tx.staging.clear_pending(names)

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
                return tx.staging.keys(name, updated_since)

        return known

    # Policy ---------------------------------------------------------------------------------

    def reapply(self, policy: Policy | None = None) -> int:
        """Merge every mirrored name again (with a new policy, when given): nothing is
        downloaded. Returns how many served versions changed."""
        if policy is not None:
            self._policy_source = lambda: policy
        self._applied = self.policy
        with self._store.write() as tx:
            names = sorted(tx.staging.mirrored_names())
        return self._merge_names(names, actor="mirror:policy")

    def remember_policy(self) -> None:
        """Take the policy in force as the one served entries reflect (at start-up: they
        were merged with it, or the scheduler's check will find the difference)."""
        self._applied = self.policy

    def explain(self, name: str) -> Explanation:
        with self._store.write() as tx:
            owner = tx.servers.upstream_of(name)
            staged = tx.staging.for_name(name)
        local = owner is not None and owner[1] is None
        versions = [
            VersionExplanation(
                s.upstream,
                s.entry.version,
                self._merger.decide(s),
                served=False,
            )
            for s in staged
        ]
        winner = None if local else self._merger.winner(staged)
        if winner is not None:
            versions = [
                VersionExplanation(v.upstream, v.version, v.decision, v.upstream == winner)
                for v in versions
            ]
        served_from = "local" if local else (owner[1] if owner is not None else None)
        return Explanation(name, served_from, local, versions, self.policy.may_publish(name))

    # Merging --------------------------------------------------------------------------------

    def _merge_names(self, names: list[str], actor: str) -> int:
        changed = 0
        for start in range(0, len(names), _NAMES_PER_TRANSACTION):
            with self._store.write() as tx:
                part = names[start : start + _NAMES_PER_TRANSACTION]
                changed += self._merger.merge(tx, part, actor)
        return changed
