"""Publishing a new version, checked and stored in the official registry's order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from registrum.core.errors import (
    DuplicateVersionError,
    PermissionDeniedError,
    VersionLimitError,
)
from registrum.core.permissions import Action, Principal, has_permission
from registrum.core.policy import Decision
from registrum.core.ports import ServerStore
from registrum.core.records import Change, ChangeKind, NewVersion
from registrum.core.server_json import ServerDetail
from registrum.core.status import Status
from registrum.core.validation import remote_urls_of, validate_server_json
from registrum.core.versioning import Candidate, takes_latest
from registrum.core.wire import VersionView
from registrum.services.clock import Clock, IdFactory, new_id, utc_now
from registrum.services.documents import canonical_body
from registrum.services.ownership import OwnershipChecker
from registrum.services.remotes import require_free
from registrum.services.renames import claim_name, refuse_mirrored

MAX_VERSIONS_PER_SERVER: Final = 10_000
NO_PUBLISH_PERMISSION: Final = "You do not have permission to publish this server"


def check_publish_permission(principal: Principal, raw: Any) -> None:
    name = raw.get("name") if isinstance(raw, dict) else None
    if isinstance(name, str) and not has_permission(principal.permissions, Action.PUBLISH, name):
        raise PermissionDeniedError(NO_PUBLISH_PERMISSION)


@dataclass(frozen=True, slots=True)
class Checked:
    """A document that passed every check made outside the database, ready to store."""

    document: ServerDetail
    body: str
    remote_urls: tuple[str, ...]


class PublishService:
    def __init__(
        self,
        store: ServerStore,
        *,
        clock: Clock = utc_now,
        ids: IdFactory = new_id,
        max_versions: int = MAX_VERSIONS_PER_SERVER,
        ownership: OwnershipChecker | None = None,
        may_publish: Callable[[str], Decision] | None = None,
    ) -> None:
        self._store = store
        self._ownership = ownership
        # The operator's policy for local publishing (the [publish] section of the policy).
        self._may_publish = may_publish
        self._clock = clock
        self._ids = ids
        self._max_versions = max_versions

    def publish(self, raw: Any, principal: Principal) -> VersionView:
        return self.store(self.check(raw, principal), principal)

    def asks_outside(self, raw: Any) -> bool:
        """Whether checking ``raw`` asks package registries (it names packages, and this
        registry checks them): the slow part of a publish, which the API runs apart."""
        packages = raw.get("packages") if isinstance(raw, dict) else None
        return self._ownership is not None and bool(packages)

    def check(self, raw: Any, principal: Principal) -> Checked:
        """Everything decided without the database: permission, the document's rules, the
        operator's policy, and the package registries' answers (slow, and outside: the API
        runs this apart from the writes, see ``api/lanes.py``)."""
        # The permission is checked on the name before anything else, as the official
        # registry does; then the whole document, reporting every problem at once.
        check_publish_permission(principal, raw)
        document = validate_server_json(raw).raise_for_errors()
        name = document.name
        if self._may_publish is not None:
            decision = self._may_publish(name)
            if not decision.allowed:
                raise PermissionDeniedError(
                    f"This registry does not take local publishes of {name!r}: {decision.reason}"
                )
        if self._ownership is not None:
            # Outside calls to package registries, before the transaction: a slow upstream
            # must never hold the write lock.
            self._ownership.check(document)
        return Checked(document, canonical_body(document), remote_urls_of(document))

    def store(self, checked: Checked, principal: Principal) -> VersionView:
        """Store a checked document as a new version, under the name's write lock."""
        document, body, urls = checked.document, checked.body, checked.remote_urls
        name, version = document.name, document.version
        with self._store.write(name) as tx:
            now = self._clock()
            refuse_mirrored(tx, name)
            server_id = tx.servers.find_id(name)
            if server_id is None:
                claim_name(tx, name, now)
                server_id = self._ids()
                tx.servers.create(server_id, name, now)
            elif tx.versions.count(server_id) >= self._max_versions:
                raise VersionLimitError(
                    f"maximum number of versions for this server reached ({self._max_versions}): "
                    "deleted versions count too; contact the registry operator to explain your "
                    "use case"
                )
            if tx.versions.find(server_id, version) is not None:
                raise DuplicateVersionError(
                    "invalid version: cannot publish duplicate version "
                    f"(version '{version}' of '{name}' already exists; publish a new version)"
                )
            require_free(tx, server_id, urls)
            holder = tx.versions.latest(server_id)
            # The flag rests on a deleted version only when every version is deleted; a new,
            # live version then takes it, or `latest` would answer 404 while one exists
            # (the official registry compares against the deleted one; see ADR 0011).
            rival = None if holder is None or holder.status is Status.DELETED else holder
            is_latest = takes_latest(
                Candidate(version, now, False),
                None if rival is None else Candidate(rival.version, rival.published_at, False),
            )
            if is_latest and holder is not None:
                tx.versions.set_latest(server_id, None)
            new = NewVersion(
                server_id=server_id,
                version_id=self._ids(),
                name=name,
                version=version,
                description=document.description,
                body=body,
                status=Status.ACTIVE,
                status_message=None,
                status_changed_at=now,
                published_at=now,
                updated_at=now,
                is_latest=is_latest,
                remote_urls=urls,
                previous_names=None if holder is None else holder.previous_names_json,
            )
            tx.versions.insert(new)
            seq = tx.log.append(
                Change(
                    ChangeKind.PUBLISHED,
                    now,
                    server_id,
                    new.version_id,
                    name,
                    version,
                    principal.actor,
                )
            )
        return VersionView(
            server_id=new.server_id,
            version_id=new.version_id,
            name=name,
            version=version,
            body=body,
            status=new.status,
            status_message=None,
            status_changed_at=now,
            published_at=now,
            updated_at=now,
            is_latest=is_latest,
            seq=seq,
            previous_names_json=new.previous_names,
        )
