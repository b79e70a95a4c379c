"""Records that cross the port between services and storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from registrum.core.status import Status
from registrum.core.wire import VersionView


@dataclass(frozen=True, slots=True)
class NewVersion:
    server_id: str
    version_id: str
    name: str
    version: str
    description: str
    body: str
    status: Status
    status_message: str | None
    status_changed_at: datetime
    published_at: datetime
    updated_at: datetime
    is_latest: bool
    remote_urls: tuple[str, ...] = ()
    previous_names: str | None = None  # the server's earlier names (JSON array), if any
    source: str | None = None  # a mirrored version's provenance (JSON object)
    # An ingested version's deviations from today's publish rules (JSON array; core/ingest.py).
    warnings: str | None = None
    # The updatedAt its origin (upstream or import) served, served here in place of
    # ``updated_at`` (which stays this registry's own time, for updated_since filtering).
    origin_updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VersionUpdate:
    """New values for a stored version; ``None`` leaves a member as it is, except
    ``status_message``, which is always written (the official registry clears it on every
    status change that does not give one)."""

    version_id: str
    updated_at: datetime
    status: Status | None = None
    status_message: str | None = None
    status_changed_at: datetime | None = None
    body: str | None = None
    description: str | None = None
    write_status_message: bool = False
    # With a new body: the remote URLs it names (replacing the old ones).
    remote_urls: tuple[str, ...] | None = None
    # A mirrored version's provenance (JSON object); None leaves it as it is.
    source: str | None = None
    # With a new body from an upstream: its deviations (JSON array or None) and the server's
    # previous names there (JSON array or None); both written only with ``ingested``.
    ingested: bool = False
    warnings: str | None = None
    previous_names: str | None = None
    # The updatedAt the origin served; always written (None: serve ``updated_at``), since any
    # change made here makes this registry's time the one to serve.
    origin_updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the append-only change log; ``seq`` is assigned by storage."""

    kind: str
    at: datetime
    server_id: str
    version_id: str | None
    name: str
    version: str | None
    actor: str
    detail: str = "{}"


class ChangeKind:
    PUBLISHED = "published"
    STATUS_CHANGED = "status-changed"
    EDITED = "edited"
    IMPORTED = "imported"
    # The version gained or lost isLatest because another version was published, deleted
    # or restored: a change of its state too, so the feed carries it.
    LATEST_MOVED = "latest-moved"
    RENAMED = "renamed"  # one per version of the renamed server
    MIRRORED = "mirrored"  # a version taken, changed or hidden by a mirror sync
    TRANSFER_OFFERED = "transfer-offered"  # server-level: no version


@dataclass(frozen=True, slots=True)
class TransferOffer:
    """The first step of moving a server to a namespace someone else holds."""

    id: str
    server_id: str
    name: str
    new_name: str
    offered_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    accepted_by: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """A change-log entry as the feed serves it: the entry, and the version it is about as
    that version now stands (None for server-level entries)."""

    seq: int
    kind: str
    at: datetime
    server_id: str
    version_id: str | None
    name: str
    version: str | None
    detail: str
    view: VersionView | None


@dataclass(frozen=True, slots=True)
class ListQuery:
    limit: int
    cursor_name: str | None = None
    cursor_version: str | None = None
    search: str | None = None
    updated_since: datetime | None = None
    version: str | None = None
    latest_only: bool = False
    include_deleted: bool = False


# How an upstream is read: its change feed, the official list API, or a dump file.
UPSTREAM_KINDS = ("registrum", "official", "file")


@dataclass(frozen=True, slots=True)
class Upstream:
    """A registry this one mirrors (issue #7)."""

    name: str
    url: str
    kind: str  # "registrum" (follows the change feed), "official" (walk + updated_since), "file"
    priority: int
    interval_seconds: int
    checkpoint: str = "{}"  # JSON: where the next sync resumes
    created_at: datetime | None = None
    last_synced_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class UpstreamEntry:
    """One version as an upstream serves it. ``key`` identifies it within the upstream (its
    versionId when it has one, else name and version)."""

    key: str
    name: str
    version: str
    body: str
    status: Status
    status_message: str | None
    published_at: datetime
    status_changed_at: datetime
    upstream_updated_at: datetime | None = None
    upstream_seq: int | None = None
    # The upstream's isLatest flag (None: it gave none), and, from a Registrum upstream, its
    # stable ids and the server's previous names (JSON array), carried down a chain.
    is_latest: bool | None = None
    server_id: str | None = None
    version_id: str | None = None
    previous_names: str | None = None
    warnings: str | None = None  # deviations from today's publish rules (JSON array)


@dataclass(frozen=True, slots=True)
class StagedEntry:
    """An upstream entry as stored for merging, with its upstream's name and priority."""

    upstream: str
    priority: int
    url: str
    entry: UpstreamEntry
    synced_at: datetime
