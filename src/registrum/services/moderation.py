"""Status changes and the admin edit, with the official registry's rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson

from registrum.core import wire
from registrum.core.errors import (
    InvalidInputError,
    NoChangeError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
)
from registrum.core.permissions import Action, Principal, has_any, has_permission
from registrum.core.ports import ServerStore, WriteSession
from registrum.core.records import Change, ChangeKind, VersionUpdate
from registrum.core.status import Status, StatusChange, changes, require_change_one
from registrum.core.validation import remote_urls_of, validate_server_json
from registrum.core.wire import VersionView
from registrum.services.clock import Clock, utc_now
from registrum.services.documents import canonical_body
from registrum.services.latest import recompute_latest
from registrum.services.ownership import OwnershipChecker
from registrum.services.remotes import require_free, stored_remote_urls
from registrum.services.renames import refuse_mirrored

NO_STATUS_PERMISSION: Final = "You do not have publish or edit permissions for this server"
NO_EDIT_PERMISSION: Final = "You do not have edit permissions for this server"
VERSION_NOT_FOUND: Final = "Server version not found"
SERVER_NOT_FOUND: Final = "Server not found"


@dataclass(frozen=True, slots=True)
class BulkStatusResult:
    updated_count: int
    versions: list[VersionView]


def _detail(values: dict[str, Any]) -> str:
    return orjson.dumps(values).decode()


class ModerationService:
    def __init__(
        self,
        store: ServerStore,
        *,
        clock: Clock = utc_now,
        ownership: OwnershipChecker | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ownership = ownership

    def _require_status_permission(self, principal: Principal, name: str) -> None:
        if not has_any(principal.permissions, (Action.PUBLISH, Action.EDIT), name):
            raise PermissionDeniedError(NO_STATUS_PERMISSION)

    @staticmethod
    def _apply(
        tx: WriteSession, view: VersionView, change: StatusChange, principal: Principal, now: Any
    ) -> None:
        status_changed = view.status is not change.status
        if view.status is Status.DELETED and change.status is not Status.DELETED:
            # A restored version takes its remote URLs back: they may have gone to another
            # server meanwhile (the official registry checks them again on restore too).
            require_free(tx, view.server_id, stored_remote_urls(view.body))
        tx.versions.update(
            VersionUpdate(
                version_id=view.version_id,
                updated_at=now,
                status=change.status,
                status_message=change.message,
                write_status_message=True,
                # Only a real status change moves statusChangedAt; a message edit does not.
                status_changed_at=now if status_changed else None,
            )
        )
        tx.log.append(
            Change(
                ChangeKind.STATUS_CHANGED,
                now,
                view.server_id,
                view.version_id,
                view.name,
                view.version,
                principal.actor,
                _detail(
                    {
                        wire.PREVIOUS_STATUS: view.status,
                        wire.PREVIOUS_MESSAGE: view.status_message,
                        wire.STATUS: change.status,
                        wire.MESSAGE: change.message,
                    }
                ),
            )
        )

    def set_version_status(
        self, name: str, version: str, change: StatusChange, principal: Principal
    ) -> VersionView:
        self._require_status_permission(principal, name)
        with self._store.write(name) as tx:
            refuse_mirrored(tx, name)
            server_id = tx.servers.find_id(name)
            view = tx.versions.find(server_id, version) if server_id else None
            if server_id is None or view is None:
                raise NotFoundError(VERSION_NOT_FOUND)
            require_change_one(view.status, view.status_message, change)
            self._apply(tx, view, change, principal, self._clock())
            views = recompute_latest(tx, server_id)
        return next(v for v in views if v.version_id == view.version_id)

    def set_all_status(
        self, name: str, change: StatusChange, principal: Principal
    ) -> BulkStatusResult:
        self._require_status_permission(principal, name)
        with self._store.write(name) as tx:
            refuse_mirrored(tx, name)
            server_id = tx.servers.find_id(name)
            views = tx.versions.of_server(server_id) if server_id else []
            if server_id is None or not views:
                raise NotFoundError(SERVER_NOT_FOUND)
            targets = [v for v in views if changes(v.status, v.status_message, change)]
            if not targets:
                raise NoChangeError(
                    "No changes to apply: "
                    "all versions already have the requested status and message"
                )
            now = self._clock()
            for view in targets:
                self._apply(tx, view, change, principal, now)
            views = recompute_latest(tx, server_id)
        return BulkStatusResult(len(targets), views)

    def edit(self, name: str, version: str, raw: Any, principal: Principal) -> VersionView:
        """The admin edit: replace a version's server.json, keeping its metadata."""
        if not has_permission(principal.permissions, Action.EDIT, name):
            raise PermissionDeniedError(NO_EDIT_PERMISSION)
        document = validate_server_json(raw).raise_for_errors()
        if document.name != name:
            raise InvalidInputError(
                "Cannot rename server",
                [
                    Problem(
                        "name",
                        f"name must stay '{name}'; to rename the server, POST "
                        '{"newName": ...} to /v0.1/x/io.registrum/servers/{name}/rename',
                        document.name,
                    )
                ],
            )
        if document.version != version:
            raise InvalidInputError(
                "Version in request body must match URL path parameter",
                [Problem("version", f"version must be '{version}'", document.version)],
            )
        body = canonical_body(document)
        if self._ownership is not None and document.packages:
            # As the official registry does: an edit may not name packages the server does
            # not own, but a deleted version is not served, so it is not checked. Before the
            # transaction, like publishing (the write below finds the version again).
            current = self._store.versions.find(name, version, include_deleted=True)
            if current is None:
                raise NotFoundError(VERSION_NOT_FOUND)
            if current.status is not Status.DELETED:
                self._ownership.check(document)
        with self._store.write(name) as tx:
            refuse_mirrored(tx, name)
            server_id = tx.servers.find_id(name)
            view = tx.versions.find(server_id, version) if server_id else None
            if server_id is None or view is None:
                raise NotFoundError(VERSION_NOT_FOUND)
            urls = remote_urls_of(document)
            if view.status is not Status.DELETED:
                require_free(tx, server_id, urls)
            now = self._clock()
            tx.versions.update(
                VersionUpdate(
                    version_id=view.version_id,
                    updated_at=now,
                    body=body,
                    description=document.description,
                    remote_urls=urls,
                )
            )
            tx.log.append(
                Change(
                    ChangeKind.EDITED,
                    now,
                    server_id,
                    view.version_id,
                    name,
                    version,
                    principal.actor,
                    _detail({wire.PREVIOUS_BODY: view.body}),
                )
            )
            updated = tx.versions.find(server_id, version)
        if updated is None:  # cannot happen: the row was updated in this transaction
            raise NotFoundError(VERSION_NOT_FOUND)
        return updated
