"""Reads: list, versions, one version (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from registrum.core.errors import NotFoundError
from registrum.core.ports import ServerStore
from registrum.core.records import ListQuery
from registrum.core.wire import VersionView

LATEST: Final = "latest"
DEFAULT_LIMIT: Final = 30
MAX_LIMIT: Final = 100


@dataclass(frozen=True, slots=True)
class Page:
    items: list[VersionView]
    next_cursor: str | None


def parse_cursor(cursor: str) -> tuple[str, str | None]:
    """``name:version``, split at the first ``:`` (names cannot hold one; versions can)."""
    name, sep, version = cursor.partition(":")
    return (name, version) if sep else (name, None)


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
        cursor_name, cursor_version = parse_cursor(cursor) if cursor else (None, None)
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
        items = self._store.list_page(query)
        # A cursor only after a full page, as the official registry does: a last page that is
        # exactly full is followed by one empty page.
        next_cursor = f"{items[-1].name}:{items[-1].version}" if len(items) == limit else None
        return Page(items, next_cursor)

    def head(self) -> int:
        """The change log's head: what answers computed now reflect at least."""
        return self._store.head()

    def change_token(self) -> int:
        """Changes whenever anything is written, by any process (see ``ServerStore``)."""
        return self._store.change_token()

    def versions(self, name: str, *, include_deleted: bool = False) -> list[VersionView]:
        views = self._store.versions_by_name(name, include_deleted)
        if not views:
            raise NotFoundError("Server not found")
        return views

    def get(self, name: str, version: str, *, include_deleted: bool = False) -> VersionView:
        if version == LATEST:
            view = self._store.find_latest(name, include_deleted)
        else:
            view = self._store.find_version(name, version, include_deleted)
        if view is None:
            raise NotFoundError("Server not found")
        return view
