"""Publishing: duplicates, the latest flag, the per-server cap, remote-URL uniqueness, and
what reaches the change log; all or nothing."""

from __future__ import annotations

import pytest

from registrum.core.errors import (
    DuplicateVersionError,
    InvalidInputError,
    PermissionDeniedError,
    RemoteUrlTakenError,
    VersionLimitError,
)
from registrum.core.records import ChangeKind
from registrum.services.publish import PublishService
from tests.factories import remote, server_json
from tests.unit.services.conftest import ADMIN, principal

A, B = "io.github.alice/weather", "io.github.bob/weather"
URL = "https://mcp.example.com/mcp"


@pytest.fixture
def service(store, clock, ids) -> PublishService:
    return PublishService(store, clock=clock, ids=ids, max_versions=3)


def latest_of(store, name):
    return store.versions.latest(name, include_deleted=True)


def test_a_first_version_is_stored_latest_and_logged(service, store):
    view = service.publish(server_json(A, "1.0.0"), ADMIN)
    assert view.is_latest
    assert view.seq == 1
    assert latest_of(store, A).version == "1.0.0"
    (entry,) = store.log.since(0, 10)
    assert (entry.kind, entry.name, entry.version) == (ChangeKind.PUBLISHED, A, "1.0.0")
    assert entry.view.seq == 1
    assert store.locked == [(A,)]  # the write locked the server's name


def test_a_duplicate_version_is_refused_and_nothing_changes(service, store):
    service.publish(server_json(A, "1.0.0"), ADMIN)
    with pytest.raises(DuplicateVersionError, match="already exists"):
        service.publish(server_json(A, "1.0.0", description="again"), ADMIN)
    assert store.log.head() == 1
    assert len(store.versions.by_name(A, include_deleted=True)) == 1


@pytest.mark.parametrize(
    ("order", "latest"),
    [
        (["1.0.0", "2.0.0"], "2.0.0"),  # higher takes it
        (["2.0.0", "1.5.0"], "2.0.0"),  # lower does not
        (["1.0.0", "1.0.0-beta"], "1.0.0"),  # a pre-release is lower
        (["1.0.0", "2.0.0", "1.9.9"], "2.0.0"),
    ],
)
def test_the_latest_flag_goes_to_the_greatest_version(service, store, order, latest):
    for version in order:
        service.publish(server_json(A, version), ADMIN)
    views = store.versions.by_name(A, include_deleted=True)
    assert [v.version for v in views if v.is_latest] == [latest]


def test_when_the_flag_moves_the_old_holder_gets_a_latest_moved_entry(service, store):
    service.publish(server_json(A, "1.0.0"), ADMIN)
    service.publish(server_json(A, "2.0.0"), ADMIN)
    kinds = [(e.kind, e.version) for e in store.log.since(0, 10)]
    assert kinds == [
        (ChangeKind.PUBLISHED, "1.0.0"),
        (ChangeKind.PUBLISHED, "2.0.0"),
        (ChangeKind.LATEST_MOVED, "1.0.0"),
    ]
    assert store.versions.find(A, "1.0.0", include_deleted=True).seq == 3


def test_the_version_cap_counts_every_version(service, store):
    for version in ("1.0.0", "1.0.1", "1.0.2"):
        service.publish(server_json(A, version), ADMIN)
    head = store.log.head()
    with pytest.raises(VersionLimitError, match=r"maximum number of versions .* \(3\)"):
        service.publish(server_json(A, "1.0.3"), ADMIN)
    assert store.log.head() == head
    assert len(store.versions.by_name(A, include_deleted=True)) == 3


def test_a_remote_url_belongs_to_one_live_server(service, store):
    service.publish(server_json(A, remotes=[remote(URL)]), ADMIN)
    with pytest.raises(RemoteUrlTakenError) as caught:
        service.publish(server_json(B, remotes=[remote(URL)]), ADMIN)
    assert caught.value.problems[0].path == "remotes[0].url"
    assert A in caught.value.problems[0].message
    # the refused publish created no server either
    assert store.state.server_named(B) is None
    # the same server's next version may name it again
    service.publish(server_json(A, "1.1.0", remotes=[remote(URL)]), ADMIN)


def test_permission_is_checked_on_the_name_first(service, store):
    alice = principal("publish:io.github.alice/*")
    with pytest.raises(PermissionDeniedError):
        service.publish(server_json(B), alice)
    # even an invalid document is refused for permission first
    with pytest.raises(PermissionDeniedError):
        service.publish({"name": B, "version": ""}, alice)
    with pytest.raises(InvalidInputError):
        service.publish({"name": A, "version": ""}, alice)
    assert store.log.head() == 0
    assert store.writes == 0


def test_a_failure_inside_the_write_leaves_nothing_behind(store, clock, ids):
    calls = iter([ids(), ids(), None])  # the third id (a version id) is unusable

    def failing_ids():
        value = next(calls)
        if value is None:
            raise RuntimeError("id source failed")
        return value

    service = PublishService(store, clock=clock, ids=failing_ids)
    service.publish(server_json(A, "1.0.0"), ADMIN)
    with pytest.raises(RuntimeError):
        service.publish(server_json(B, "1.0.0"), ADMIN)  # server id taken, then the failure
    assert store.state.server_named(B) is None
    assert store.log.head() == 1
