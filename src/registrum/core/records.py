"""Records that cross the port between services and storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from registrum.core.status import Status


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
