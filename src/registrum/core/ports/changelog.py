"""Ports of the change log: the gap-free, commit-ordered record of every change."""

from __future__ import annotations

from typing import Protocol

from registrum.core.records import Change, ChangeEntry


class ChangeLogWrites(Protocol):
    def append(self, change: Change) -> int:
        """Append one entry; returns its new gap-free ``seq``. The version it is about (if
        any) takes that seq as its own."""
        ...


class ChangeLogReads(Protocol):
    def head(self) -> int:
        """The ``seq`` of the newest entry (0 when empty)."""
        ...

    def since(self, since: int, limit: int) -> list[ChangeEntry]:
        """The entries after ``since``, in seq order, at most ``limit``, each with the
        version it is about as that version now stands."""
        ...

    def change_token(self) -> int:
        """A number that changes whenever any process commits a write; cheap enough to ask
        on every request. Only compared with earlier values from the same store object."""
        ...

    async def change_token_async(self) -> int:
        """``change_token`` for the event loop: it never blocks it on a network round trip
        (nor hops to a thread where the read is local)."""
        ...

    async def head_async(self) -> int:
        """``head`` for the event loop, as ``change_token_async``."""
        ...
