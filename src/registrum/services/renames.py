"""Renames and transfers of a server (issue #6; docs/guides/change-feed-ids-and-renames.md).

A rename moves a server, its id and every version, to a new name in one transaction. The
caller must be allowed to publish under both names; when the new name belongs to someone
else, the move is a transfer: the holder of the old name offers it, the holder of the new
name accepts it, each step authenticated, the offer expiring. The old name then redirects to
the new one and is held for the server for a cool-off period, so nobody else can take it
while clients still use it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

import orjson

from registrum.core import wire
from registrum.core.errors import (
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    StateConflictError,
)
from registrum.core.names import MoveCommand
from registrum.core.permissions import Action, Principal, has_any
from registrum.core.ports import ServerStore, WriteSession
from registrum.core.records import Change, ChangeKind, TransferOffer
from registrum.core.wire import VersionView
from registrum.services.clock import Clock, IdFactory, new_id, utc_now

DEFAULT_COOL_OFF: Final = timedelta(days=90)
DEFAULT_OFFER_TTL: Final = timedelta(days=7)
_MOVERS: Final = (Action.PUBLISH, Action.EDIT)


def claim_name(tx: WriteSession, name: str, now: datetime) -> None:
    """A new server may take a name another server left by a rename only after that name's
    cool-off; the name is then released (its redirect ends)."""
    retired = tx.names.retired(name)
    if retired is None:
        return
    if retired[1] > now:
        raise StateConflictError(
            f"The name {name!r} was renamed away and is held until {retired[1]:%Y-%m-%d %H:%M} "
            "UTC, so that its clients are redirected to the server's new name; the server that "
            "held it can take it back with a rename"
        )
    tx.names.release(name)


def refuse_mirrored(tx: WriteSession, name: str) -> None:
    """Entries mirrored from an upstream are read-only here: changes go to the upstream."""
    owner = tx.servers.upstream_of(name)
    if owner is not None and owner[1] is not None:
        upstream = tx.upstreams.get(owner[1])
        where = f" ({upstream.url})" if upstream is not None else ""
        raise StateConflictError(
            f"{name!r} is mirrored from the upstream {owner[1]!r}{where} and is read-only "
            "here: publish or change it there"
        )


def _may_move(principal: Principal, name: str) -> bool:
    return has_any(principal.permissions, _MOVERS, name)


class RenameService:
    def __init__(
        self,
        store: ServerStore,
        *,
        clock: Clock = utc_now,
        ids: IdFactory = new_id,
        cool_off: timedelta = DEFAULT_COOL_OFF,
        offer_ttl: timedelta = DEFAULT_OFFER_TTL,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ids = ids
        self._cool_off = cool_off
        self._offer_ttl = offer_ttl

    def rename(self, name: str, move: MoveCommand, principal: Principal) -> VersionView:
        new_name = move.new_name
        if not _may_move(principal, name):
            raise PermissionDeniedError(f"You do not have permission to rename {name!r}")
        if not _may_move(principal, new_name):
            raise PermissionDeniedError(
                f"You do not have permission to publish under {new_name!r}: to move the "
                "server to a namespace someone else holds, offer it to them "
                f"(POST .../servers/{{name}}/transfer) and let them accept it"
            )
        with self._store.write(name, new_name) as tx:
            refuse_mirrored(tx, name)
            server_id = self._server_of(tx, name)
            return self._move(tx, server_id, name, new_name, principal, self._clock())

    def offer(self, name: str, move: MoveCommand, principal: Principal) -> TransferOffer:
        new_name = move.new_name
        if not _may_move(principal, name):
            raise PermissionDeniedError(f"You do not have permission to transfer {name!r}")
        now = self._clock()
        with self._store.write(name, new_name) as tx:
            refuse_mirrored(tx, name)
            server_id = self._server_of(tx, name)
            self._require_free(tx, server_id, new_name, now)
            offer = TransferOffer(
                id=self._ids(),
                server_id=server_id,
                name=name,
                new_name=new_name,
                offered_by=principal.actor,
                created_at=now,
                expires_at=now + self._offer_ttl,
            )
            tx.names.create_offer(offer)
            tx.log.append(
                Change(
                    ChangeKind.TRANSFER_OFFERED,
                    now,
                    server_id,
                    None,
                    name,
                    None,
                    principal.actor,
                    _detail(
                        **{
                            wire.OFFER_ID: offer.id,
                            wire.NEW_NAME: new_name,
                            wire.EXPIRES_AT_CAMEL: offer.expires_at.isoformat() + "Z",
                        }
                    ),
                )
            )
            return offer

    def get_offer(self, offer_id: str) -> TransferOffer:
        offer = self._store.names.find_offer(offer_id)
        if offer is None:
            raise NotFoundError("Transfer offer not found")
        return offer

    def accept(self, offer_id: str, principal: Principal) -> VersionView:
        offer = self.get_offer(offer_id)
        if not _may_move(principal, offer.new_name):
            raise PermissionDeniedError(
                f"Only the holder of {offer.new_name!r} can accept this transfer: log in with "
                "a token that may publish under it"
            )
        now = self._clock()
        with self._store.write(offer.name, offer.new_name) as tx:
            current = tx.names.find_offer(offer_id)
            if current is None:  # pragma: no cover - offers are never removed
                raise NotFoundError("Transfer offer not found")
            if current.accepted_at is not None:
                raise StateConflictError(
                    f"This transfer was already accepted, on {current.accepted_at:%Y-%m-%d}"
                )
            if now >= current.expires_at:
                raise GoneError(
                    f"This transfer offer expired on {current.expires_at:%Y-%m-%d %H:%M} UTC: "
                    "ask the holder of the old name for a new one"
                )
            if tx.servers.find_id(current.name) != current.server_id:
                raise StateConflictError(
                    f"The server is no longer named {current.name!r}: this offer no longer applies"
                )
            tx.names.accept_offer(offer_id, now, principal.actor)
            return self._move(tx, current.server_id, current.name, current.new_name, principal, now)

    # Inside the transaction ---------------------------------------------------------------

    @staticmethod
    def _server_of(tx: WriteSession, name: str) -> str:
        server_id = tx.servers.find_id(name)
        if server_id is None:
            raise NotFoundError("Server not found")
        return server_id

    @staticmethod
    def _require_free(tx: WriteSession, server_id: str, new_name: str, now: datetime) -> None:
        holder = tx.servers.find_id(new_name)
        if holder is not None:
            raise StateConflictError(
                f"{new_name!r} is taken: another server has that name"
                if holder != server_id
                else f"The server is already named {new_name!r}"
            )
        retired = tx.names.retired(new_name)
        if retired is not None and retired[0] != server_id and retired[1] > now:
            raise StateConflictError(
                f"{new_name!r} was another server's name and is held for it until "
                f"{retired[1]:%Y-%m-%d} UTC"
            )

    def _move(
        self,
        tx: WriteSession,
        server_id: str,
        name: str,
        new_name: str,
        principal: Principal,
        now: datetime,
    ) -> VersionView:
        self._require_free(tx, server_id, new_name, now)
        move_server(tx, server_id, name, new_name, principal.actor, now, now + self._cool_off)
        latest = tx.versions.latest(server_id)
        if latest is None:  # pragma: no cover - a server always has a latest version
            raise NotFoundError("Server not found")
        return latest


def move_server(
    tx: WriteSession,
    server_id: str,
    name: str,
    new_name: str,
    actor: str,
    now: datetime,
    held_until: datetime,
    *,
    previous: list[str] | None = None,
    bodies: dict[str, str] | None = None,
) -> None:
    """Move a server and every version from ``name`` to ``new_name``: the old name redirects
    and is held for the server until ``held_until``; a change-log entry per version.
    ``previous`` and ``bodies`` (by version id) replace the computed previous names and
    renamed documents (a mirror takes its upstream's)."""
    views = tx.versions.of_server(server_id)
    if previous is None:
        previous = [*(views[0].previous_names if views else ()), name]
        # The server takes its name back: it is no longer a previous one.
        previous = [n for n in previous if n != new_name]
    given = bodies or {}
    tx.names.release(new_name)
    tx.names.retire(name, server_id, now, held_until)
    renamed = {
        v.version_id: given.get(v.version_id) or _renamed_body(v.body, new_name) for v in views
    }
    tx.names.rename_server(server_id, new_name, previous, renamed, now)
    for view in views:
        tx.log.append(
            Change(
                ChangeKind.RENAMED,
                now,
                server_id,
                view.version_id,
                new_name,
                view.version,
                actor,
                _detail(**{wire.PREVIOUS_NAME: name}),
            )
        )


def _renamed_body(body: str, new_name: str) -> str:
    """The stored document under its new name; every other member kept as it is."""
    data = orjson.loads(body)
    data["name"] = new_name
    return orjson.dumps(data).decode()


def _detail(**values: Any) -> str:
    return orjson.dumps(values).decode()
