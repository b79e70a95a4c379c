"""Status changes and the admin edit: the transitions, the latest flag after them, remote
URLs on restore, and the change log."""

from __future__ import annotations

import orjson
import pytest

from registrum.core.errors import (
    InvalidInputError,
    NoChangeError,
    NotFoundError,
    PermissionDeniedError,
    RemoteUrlTakenError,
)
from registrum.core.records import ChangeKind
from registrum.core.status import Status, StatusChange
from registrum.services.moderation import ModerationService
from registrum.services.publish import PublishService
from tests.factories import remote, server_json
from tests.unit.services.conftest import ADMIN, principal

A, B = "io.github.alice/weather", "io.github.bob/weather"
URL = "https://mcp.example.com/mcp"


@pytest.fixture
def publish(store, clock, ids):
    service = PublishService(store, clock=clock, ids=ids)
    return lambda doc: service.publish(doc, ADMIN)


@pytest.fixture
def moderation(store, clock) -> ModerationService:
    return ModerationService(store, clock=clock)


def status_of(store, name, version):
    view = store.versions.find(name, version, include_deleted=True)
    return view.status, view.status_message


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        ([("deprecated", "use 2")], ("deprecated", "use 2")),
        ([("deleted", None)], ("deleted", None)),
        ([("deprecated", "old"), ("active", None)], ("active", None)),
        ([("deleted", None), ("active", None)], ("active", None)),  # restore
        ([("deprecated", "a"), ("deprecated", "b")], ("deprecated", "b")),  # message edit
    ],
)
def test_status_transitions(publish, moderation, store, steps, final):
    publish(server_json(A))
    for status, message in steps:
        change = StatusChange(Status(status), message)
        moderation.set_version_status(A, "1.0.0", change, ADMIN)
    assert status_of(store, A, "1.0.0") == final
    entries = [e for e in store.log.since(0, 50) if e.kind == ChangeKind.STATUS_CHANGED]
    assert len(entries) == len(steps)
    last = orjson.loads(entries[-1].detail)
    assert (last["status"], last["message"]) == final


def test_a_change_that_changes_nothing_is_refused(publish, moderation, store):
    publish(server_json(A))
    head = store.log.head()
    with pytest.raises(NoChangeError):
        moderation.set_version_status(A, "1.0.0", StatusChange(Status.ACTIVE, None), ADMIN)
    assert store.log.head() == head


def test_a_message_edit_keeps_status_changed_at(publish, moderation, store):
    publish(server_json(A))
    moderation.set_version_status(A, "1.0.0", StatusChange(Status.DEPRECATED, "a"), ADMIN)
    first = store.versions.find(A, "1.0.0", include_deleted=True)
    moderation.set_version_status(A, "1.0.0", StatusChange(Status.DEPRECATED, "b"), ADMIN)
    second = store.versions.find(A, "1.0.0", include_deleted=True)
    assert second.status_changed_at == first.status_changed_at
    assert second.updated_at > first.updated_at


def test_deleting_the_latest_moves_the_flag_and_restoring_takes_it_back(publish, moderation, store):
    publish(server_json(A, "1.0.0"))
    publish(server_json(A, "2.0.0"))
    moderation.set_version_status(A, "2.0.0", StatusChange(Status.DELETED, None), ADMIN)
    assert store.versions.latest(A, include_deleted=False).version == "1.0.0"
    moderation.set_version_status(A, "2.0.0", StatusChange(Status.ACTIVE, None), ADMIN)
    assert store.versions.latest(A, include_deleted=False).version == "2.0.0"
    # every move of the flag is in the log
    moved = [e.version for e in store.log.since(0, 50) if e.kind == ChangeKind.LATEST_MOVED]
    assert moved == ["1.0.0", "1.0.0", "1.0.0"]


def test_when_every_version_is_deleted_the_greatest_keeps_the_flag(publish, moderation, store):
    publish(server_json(A, "1.0.0"))
    publish(server_json(A, "2.0.0"))
    result = moderation.set_all_status(A, StatusChange(Status.DELETED, None), ADMIN)
    assert result.updated_count == 2
    assert store.versions.latest(A, include_deleted=False) is None
    assert store.versions.latest(A, include_deleted=True).version == "2.0.0"


def test_restoring_a_version_whose_url_was_taken_is_refused(publish, moderation, store):
    publish(server_json(A, remotes=[remote(URL)]))
    moderation.set_version_status(A, "1.0.0", StatusChange(Status.DELETED, None), ADMIN)
    publish(server_json(B, remotes=[remote(URL)]))  # the URL is free again
    with pytest.raises(RemoteUrlTakenError):
        moderation.set_version_status(A, "1.0.0", StatusChange(Status.ACTIVE, None), ADMIN)
    assert status_of(store, A, "1.0.0") == ("deleted", None)


def test_unknown_versions_and_servers(moderation):
    with pytest.raises(NotFoundError):
        moderation.set_version_status(A, "9.9.9", StatusChange(Status.DELETED, None), ADMIN)
    with pytest.raises(NotFoundError):
        moderation.set_all_status(A, StatusChange(Status.DELETED, None), ADMIN)


def test_permissions(publish, moderation):
    publish(server_json(A))
    with pytest.raises(PermissionDeniedError):
        moderation.set_version_status(
            A, "1.0.0", StatusChange(Status.DELETED, None), principal("publish:x/*")
        )
    with pytest.raises(PermissionDeniedError):
        moderation.edit(A, "1.0.0", server_json(A), principal("publish:io.github.alice/*"))


def test_the_edit_replaces_the_document_and_keeps_the_metadata(publish, moderation, store):
    publish(server_json(A, description="old"))
    before = store.versions.find(A, "1.0.0", include_deleted=True)
    updated = moderation.edit(A, "1.0.0", server_json(A, description="new"), ADMIN)
    assert orjson.loads(updated.body)["description"] == "new"
    assert (updated.published_at, updated.is_latest) == (before.published_at, True)
    (entry,) = [e for e in store.log.since(0, 50) if e.kind == ChangeKind.EDITED]
    assert orjson.loads(orjson.loads(entry.detail)["previousBody"])["description"] == "old"
    # search sees the new description
    from registrum.core.records import ListQuery

    assert store.versions.page(ListQuery(limit=5, search="new"))
    assert not store.versions.page(ListQuery(limit=5, search="old"))


def test_the_edit_may_not_rename_or_take_another_servers_url(publish, moderation, store):
    publish(server_json(A))
    publish(server_json(B, remotes=[remote(URL)]))
    with pytest.raises(InvalidInputError, match="Cannot rename"):
        moderation.edit(A, "1.0.0", server_json(B), ADMIN)
    with pytest.raises(InvalidInputError, match="must match"):
        moderation.edit(A, "1.0.0", server_json(A, "2.0.0"), ADMIN)
    with pytest.raises(RemoteUrlTakenError):
        moderation.edit(A, "1.0.0", server_json(A, remotes=[remote(URL)]), ADMIN)
