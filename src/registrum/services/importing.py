"""Import and export of whole registries (the operator's ``registrum import`` / ``export``).

An import item is either a bare server.json document or a ServerResponse envelope
(``{"server": ..., "_meta": ...}``), as the list endpoint and ``export`` produce. Documents
are stored as they were served, even where they break today's publish rules (each rule they
break is recorded on the version); only what cannot be stored at all is refused, and
reported. Envelopes keep their status, status message, timestamps, isLatest and Registrum
ids; bare documents are published now. Items already present (same name and version) are
left as they are, so an import can be run again safely.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from registrum.core import wire
from registrum.core.errors import Problem, RemoteUrlTakenError, StateConflictError
from registrum.core.ingest import (
    Deviation,
    Refusal,
    count_deviations,
    deviations_json,
    ingest_item,
)
from registrum.core.permissions import SYSTEM, Principal
from registrum.core.ports import ServerStore, WriteSession
from registrum.core.records import Change, ChangeKind, NewVersion
from registrum.core.status import Status
from registrum.core.versioning import Candidate, pick_latest
from registrum.core.wire import VersionView
from registrum.services.clock import Clock, IdFactory, new_id, utc_now
from registrum.services.remotes import require_free
from registrum.services.renames import claim_name

BATCH: Final = 250


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    name: str | None
    problems: tuple[Problem, ...]


@dataclass(slots=True)
class ImportResult:
    added: int = 0
    existing: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    # Versions kept although today's publish would refuse them, by rule (core/ingest.py).
    deviations: Counter[str] = field(default_factory=Counter)

    @property
    def seen(self) -> int:
        return self.added + self.existing + len(self.rejected)


@dataclass(frozen=True, slots=True)
class _Item:
    index: int
    name: str
    version: str
    description: str
    body: str
    status: Status
    status_message: str | None
    published_at: datetime | None
    status_changed_at: datetime | None
    updated_at: datetime | None
    server_id: str | None
    version_id: str | None
    remote_urls: tuple[str, ...]
    previous_names: str | None = None
    is_latest: bool | None = None  # the source's isLatest flag, when it gave one
    deviations: tuple[Deviation, ...] = ()


def _prepare(index: int, raw: Any) -> _Item | Rejected:
    served = ingest_item(raw)
    if isinstance(served, Refusal):
        problem = Problem(served.path, f"cannot be stored: {served.reason}")
        return Rejected(index, served.name, (problem,))
    taken = served.document
    status = served.status
    return _Item(
        index=index,
        name=taken.name,
        version=taken.version,
        description=taken.description,
        body=taken.body,
        status=status,
        status_message=served.status_message if status != Status.ACTIVE else None,
        published_at=served.published_at,
        status_changed_at=served.status_changed_at,
        updated_at=served.updated_at,
        server_id=served.server_id,
        version_id=served.version_id,
        remote_urls=taken.remote_urls,
        previous_names=served.previous_names,
        is_latest=served.is_latest,
        deviations=taken.deviations,
    )


def _batches(items: Iterable[Any], size: int) -> Iterator[list[tuple[int, Any]]]:
    batch: list[tuple[int, Any]] = []
    for index, item in enumerate(items):
        batch.append((index, item))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _taken_remote(tx: WriteSession, server_id: str, urls: tuple[str, ...]) -> list[Deviation]:
    """Remote URLs another live server names already. Publishing refuses them; an import
    keeps the version (the source served both) and records the clash."""
    try:
        require_free(tx, server_id, urls)
    except RemoteUrlTakenError as exc:
        return [Deviation("remote-url-taken", p.path, p.message) for p in exc.problems]
    return []


class ImportService:
    def __init__(
        self, store: ServerStore, *, clock: Clock = utc_now, ids: IdFactory = new_id
    ) -> None:
        self._store = store
        self._clock = clock
        self._ids = ids

    def import_items(
        self,
        items: Iterable[Any],
        *,
        principal: Principal = SYSTEM,
        progress: Callable[[ImportResult], None] | None = None,
    ) -> ImportResult:
        """Store every item that can be stored, as it was served: its timestamps, status,
        isLatest and ids kept, and every rule of today's publish it breaks recorded on it."""
        result = ImportResult()
        for batch in _batches(items, BATCH):
            prepared: list[_Item] = []
            for index, raw in batch:
                item = _prepare(index, raw)
                if isinstance(item, Rejected):
                    result.rejected.append(item)
                else:
                    prepared.append(item)
            if prepared:
                self._store_batch(prepared, principal, result)
            if progress is not None:
                progress(result)
        return result

    def _store_batch(self, items: list[_Item], principal: Principal, result: ImportResult) -> None:
        with self._store.write(*{i.name for i in items}) as tx:
            # Per server, the versions this batch adds: (version id, candidate for latest,
            # the source's isLatest flag).
            added: dict[str, list[tuple[str, Candidate, bool | None]]] = {}
            for item in items:
                now = self._clock()
                server_id = tx.servers.find_id(item.name)
                if server_id is None:
                    try:
                        claim_name(tx, item.name, now)
                    except StateConflictError as exc:
                        problem = Problem("name", exc.detail, item.name)
                        result.rejected.append(Rejected(item.index, item.name, (problem,)))
                        continue
                    server_id = (
                        item.server_id
                        if item.server_id and not tx.servers.id_in_use(item.server_id)
                        else self._ids()
                    )
                    tx.servers.create(server_id, item.name, now)
                elif tx.versions.find(server_id, item.version) is not None:
                    result.existing += 1
                    continue
                deviations = list(item.deviations)
                if item.status != Status.DELETED:
                    deviations += _taken_remote(tx, server_id, item.remote_urls)
                version_id = (
                    item.version_id
                    if item.version_id and not tx.versions.id_in_use(item.version_id)
                    else self._ids()
                )
                published = item.published_at or now
                tx.versions.insert(
                    NewVersion(
                        server_id=server_id,
                        version_id=version_id,
                        name=item.name,
                        version=item.version,
                        description=item.description,
                        body=item.body,
                        status=item.status,
                        status_message=item.status_message,
                        status_changed_at=item.status_changed_at or published,
                        published_at=published,
                        # This registry's time of the change (what updated_since filters
                        # on); the source's updatedAt is served.
                        updated_at=now,
                        is_latest=False,
                        remote_urls=item.remote_urls,
                        previous_names=item.previous_names,
                        warnings=deviations_json(deviations),
                        origin_updated_at=item.updated_at,
                    )
                )
                tx.log.append(
                    Change(
                        ChangeKind.IMPORTED,
                        now,
                        server_id,
                        version_id,
                        item.name,
                        item.version,
                        principal.actor,
                    )
                )
                deleted = item.status == Status.DELETED
                added.setdefault(server_id, []).append(
                    (version_id, Candidate(item.version, published, deleted), item.is_latest)
                )
                count_deviations(result.deviations, deviations)
                result.added += 1
            for server_id, news in added.items():
                _settle_latest(tx, server_id, news)


def _settle_latest(
    tx: WriteSession, server_id: str, news: list[tuple[str, Candidate, bool | None]]
) -> None:
    """Give the latest flag to the version the source flagged isLatest, if one of those just
    added is; else, when the source flagged none of them (bare documents), to the greatest
    of the current holder and the versions just added.

    The source's flag wins because the official registry decides isLatest at each publish,
    which can differ from what the rules give for the versions alone. Comparing with the
    holder is enough because it is already the greatest live version (or, when every
    version is deleted, the greatest deleted one); it saves reading every version of a
    large server once per batch."""
    flagged = [vid for vid, _, is_latest in news if is_latest]
    if flagged:
        tx.versions.set_latest(server_id, flagged[-1])
        return
    holder = tx.versions.latest(server_id)
    if holder is not None and all(is_latest is False for _, _, is_latest in news):
        return  # the source says none of these is latest: the holder stays
    pool = [(vid, candidate) for vid, candidate, _ in news]
    if holder is not None:
        deleted = holder.status is Status.DELETED
        pool.append((holder.version_id, Candidate(holder.version, holder.published_at, deleted)))
    winner = pick_latest(pool, key=lambda entry: entry[1])
    if winner is not None and (holder is None or winner[0] != holder.version_id):
        tx.versions.set_latest(server_id, winner[0])


def export_items(store: ServerStore) -> Iterator[dict[str, Any]]:
    """Every stored version as a ServerResponse envelope, the form ``import`` reads back."""
    view: VersionView
    for view in store.versions.iter_all():
        yield wire.server_response(view)
