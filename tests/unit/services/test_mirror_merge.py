"""The mirror's merge of staged upstream entries into the served catalog: new servers with
the upstream's ids, priorities, local servers left alone, withdrawals, policy, the log."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from registrum.core.policy import Policy
from registrum.core.records import ChangeKind, Upstream, UpstreamEntry
from registrum.core.status import Status
from registrum.services.mirror import MirrorService
from registrum.services.publish import PublishService
from tests.factories import server_json
from tests.unit.services.conftest import ADMIN

NAME = "com.example/weather"
AT = datetime(2026, 1, 1)
SERVER_ID = "11111111-1111-4111-8111-111111111111"


def entry(
    version: str, *, name: str = NAME, status: Status = Status.ACTIVE, **members
) -> UpstreamEntry:
    body = orjson.dumps(server_json(name, version)).decode()
    return UpstreamEntry(
        key=f"{name}@{version}",
        name=name,
        version=version,
        body=body,
        status=status,
        status_message=None,
        published_at=AT,
        status_changed_at=AT,
        upstream_updated_at=AT,
        **members,
    )


def no_reader(upstream: Upstream):
    raise AssertionError("these tests stage entries directly; nothing reads an upstream")


@pytest.fixture
def mirror(store, clock) -> MirrorService:
    return MirrorService(store, no_reader, clock=clock)


def add_upstream(store, name: str, priority: int = 0) -> None:
    with store.write() as tx:
        tx.upstreams.add(Upstream(name, f"https://{name}.example.com/", "registrum", priority, 60))


def stage(store, upstream: str, *entries: UpstreamEntry) -> None:
    with store.write() as tx:
        tx.staging.stage(upstream, entries, AT)


def served(store, name=NAME):
    return {v.version: v for v in store.versions.by_name(name, include_deleted=True)}


def test_a_new_name_becomes_a_server_with_the_upstreams_ids(mirror, store):
    add_upstream(store, "up")
    stage(
        store,
        "up",
        entry("1.0.0", server_id=SERVER_ID, version_id="v-1", is_latest=False),
        entry("2.0.0", server_id=SERVER_ID, version_id="v-2", is_latest=True),
    )
    assert mirror.merge_pending() == 2
    versions = served(store)
    assert {v.version_id for v in versions.values()} == {"v-1", "v-2"}
    assert {v.server_id for v in versions.values()} == {SERVER_ID}
    assert [v.version for v in versions.values() if v.is_latest] == ["2.0.0"]
    kinds = {e.kind for e in store.log.since(0, 50)}
    assert ChangeKind.MIRRORED in kinds
    assert store.state.pending == set()
    assert mirror.merge_pending() == 0  # nothing left to merge


def test_the_upstream_latest_flag_wins_over_the_version_order(mirror, store):
    add_upstream(store, "up")
    stage(store, "up", entry("1.0.0", is_latest=True), entry("2.0.0", is_latest=False))
    mirror.merge_pending()
    assert [v.version for v in served(store).values() if v.is_latest] == ["1.0.0"]


def test_the_higher_priority_upstream_serves_the_whole_history(mirror, store):
    add_upstream(store, "low", priority=0)
    add_upstream(store, "high", priority=10)
    stage(store, "low", entry("1.0.0"), entry("3.0.0"))
    stage(store, "high", entry("1.0.0"), entry("2.0.0"))
    mirror.merge_pending()
    live = {k for k, v in served(store).items() if v.status != "deleted"}
    assert live == {"1.0.0", "2.0.0"}


def test_a_withdrawn_entry_becomes_a_tombstone(mirror, store):
    add_upstream(store, "up")
    stage(store, "up", entry("1.0.0"), entry("2.0.0"))
    mirror.merge_pending()
    with store.write() as tx:
        tx.staging.unstage("up", [f"{NAME}@2.0.0"])
    assert mirror.merge_pending() == 1
    gone = served(store)["2.0.0"]
    assert (gone.status, gone.status_message) == ("deleted", "no longer served by the upstream")
    assert store.versions.latest(NAME, include_deleted=False).version == "1.0.0"


def test_an_upstream_status_change_is_followed(mirror, store):
    add_upstream(store, "up")
    stage(store, "up", entry("1.0.0"))
    mirror.merge_pending()
    stage(store, "up", entry("1.0.0", status=Status.DEPRECATED))
    assert mirror.merge_pending() == 1
    assert served(store)["1.0.0"].status == "deprecated"


def test_a_server_published_here_is_not_taken_over(mirror, store, clock, ids):
    PublishService(store, clock=clock, ids=ids).publish(server_json(NAME, "5.0.0"), ADMIN)
    add_upstream(store, "up")
    stage(store, "up", entry("1.0.0"))
    assert mirror.merge_pending() == 0
    assert set(served(store)) == {"5.0.0"}


def test_the_policy_hides_what_it_denies(store, clock):
    policy = Policy.parse('default = "allow"\n[[rule]]\naction = "deny"\nnamespace = "com.spam"')
    mirror = MirrorService(store, no_reader, clock=clock, policy=policy)
    add_upstream(store, "up")
    stage(store, "up", entry("1.0.0"), entry("1.0.0", name="com.spam/ads"))
    mirror.merge_pending()
    assert served(store)["1.0.0"].status == "active"
    hidden = served(store, "com.spam/ads")
    assert {v.status for v in hidden.values()} <= {"deleted"}
    assert store.versions.latest("com.spam/ads", include_deleted=False) is None
