"""Server rows: who holds a name, and whether a server was published here or mirrored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from registrum.core.ports import Ownership
from registrum.storage import bulk
from registrum.storage.dialects import Dialect
from registrum.storage.tables import servers

CHUNK = 500  # keys per IN list

_FIND = select(servers.c.id).where(servers.c.name == bindparam("name"))
_ID_USED = select(servers.c.id).where(servers.c.id == bindparam("id"))
_INSERT = servers.insert()
_OWNERSHIP = select(servers.c.id, servers.c.upstream).where(servers.c.name == bindparam("name"))


def chunks(keys: Sequence[str]) -> list[list[str]]:
    """``keys`` in lists short enough for one IN (...)."""
    return [list(keys[start : start + CHUNK]) for start in range(0, len(keys), CHUNK)]


class SqlServers:
    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self._conn = conn
        self._dialect = dialect

    def find_id(self, name: str) -> str | None:
        return self._conn.execute(_FIND, {"name": name}).scalar()

    def create(self, server_id: str, name: str, at: datetime) -> None:
        self._conn.execute(_INSERT, {"id": server_id, "name": name, "created_at": at})

    def create_many(self, rows: Sequence[tuple[str, str, datetime, str | None]]) -> None:
        bulk.insert_many(
            self._conn,
            self._dialect,
            servers,
            [{"id": i, "name": n, "created_at": at, "upstream": u} for i, n, at, u in rows],
        )

    def id_in_use(self, server_id: str) -> bool:
        return self._conn.execute(_ID_USED, {"id": server_id}).first() is not None

    def ids_in_use(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(ids):
            stmt = select(servers.c.id).where(servers.c.id.in_(chunk))
            found.update(self._conn.execute(stmt).scalars())
        return found

    def by_ids(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        found: dict[str, tuple[str, str | None]] = {}
        for chunk in chunks(ids):
            stmt = select(servers.c.id, servers.c.name, servers.c.upstream).where(
                servers.c.id.in_(chunk)
            )
            found.update({row[0]: (row[1], row[2]) for row in self._conn.execute(stmt)})
        return found

    def upstream_of(self, name: str) -> Ownership | None:
        row = self._conn.execute(_OWNERSHIP, {"name": name}).first()
        return (row[0], row[1]) if row is not None else None

    def upstreams_of(self, names: Sequence[str]) -> dict[str, Ownership]:
        found: dict[str, Ownership] = {}
        for chunk in chunks(names):
            stmt = select(servers.c.name, servers.c.id, servers.c.upstream).where(
                servers.c.name.in_(chunk)
            )
            found.update({row[0]: (row[1], row[2]) for row in self._conn.execute(stmt)})
        return found

    def set_upstream(self, server_id: str, upstream: str | None) -> None:
        self._conn.execute(
            update(servers).where(servers.c.id == server_id).values(upstream=upstream)
        )
