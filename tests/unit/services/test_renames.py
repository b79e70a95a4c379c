"""Renames and two-step transfers: permissions, names held and redirected, previous names,
every version moved and logged, offers that expire or were accepted."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from registrum.core.errors import GoneError, PermissionDeniedError, StateConflictError
from registrum.core.names import MoveCommand
from registrum.core.records import ChangeKind
from registrum.services.publish import PublishService
from registrum.services.renames import RenameService
from tests.factories import server_json
from tests.unit.services.conftest import ADMIN, principal

OLD, NEW = "io.github.alice/weather", "io.github.alice/forecast"
BOBS = "io.github.bob/weather"
ALICE = principal("publish:io.github.alice/*", subject="alice")
BOB = principal("publish:io.github.bob/*", subject="bob")


@pytest.fixture
def publish(store, clock, ids):
    service = PublishService(store, clock=clock, ids=ids)
    return lambda doc: service.publish(doc, ADMIN)


@pytest.fixture
def renames(store, clock, ids) -> RenameService:
    return RenameService(
        store, clock=clock, ids=ids, cool_off=timedelta(days=30), offer_ttl=timedelta(days=7)
    )


def test_a_rename_moves_every_version_and_keeps_the_ids(publish, renames, store):
    v1 = publish(server_json(OLD, "1.0.0"))
    publish(server_json(OLD, "2.0.0"))
    latest = renames.rename(OLD, MoveCommand(NEW), ALICE)
    assert (latest.name, latest.version, latest.server_id) == (NEW, "2.0.0", v1.server_id)
    moved = store.versions.by_name(NEW, include_deleted=True)
    assert {v.version for v in moved} == {"1.0.0", "2.0.0"}
    assert all(orjson.loads(v.body)["name"] == NEW for v in moved)
    assert all(v.previous_names == (OLD,) for v in moved)
    assert store.versions.by_name(OLD, include_deleted=True) == []
    assert store.names.moved_to(OLD) == NEW
    renamed = [e for e in store.log.since(0, 50) if e.kind == ChangeKind.RENAMED]
    assert len(renamed) == 2
    assert {orjson.loads(e.detail)["previousName"] for e in renamed} == {OLD}


def test_the_old_name_is_held_for_the_server_until_the_cool_off_ends(
    publish, renames, store, clock
):
    publish(server_json(OLD))
    renames.rename(OLD, MoveCommand(NEW), ALICE)
    publish_service = PublishService(store, clock=clock)
    with pytest.raises(StateConflictError, match="held"):
        publish_service.publish(server_json(OLD), ADMIN)
    clock.advance(timedelta(days=31))
    publish_service.publish(server_json(OLD), ADMIN)  # free again, for a new server
    assert store.names.moved_to(OLD) is None


def test_renaming_back_takes_the_name_out_of_the_previous_names(publish, renames, store):
    publish(server_json(OLD))
    renames.rename(OLD, MoveCommand(NEW), ALICE)
    back = renames.rename(NEW, MoveCommand(OLD), ALICE)
    assert back.previous_names == (NEW,)


@pytest.mark.parametrize(
    ("who", "target", "error"),
    [
        (BOB, NEW, PermissionDeniedError),  # not his server
        (ALICE, BOBS, PermissionDeniedError),  # not her namespace: a transfer is needed
    ],
)
def test_rename_permissions(publish, renames, store, who, target, error):
    publish(server_json(OLD))
    with pytest.raises(error):
        renames.rename(OLD, MoveCommand(target), who)
    assert store.versions.latest(OLD, include_deleted=True) is not None


def test_a_rename_onto_a_taken_name_is_refused(publish, renames, store):
    publish(server_json(OLD))
    publish(server_json(NEW))
    head = store.log.head()
    with pytest.raises(StateConflictError, match="taken"):
        renames.rename(OLD, MoveCommand(NEW), ALICE)
    assert store.log.head() == head


def test_a_transfer_is_offered_then_accepted_by_the_holder_of_the_new_name(publish, renames, store):
    publish(server_json(OLD))
    offer = renames.offer(OLD, MoveCommand(BOBS), ALICE)
    assert offer.expires_at - offer.created_at == timedelta(days=7)
    with pytest.raises(PermissionDeniedError):
        renames.accept(offer.id, ALICE)  # only bob may
    moved = renames.accept(offer.id, BOB)
    assert moved.name == BOBS
    with pytest.raises(StateConflictError, match="already accepted"):
        renames.accept(offer.id, BOB)
    kinds = [e.kind for e in store.log.since(0, 50)]
    assert kinds.count(ChangeKind.TRANSFER_OFFERED) == 1
    assert kinds.count(ChangeKind.RENAMED) == 1


def test_an_expired_offer_is_gone(publish, renames, clock):
    publish(server_json(OLD))
    offer = renames.offer(OLD, MoveCommand(BOBS), ALICE)
    clock.advance(timedelta(days=8))
    with pytest.raises(GoneError, match="expired"):
        renames.accept(offer.id, BOB)


def test_an_offer_for_a_server_renamed_since_no_longer_applies(publish, renames):
    publish(server_json(OLD))
    offer = renames.offer(OLD, MoveCommand(BOBS), ALICE)
    renames.rename(OLD, MoveCommand(NEW), ALICE)
    with pytest.raises(StateConflictError, match="no longer named"):
        renames.accept(offer.id, BOB)
