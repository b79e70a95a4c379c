"""Ports: what the services need from the outside world, as Protocols.

Storage implements :class:`ServerStore`. A write happens inside :meth:`ServerStore.write`,
which opens one transaction and holds the per-server lock until it commits, so every check
made through the :class:`WriteSession` stays true until the change is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from registrum.core.permissions import Principal
from registrum.core.records import (
    Change,
    ChangeEntry,
    ListQuery,
    NewVersion,
    StagedEntry,
    TransferOffer,
    Upstream,
    UpstreamEntry,
    VersionUpdate,
)
from registrum.core.server_json import Package
from registrum.core.wire import VersionView


class WriteSession(Protocol):
    def find_server_id(self, name: str) -> str | None: ...

    def create_server(self, server_id: str, name: str, at: datetime) -> None: ...

    def count_versions(self, server_id: str) -> int: ...

    def server_id_in_use(self, server_id: str) -> bool: ...

    def version_id_in_use(self, version_id: str) -> bool: ...

    def find(self, server_id: str, version: str) -> VersionView | None:
        """One version, deleted or not."""
        ...

    def latest(self, server_id: str) -> VersionView | None:
        """The version flagged latest, deleted or not."""
        ...

    def versions(self, server_id: str) -> list[VersionView]:
        """Every version of the server, deleted ones included."""
        ...

    def insert_version(self, new: NewVersion) -> None: ...

    def remote_url_owner(self, url: str, other_than: str) -> str | None:
        """The name of a server other than ``other_than`` (a server id) whose live
        (not deleted) version names ``url`` as a remote, or None."""
        ...

    def update_version(self, update: VersionUpdate) -> None: ...

    def set_latest(self, server_id: str, version_id: str | None) -> None:
        """Make ``version_id`` the only latest version of the server (``None``: none)."""
        ...

    def append_change(self, change: Change) -> int:
        """Append to the change log; returns the new gap-free ``seq``. The version it is
        about (if any) takes that seq as its own. Versions whose latest flag ``set_latest``
        moved without an entry of their own get a ``latest-moved`` entry at commit."""
        ...

    def add_versions(self, news: Sequence[NewVersion], changes: Sequence[Change]) -> None:
        """Insert new versions in bulk, ``changes[i]`` being the log entry of ``news[i]``
        (what a mirror's full sync writes)."""
        ...

    def version_ids_in_use(self, ids: Sequence[str]) -> set[str]: ...

    def retired_name(self, name: str) -> tuple[str, datetime] | None:
        """(server id, reserved until) of a name a server left by a rename, or None."""
        ...

    def retire_name(self, name: str, server_id: str, at: datetime, until: datetime) -> None: ...

    def release_name(self, name: str) -> None: ...

    def rename_server(
        self,
        server_id: str,
        new_name: str,
        previous_names: list[str],
        bodies: dict[str, str],
        at: datetime,
    ) -> None:
        """Move the server and every version to ``new_name``; ``bodies`` are the versions'
        documents under the new name, by version id."""
        ...

    def create_offer(self, offer: TransferOffer) -> None: ...

    def find_offer(self, offer_id: str) -> TransferOffer | None: ...

    def accept_offer(self, offer_id: str, at: datetime, by: str) -> None: ...

    # The mirror (issue #7).

    def add_upstream(self, upstream: Upstream) -> None: ...

    def remove_upstream(self, name: str) -> None:
        """Forget the upstream and everything staged from it."""
        ...

    def get_upstream(self, name: str) -> Upstream | None: ...

    def record_sync(
        self, name: str, checkpoint: str | None, at: datetime, error: str | None
    ) -> None: ...

    def stage(self, upstream: str, entries: Sequence[UpstreamEntry], at: datetime) -> set[str]:
        """Insert or replace entries; returns the names touched (old names of moved keys
        too)."""
        ...

    def unstage(self, upstream: str, keys: Iterable[str]) -> set[str]: ...

    def staged_keys(
        self, upstream: str, updated_since: datetime | None = None
    ) -> dict[str, datetime | None]: ...

    def staged_for(self, name: str) -> list[StagedEntry]:
        """Every upstream's entries for the name, highest priority first."""
        ...

    def all_mirrored_names(self, upstream: str | None = None) -> set[str]:
        """Names some upstream serves or some mirrored server has (or only ``upstream``'s)."""
        ...

    def server_upstreams(self, names: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """``server_upstream`` for many names at once (absent: no server)."""
        ...

    def staged_for_names(self, names: Sequence[str]) -> dict[str, list[StagedEntry]]:
        """``staged_for`` for many names at once."""
        ...

    def create_servers(self, rows: Sequence[tuple[str, str, datetime, str | None]]) -> None:
        """Servers in bulk: (id, name, created at, upstream)."""
        ...

    def server_ids_in_use(self, ids: Sequence[str]) -> set[str]: ...

    def staged_names_of_servers(
        self, upstream: str, server_ids: Sequence[str]
    ) -> dict[str, set[str]]:
        """The names under which ``upstream``'s staged entries carry each of these (upstream)
        server ids: where a server renamed upstream now is."""
        ...

    def servers_by_id(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """(name, upstream) of each of these servers that exists here."""
        ...

    def pending_names(self, limit: int) -> list[str]:
        """Names whose staged entries changed since they were last merged (``stage`` and
        ``unstage`` mark them)."""
        ...

    def clear_pending(self, names: Sequence[str]) -> None: ...

    def server_upstream(self, name: str) -> tuple[str, str | None] | None:
        """(server id, upstream or None when published here) of the server with that name."""
        ...

    def set_server_upstream(self, server_id: str, upstream: str | None) -> None: ...


class IdentityProvider(Protocol):
    """One login method: checks a proof of identity and says what it grants.

    ``exchange`` receives the decoded request body (``None`` when there is none) and raises
    :class:`registrum.core.errors.AuthenticationError` when the proof does not hold. Outside
    calls (GitHub, DNS, HTTPS) happen here, never inside a database transaction.
    """

    method: str

    def exchange(self, body: Any) -> Principal: ...


class PackageVerifier(Protocol):
    """Proves that one package belongs to a server by asking its package registry.

    ``verify`` returns when the package exists and names ``server_name``, and otherwise
    raises :class:`~registrum.core.errors.PackageOwnershipError` (the publisher must change
    something), :class:`~registrum.core.errors.UpstreamUnavailableError` (retry later) or
    :class:`~registrum.core.errors.BadUpstreamError`. Problem paths are relative to the
    package entry (``identifier``, ``version``). It runs outside any database transaction,
    on a worker thread, possibly beside other verifiers.
    """

    registry_type: str

    def verify(self, package: Package, server_name: str) -> None: ...


class ServerStore(Protocol):
    def write(self, *names: str) -> AbstractContextManager[WriteSession]:
        """One transaction holding the per-server lock of every name given."""
        ...

    def list_page(self, query: ListQuery) -> list[VersionView]: ...

    def versions_by_name(self, name: str, include_deleted: bool) -> list[VersionView]: ...

    def find_version(
        self, name: str, version: str, include_deleted: bool
    ) -> VersionView | None: ...

    def find_latest(self, name: str, include_deleted: bool) -> VersionView | None: ...

    def iter_all(self) -> Iterator[VersionView]:
        """Every stored version, deleted ones included, in (name, version) order."""
        ...

    def head(self) -> int:
        """The ``seq`` of the newest change-log entry (0 when empty)."""
        ...

    def changes_since(self, since: int, limit: int) -> list[ChangeEntry]:
        """The change-log entries after ``since``, in seq order, at most ``limit``."""
        ...

    def versions_by_server_id(self, server_id: str, include_deleted: bool) -> list[VersionView]:
        """Every version of the server with that id, newest publication first."""
        ...

    def latest_by_server_id(self, server_id: str, include_deleted: bool) -> VersionView | None: ...

    def moved_to(self, name: str) -> str | None:
        """The current name of the server that left ``name`` by a rename, or None."""
        ...

    def find_offer(self, offer_id: str) -> TransferOffer | None: ...

    def list_upstreams(self) -> list[Upstream]: ...

    def get_upstream(self, name: str) -> Upstream | None: ...

    def server_upstream(self, name: str) -> tuple[str, str | None] | None:
        """(server id, upstream or None when published here) of the server with that name."""
        ...

    def change_token(self) -> int:
        """A number that changes whenever any process commits a write; cheap enough to ask
        on every request. Only compared with earlier values from the same store object."""
        ...


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
    """Reads one upstream registry from a checkpoint, in batches (issue #7)."""

    def read(self, checkpoint: Mapping[str, Any], known: KnownKeys) -> Iterator[UpstreamBatch]:
        """The batches after ``checkpoint``. ``known`` gives the keys already staged (with
        the upstream's updatedAt), for readers that must find removals or skip repeats."""
        ...

    def close(self) -> None: ...
