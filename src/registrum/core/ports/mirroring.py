"""Ports of the mirror: the upstreams followed, what each serves (staged), and the reading
of an upstream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from registrum.core.records import StagedEntry, Upstream, UpstreamEntry


class UpstreamWrites(Protocol):
    def add(self, upstream: Upstream) -> None: ...

    def remove(self, name: str) -> None:
        """Forget the upstream and everything staged from it."""
        ...

    def get(self, name: str) -> Upstream | None: ...

    def record_sync(
        self, name: str, checkpoint: str | None, at: datetime, error: str | None
    ) -> None: ...


class UpstreamReads(Protocol):
    def list(self) -> list[Upstream]: ...

    def get(self, name: str) -> Upstream | None: ...


class StagingWrites(Protocol):
    """Upstream entries as served, kept apart until merged into the catalog."""

    def stage(self, upstream: str, entries: Sequence[UpstreamEntry], at: datetime) -> set[str]:
        """Insert or replace entries; returns the names touched (old names of moved keys
        too). Marks them pending."""
        ...

    def unstage(self, upstream: str, keys: Iterable[str]) -> set[str]:
        """Remove entries; returns the names touched. Marks them pending."""
        ...

    def keys(
        self, upstream: str, updated_since: datetime | None = None
    ) -> dict[str, datetime | None]:
        """The keys ``upstream`` has staged, with its updatedAt of each; with
        ``updated_since``, only those updated then or later."""
        ...

    def for_name(self, name: str) -> list[StagedEntry]:
        """Every upstream's entries for the name, highest priority first."""
        ...

    def for_names(self, names: Sequence[str]) -> dict[str, list[StagedEntry]]:
        """``for_name`` for many names at once."""
        ...

    def mirrored_names(self, upstream: str | None = None) -> set[str]:
        """Names some upstream serves or some mirrored server has (or only ``upstream``'s)."""
        ...

    def names_of_servers(self, upstream: str, server_ids: Sequence[str]) -> dict[str, set[str]]:
        """The names under which ``upstream``'s staged entries carry each of these (upstream)
        server ids: where a server renamed upstream now is."""
        ...

    def pending(self, limit: int) -> list[str]:
        """Names whose staged entries changed since they were last merged."""
        ...

    def clear_pending(self, names: Sequence[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class UpstreamBatch:
    """What one step of reading an upstream gives: entries to stage, keys the upstream no
    longer serves, the checkpoint to resume after them, and progress (done of total)."""

    entries: list[UpstreamEntry]
    removed: list[str]
    checkpoint: dict[str, Any]
    done: int
    total: int | None = None
    # Items the upstream served that cannot be stored at all, each with why (core/ingest.py).
    refused: list[str] = field(default_factory=list)


class KnownKeys(Protocol):
    def __call__(self, updated_since: datetime | None = None) -> dict[str, datetime | None]:
        """The keys an upstream has staged here, with its updatedAt of each; with
        ``updated_since``, only those it updated then or later."""
        ...


class UpstreamReader(Protocol):
    """Reads one upstream registry from a checkpoint, in batches."""

    def read(self, checkpoint: Mapping[str, Any], known: KnownKeys) -> Iterator[UpstreamBatch]:
        """The batches after ``checkpoint``. ``known`` gives the keys already staged (with
        the upstream's updatedAt), for readers that must find removals or skip repeats."""
        ...

    def close(self) -> None: ...
