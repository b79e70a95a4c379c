"""Ports of names: renames, the names servers left behind, and transfer offers."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from registrum.core.records import TransferOffer


class NameWrites(Protocol):
    def retired(self, name: str) -> tuple[str, datetime] | None:
        """(server id, reserved until) of a name a server left by a rename, or None."""
        ...

    def retire(self, name: str, server_id: str, at: datetime, until: datetime) -> None: ...

    def release(self, name: str) -> None: ...

    def rename_server(
        self,
        server_id: str,
        new_name: str,
        previous_names: list[str],
        bodies: dict[str, str],
        at: datetime,
    ) -> None:
        """Move the server and every version to ``new_name``; ``bodies`` are the versions'
        documents under the new name, by version id."""
        ...

    def create_offer(self, offer: TransferOffer) -> None: ...

    def find_offer(self, offer_id: str) -> TransferOffer | None: ...

    def accept_offer(self, offer_id: str, at: datetime, by: str) -> None: ...


class NameReads(Protocol):
    def moved_to(self, name: str) -> str | None:
        """The current name of the server that left ``name`` by a rename, or None."""
        ...

    def find_offer(self, offer_id: str) -> TransferOffer | None: ...
