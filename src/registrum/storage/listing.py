"""What the read API asks of the catalog: the list, one server's versions, one version.

Every call is one indexed statement on the read line (:mod:`registrum.storage.reads`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registrum.core.records import ListQuery
from registrum.core.wire import VersionView
from registrum.storage.reads import (
    AFTER,
    LATEST,
    LIST_ORDER,
    LIVE,
    NEWEST_FIRST,
    SELECT_VIEWS,
    ReadLine,
)


def _live(include_deleted: bool) -> str:
    return "" if include_deleted else f" AND {LIVE}"


class SqlVersionReads:
    def __init__(self, reads: ReadLine) -> None:
        self._reads = reads

    def page(self, query: ListQuery) -> list[VersionView]:
        q = query
        where: list[str] = []
        params: dict[str, Any] = {"limit": q.limit}
        if not q.include_deleted:
            where.append(LIVE)
        if q.latest_only:
            where.append(LATEST)
        if q.version is not None:
            where.append("version = :version")
            params["version"] = q.version
        if q.updated_since is not None:
            where.append("updated_at > :updated_since")
            params["updated_since"] = self._reads.dialect.time_param(q.updated_since)
        if q.search:
            where.append(self._reads.dialect.search(q.search, params, self._reads.rows))
        if q.cursor_name is not None:
            params["cursor_name"] = q.cursor_name
            if q.cursor_version is None:
                where.append("name > :cursor_name")
            else:
                where.append(AFTER)
                params["cursor_version"] = q.cursor_version
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        return self._reads.views(f"{SELECT_VIEWS}{condition} {LIST_ORDER} LIMIT :limit", params)

    def by_name(self, name: str, include_deleted: bool) -> list[VersionView]:
        sql = f"{SELECT_VIEWS} WHERE name = :name{_live(include_deleted)} {NEWEST_FIRST}"
        return self._reads.views(sql, {"name": name})

    def find(self, name: str, version: str, include_deleted: bool) -> VersionView | None:
        sql = f"{SELECT_VIEWS} WHERE name = :name AND version = :version{_live(include_deleted)}"
        rows = self._reads.views(sql, {"name": name, "version": version})
        return rows[0] if rows else None

    def latest(self, name: str, include_deleted: bool) -> VersionView | None:
        sql = f"{SELECT_VIEWS} WHERE name = :name AND {LATEST}{_live(include_deleted)} LIMIT 1"
        rows = self._reads.views(sql, {"name": name})
        return rows[0] if rows else None

    def by_server_id(self, server_id: str, include_deleted: bool) -> list[VersionView]:
        sql = f"{SELECT_VIEWS} WHERE server_id = :sid{_live(include_deleted)} {NEWEST_FIRST}"
        return self._reads.views(sql, {"sid": server_id})

    def latest_by_server_id(self, server_id: str, include_deleted: bool) -> VersionView | None:
        live = _live(include_deleted)
        sql = f"{SELECT_VIEWS} WHERE server_id = :sid AND {LATEST}{live} LIMIT 1"
        rows = self._reads.views(sql, {"sid": server_id})
        return rows[0] if rows else None

    def iter_all(self) -> Iterator[VersionView]:
        # Paged by key, so a large registry streams without holding one long read open.
        first = f"{SELECT_VIEWS} {LIST_ORDER} LIMIT 1000"
        after = f"{SELECT_VIEWS} WHERE {AFTER} {LIST_ORDER} LIMIT 1000"
        page = self._reads.views(first)
        while page:
            yield from page
            last = page[-1]
            page = self._reads.views(
                after, {"cursor_name": last.name, "cursor_version": last.version}
            )
