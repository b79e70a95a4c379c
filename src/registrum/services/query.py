"""Reads: the list, a server's versions, one version, the change feed, look-ups by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from registrum.core.cursors import decode_cursor, encode_cursor
from registrum.core.errors import NotFoundError
from registrum.core.ports import ServerStore
from registrum.core.records import ChangeEntry, ListQuery
from registrum.core.wire import VersionView

LATEST: Final = "latest"
DEFAULT_LIMIT: Final = 30
MAX_LIMIT: Final = 100


DEFAULT_CHANGES: Final = 100
MAX_CHANGES: Final = 1000


@dataclass(frozen=True, slots=True)
class ChangePage:
    entries: list[ChangeEntry]
    head: int  # read before the entries: they may go past it, never stop short of it
    next_since: int


@dataclass(frozen=True, slots=True)
class Page:
    items: list[VersionView]
    next_cursor: str | None


class QueryService:
    def __init__(self, store: ServerStore) -> None:
        self._store = store

    def list_servers(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        search: str | None = None,
        updated_since: datetime | None = None,
        version: str | None = None,
        include_deleted: bool = False,
    ) -> Page:
        cursor_name, cursor_version = decode_cursor(cursor) if cursor else (None, None)
        query = ListQuery(
            limit=limit,
            cursor_name=cursor_name,
            cursor_version=cursor_version,
            search=search or None,
            updated_since=updated_since,
            version=None if version in (None, "", LATEST) else version,
            latest_only=version == LATEST,
            include_deleted=include_deleted or updated_since is not None,
        )
        items = self._store.versions.page(query)
        # A cursor only after a full page, as the official registry does: a last page that is
        # exactly full is followed by one empty page.
        last = items[-1] if len(items) == limit else None
        next_cursor = encode_cursor(last.name, last.version) if last is not None else None
        return Page(items, next_cursor)

    def head(self) -> int:
        """The change log's head: what answers computed now reflect at least."""
        return self._store.log.head()

    def change_token(self) -> int:
        """Changes whenever anything is written, by any process (see ``ServerStore``)."""
        return self._store.log.change_token()

    async def head_async(self) -> int:
        """``head``, without blocking the event loop."""
        return await self._store.log.head_async()

    async def change_token_async(self) -> int:
        """``change_token``, without blocking the event loop."""
        return await self._store.log.change_token_async()

    def versions(self, name: str, *, include_deleted: bool = False) -> list[VersionView]:
        views = self._store.versions.by_name(name, include_deleted)
        if not views:
            raise NotFoundError("Server not found")
        return views

    def get(self, name: str, version: str, *, include_deleted: bool = False) -> VersionView:
        if version == LATEST:
            view = self._store.versions.latest(name, include_deleted)
        else:
            view = self._store.versions.find(name, version, include_deleted)
        if view is None:
            raise NotFoundError("Server not found")
        return view

    def changes(self, since: int, limit: int = DEFAULT_CHANGES) -> ChangePage:
        head = self._store.log.head()
        if since > head:
            # Nothing can follow a seq past the head; and such a value (the API takes any
            # 64-bit one) need not fit the column at all (PostgreSQL's is 32-bit).
            return ChangePage([], head, since)
        entries = self._store.log.since(since, limit)
        if not entries:
            return ChangePage(entries, head, since)
        # Entries committed after the head was read may be in the page: the head is at
        # least the last of them.
        return ChangePage(entries, max(head, entries[-1].seq), entries[-1].seq)

    def latest_by_id(self, server_id: str, *, include_deleted: bool = False) -> VersionView:
        view = self._store.versions.latest_by_server_id(server_id, include_deleted)
        if view is None:
            raise NotFoundError("Server not found")
        return view

    def versions_by_id(self, server_id: str, *, include_deleted: bool = False) -> list[VersionView]:
        views = self._store.versions.by_server_id(server_id, include_deleted)
        if not views:
            raise NotFoundError("Server not found")
        return views

    def moved_to(self, name: str) -> str | None:
        """The server's current name when ``name`` is one it left by a rename."""
        return self._store.names.moved_to(name)
