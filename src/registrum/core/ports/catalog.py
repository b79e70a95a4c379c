"""Ports of the catalog: servers, their versions, and which version is the latest."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from registrum.core.records import Change, ListQuery, NewVersion, VersionUpdate
from registrum.core.wire import VersionView

# (server id, upstream or None when published here): whose a server is.
Ownership = tuple[str, str | None]


class ServerWrites(Protocol):
    """Server rows, inside a write transaction."""

    def find_id(self, name: str) -> str | None:
        """The id of the server holding ``name``, or None."""
        ...

    def create(self, server_id: str, name: str, at: datetime) -> None:
        """A server published here (mirrored ones come in bulk: ``create_many``)."""
        ...

    def create_many(self, rows: Sequence[tuple[str, str, datetime, str | None]]) -> None:
        """Servers in bulk: (id, name, created at, upstream)."""
        ...

    def id_in_use(self, server_id: str) -> bool: ...

    def ids_in_use(self, ids: Sequence[str]) -> set[str]: ...

    def by_ids(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """(name, upstream) of each of these servers that exists here."""
        ...

    def upstream_of(self, name: str) -> Ownership | None:
        """(server id, upstream or None when published here) of the server with that name."""
        ...

    def upstreams_of(self, names: Sequence[str]) -> dict[str, Ownership]:
        """``upstream_of`` for many names at once (absent: no server)."""
        ...

    def set_upstream(self, server_id: str, upstream: str | None) -> None: ...


class VersionWrites(Protocol):
    """Version rows and the latest flag, inside a write transaction."""

    def count(self, server_id: str) -> int: ...

    def find(self, server_id: str, version: str) -> VersionView | None:
        """One version, deleted or not."""
        ...

    def latest(self, server_id: str) -> VersionView | None:
        """The version flagged latest, deleted or not."""
        ...

    def of_server(self, server_id: str) -> list[VersionView]:
        """Every version of the server, deleted ones included, newest publication first."""
        ...

    def insert(self, new: NewVersion) -> None: ...

    def insert_many(self, news: Sequence[NewVersion], changes: Sequence[Change]) -> None:
        """New versions in bulk, ``changes[i]`` being the log entry of ``news[i]`` (what a
        mirror's full sync writes)."""
        ...

    def update(self, update: VersionUpdate) -> None: ...

    def set_latest(self, server_id: str, version_id: str | None) -> None:
        """Make ``version_id`` the only latest version of the server (``None``: none).
        Versions whose flag moved without a log entry of their own get a ``latest-moved``
        entry at commit."""
        ...

    def id_in_use(self, version_id: str) -> bool: ...

    def ids_in_use(self, ids: Sequence[str]) -> set[str]: ...

    def remote_url_owner(self, url: str, other_than: str) -> str | None:
        """The name of a server other than ``other_than`` (a server id) whose live (not
        deleted) version names ``url`` as a remote, or None. URLs are compared by
        :func:`registrum.core.urls.remote_url_key`, not as typed."""
        ...


class VersionReads(Protocol):
    """What the read API asks of the catalog, outside any transaction."""

    def page(self, query: ListQuery) -> list[VersionView]:
        """One page of the list, in (name, version) order."""
        ...

    def by_name(self, name: str, include_deleted: bool) -> list[VersionView]:
        """Every version of the server with that name, newest publication first."""
        ...

    def find(self, name: str, version: str, include_deleted: bool) -> VersionView | None: ...

    def latest(self, name: str, include_deleted: bool) -> VersionView | None: ...

    def by_server_id(self, server_id: str, include_deleted: bool) -> list[VersionView]:
        """Every version of the server with that id, newest publication first."""
        ...

    def latest_by_server_id(self, server_id: str, include_deleted: bool) -> VersionView | None: ...

    def iter_all(self) -> Iterator[VersionView]:
        """Every stored version, deleted ones included, in (name, version) order."""
        ...
