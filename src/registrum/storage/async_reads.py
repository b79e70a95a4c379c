"""Reads of one number on PostgreSQL through psycopg's async interface, for the event loop
(the response cache asks for the change token on every request).

Concurrent askers share rounds: a read answers everyone who asked before it was sent, so
under load one query serves a crowd of cached answers instead of one query each. Nobody
is given a number read before they asked (a write acknowledged to a client before its
next read is always seen by that read).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine


@dataclass(slots=True)
class _Rounds:
    """The reads of one statement on one loop: the round in flight and the one to follow
    it, which everyone arriving while the first is in flight joins."""

    current: asyncio.Task[int] | None = None
    following: asyncio.Task[int] | None = None


class PostgresScalar:
    """One PostgreSQL connection per event loop, on psycopg's async interface, for
    single-number reads (the change token, the log head).

    Loops are held strongly, not weakly: a connection left to the garbage collector with
    its loop would be dropped unclosed (psycopg warns, and the server keeps a backend
    until it notices). A loop that has since closed gives up its connection at the next
    read from any loop, and ``close()`` finishes the rest."""

    def __init__(self, engine: Engine) -> None:
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._conns: dict[asyncio.AbstractEventLoop, Any] = {}
        self._rounds: dict[tuple[asyncio.AbstractEventLoop, str], _Rounds] = {}
        self._lock = threading.Lock()  # loops of several threads may share one store

    async def __call__(self, sql: str) -> int:
        """The first column of the first row of ``sql``, read after this call began."""
        loop = asyncio.get_running_loop()
        rounds = self._rounds.get((loop, sql))
        if rounds is None:
            rounds = self._rounds.setdefault((loop, sql), _Rounds())
        if rounds.current is None:
            task = rounds.current = loop.create_task(self._round(rounds, sql, None))
        else:
            # The round in flight may have been sent before this call: wait for the next.
            if rounds.following is None:
                rounds.following = loop.create_task(self._round(rounds, sql, rounds.current))
            task = rounds.following
        # Shielded: one asker giving up (a client gone) must not cancel the others' read.
        return await asyncio.shield(task)

    async def _round(self, rounds: _Rounds, sql: str, after: asyncio.Task[int] | None) -> int:
        me = asyncio.current_task()
        if after is not None:
            await asyncio.wait([after])  # its outcome is its own askers'
            if rounds.following is me:
                rounds.current, rounds.following = me, None
        try:
            return await self._read(sql)
        finally:
            if rounds.current is me:
                rounds.current = None

    async def _read(self, sql: str) -> int:
        """One read; a connection lost since the last read (a restarted server) is replaced
        and the read tried once more."""
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

    async def _connection(self) -> Any:
        import psycopg  # only a PostgreSQL store has psycopg to import

        loop = asyncio.get_running_loop()
        self._forget_closed_loops()
        conn = self._conns.get(loop)
        if conn is None or conn.closed:
            conn = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, options="-c timezone=UTC"
            )
            with self._lock:
                self._conns[loop] = conn
        return conn

    def _forget_closed_loops(self) -> None:
        for loop in [loop for loop in list(self._conns) if loop.is_closed()]:
            self._drop(loop)

    def _drop(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            conn = self._conns.pop(loop, None)
            for key in [key for key in list(self._rounds) if key[0] is loop]:
                if loop.is_closed():
                    del self._rounds[key]
        if conn is not None:
            # libpq's own finish, not ``await conn.close()``: the loop the connection was
            # made on may be closed or another thread's.
            with contextlib.suppress(Exception):  # being thrown away either way
                conn.pgconn.finish()

    def close(self) -> None:
        for loop in list(self._conns):
            self._drop(loop)
