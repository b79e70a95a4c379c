"""Reads of one number on PostgreSQL through psycopg's async interface, for the event loop
(the response cache asks for the change token on every request)."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

from sqlalchemy import Engine


class PostgresScalar:
    """One PostgreSQL connection per event loop, on psycopg's async interface, for
    single-number reads (the change token, the log head)."""

    def __init__(self, engine: Engine) -> None:
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._conns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    async def _connection(self) -> Any:
        import psycopg  # only a PostgreSQL store has psycopg to import

        loop = asyncio.get_running_loop()
        conn = self._conns.get(loop)
        if conn is None or conn.closed:
            conn = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, options="-c timezone=UTC"
            )
            self._conns[loop] = conn
        return conn

    async def __call__(self, sql: str) -> int:
        """The first column of the first row of ``sql``; a connection lost since the last
        read (a restarted server) is replaced and the read tried once more."""
        import psycopg

        for attempt in (1, 2):
            conn = await self._connection()
            try:
                cursor = await conn.execute(sql)
                row = await cursor.fetchone()
                return int(row[0])
            except psycopg.OperationalError:
                if attempt == 2:
                    raise
                self._drop(asyncio.get_running_loop())
        raise AssertionError("unreachable")

    def _drop(self, loop: asyncio.AbstractEventLoop) -> None:
        conn = self._conns.pop(loop, None)
        if conn is not None:
            with contextlib.suppress(Exception):  # being thrown away either way
                conn.pgconn.finish()

    def close(self) -> None:
        for loop in list(self._conns):
            self._drop(loop)
