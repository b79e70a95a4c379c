"""Stable ids, look-ups by id, renames, transfers and the old name's redirect and cool-off
(docs/guides/change-feed-ids-and-renames.md). On both backends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.core import wire
from registrum.server.settings import Settings
from registrum.server.wiring import Registry, build
from tests.conftest import TokenFactory, auth
from tests.factories import assert_problem, enc, official, server_json

OLD = "io.github.alice/weather"
NEW = "io.github.alice/forecast"
ORG = "org.example/weather"
X = "/v0.1/x/io.registrum"


def ids(item: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = item["_meta"][wire.REGISTRUM_META]
    return meta


def status_of(client: TestClient, path: str) -> int:
    """The status of a GET, redirects not followed."""
    return int(client.get(path, follow_redirects=False).status_code)


def rename(client: TestClient, jwt: str, name: str, new_name: Any) -> Any:
    return client.post(
        f"{X}/servers/{enc(name)}/rename", json={"newName": new_name}, headers=auth(jwt)
    )


@pytest.fixture
def alice(token: TokenFactory) -> str:
    return token("publish:io.github.alice/*")


@pytest.fixture
def org(token: TokenFactory) -> str:
    return token("publish:org.example/*")


@pytest.fixture
def published(client: TestClient, publish) -> dict[str, Any]:
    """OLD with versions 1.0.0 (deprecated later) and 2.0.0; returns 2.0.0's answer."""
    assert publish(server_json(OLD, "1.0.0")).status_code == 200
    r = publish(server_json(OLD, "2.0.0"))
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def test_answers_carry_ids_and_seq_and_ids_resolve(
    client: TestClient, publish, published: dict[str, Any], token: TokenFactory
) -> None:
    meta = ids(published)
    assert set(meta) == {"serverId", "versionId", "seq"}
    assert meta["seq"] == 2
    server_id = meta["serverId"]
    latest = client.get(f"{X}/servers/{server_id}")
    assert latest.status_code == 200
    assert latest.json() == client.get(f"/v0.1/servers/{enc(OLD)}/versions/latest").json()
    versions = client.get(f"{X}/servers/{server_id}/versions").json()["servers"]
    assert [v["server"]["version"] for v in versions] == ["2.0.0", "1.0.0"]
    assert {ids(v)["serverId"] for v in versions} == {server_id}
    # A status change is a change of that version: its seq moves, its ids do not.
    r = client.patch(
        f"/v0.1/servers/{enc(OLD)}/versions/2.0.0/status",
        json={"status": "deprecated"},
        headers=auth(token("edit:*")),
    )
    assert r.status_code == 200
    after = client.get(f"{X}/servers/{server_id}").json()
    assert ids(after)["versionId"] == meta["versionId"]
    assert ids(after)["seq"] > meta["seq"]
    assert official(after)["status"] == "deprecated"
    for path in (f"{X}/servers/00000000-0000-0000-0000-000000000000", f"{X}/servers/nope"):
        assert_problem(client.get(path), 404)
        assert_problem(client.get(path + "/versions"), 404)


def test_rename_keeps_ids_and_versions_and_redirects_the_old_name(
    client: TestClient, published: dict[str, Any], alice: str
) -> None:
    before = client.get(f"/v0.1/servers/{enc(OLD)}/versions").json()["servers"]
    r = rename(client, alice, OLD, NEW)
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["server"]["name"] == NEW
    assert ids(moved)["serverId"] == ids(published)["serverId"]
    assert ids(moved)["previousNames"] == [OLD]
    after = client.get(f"/v0.1/servers/{enc(NEW)}/versions").json()["servers"]
    assert [ids(v)["versionId"] for v in after] == [ids(v)["versionId"] for v in before]
    for old, new in zip(before, after, strict=True):
        assert new["server"] == {**old["server"], "name": NEW}
        assert official(new)["publishedAt"] == official(old)["publishedAt"]
        assert ids(new)["seq"] > ids(old)["seq"]
    # Every official read path of the old name answers 308 to the same path under the new.
    for suffix in ("/versions", "/versions/latest", "/versions/1.0.0"):
        for prefix in ("/v0.1", "/v0"):
            old = client.get(
                f"{prefix}/servers/{enc(OLD)}{suffix}?include_deleted=true",
                follow_redirects=False,
            )
            assert old.status_code == 308, (prefix, suffix, old.text)
            assert old.headers["location"] == (
                f"{prefix}/servers/{enc(NEW)}{suffix}?include_deleted=true"
            )
            followed = client.get(f"{prefix}/servers/{enc(OLD)}{suffix}")
            assert followed.status_code == 200
            assert followed.json() == client.get(f"{prefix}/servers/{enc(NEW)}{suffix}").json()
    # The list shows the server once, under its new name.
    names = [s["server"]["name"] for s in client.get("/v0.1/servers").json()["servers"]]
    assert names == [NEW, NEW]


def test_refused_renames_change_nothing(
    client: TestClient, publish, published: dict[str, Any], alice: str, token: TokenFactory
) -> None:
    assert publish(server_json("io.github.alice/taken")).status_code == 200
    head = client.get("/v0.1/x/io.registrum/changes").json()["metadata"]["head"]
    bob = token("publish:io.github.bob/*")
    # No permission on the old name.
    assert_problem(rename(client, bob, OLD, "io.github.bob/weather"), 403)
    # No permission on the new one: the answer points at the transfer flow.
    body = assert_problem(rename(client, alice, OLD, ORG), 403)
    assert "transfer" in body["detail"]
    # Taken.
    body = assert_problem(rename(client, alice, OLD, "io.github.alice/taken"), 409)
    assert "taken" in body["detail"]
    # Unknown server, invalid name, missing name.
    assert_problem(rename(client, alice, "io.github.alice/nothing", NEW), 404)
    body = assert_problem(rename(client, alice, OLD, "not a name"), 400)
    assert body["errors"][0]["location"] == "body.newName"
    assert_problem(rename(client, alice, OLD, None), 400)
    assert_problem(client.post(f"{X}/servers/{enc(OLD)}/rename", json={"newName": NEW}), 401)
    assert client.get("/v0.1/x/io.registrum/changes").json()["metadata"]["head"] == head
    assert client.get(f"/v0.1/servers/{enc(OLD)}/versions").status_code == 200


def test_the_old_name_is_held_then_released(
    client: TestClient, published: dict[str, Any], alice: str, token: TokenFactory
) -> None:
    assert rename(client, alice, OLD, NEW).status_code == 200
    # Nobody may publish a new server under the old name during the cool-off.
    r = client.post(
        "/v0.1/publish", json=server_json(OLD, "9.0.0"), headers=auth(token("publish:*"))
    )
    body = assert_problem(r, 409)
    assert "held" in body["detail"]
    # Nor rename another server to it.
    other = "io.github.alice/other"
    client.post("/v0.1/publish", json=server_json(other), headers=auth(alice))
    assert_problem(rename(client, alice, other, OLD), 409)
    # The server itself may take it back.
    back = rename(client, alice, NEW, OLD)
    assert back.status_code == 200, back.text
    assert ids(back.json())["previousNames"] == [NEW]
    assert (
        client.get(f"/v0.1/servers/{enc(NEW)}/versions", follow_redirects=False).status_code == 308
    )


@pytest.fixture
def short_lived(tmp_path: Path, settings: Settings) -> Iterator[tuple[Registry, TestClient]]:
    """A registry whose transfer offers and cool-offs last a fraction of a second."""
    quick = settings.model_copy(update={"transfer_offer_ttl": 0.3, "rename_cool_off": 0.3})
    registry = build(quick)
    try:
        with TestClient(create_app(registry.context), raise_server_exceptions=False) as c:
            yield registry, c
    finally:
        registry.close()


def _token(registry: Registry, *grants: str) -> str:
    from registrum.core.permissions import Action, Permission, Principal

    permissions = tuple(Permission(Action(g.split(":")[0]), g.split(":")[1]) for g in grants)
    jwt, _ = registry.context.tokens.issue(Principal("test", grants[0], permissions))
    return jwt


def test_after_the_cool_off_the_old_name_is_free(
    short_lived: tuple[Registry, TestClient],
) -> None:
    registry, client = short_lived
    alice = _token(registry, "publish:io.github.alice/*")
    assert (
        client.post("/v0.1/publish", json=server_json(OLD), headers=auth(alice)).status_code == 200
    )
    assert rename(client, alice, OLD, NEW).status_code == 200
    time.sleep(0.4)
    r = client.post("/v0.1/publish", json=server_json(OLD, "5.0.0"), headers=auth(alice))
    assert r.status_code == 200, r.text
    assert (
        ids(r.json())["serverId"]
        != ids(client.get(f"/v0.1/servers/{enc(NEW)}/versions/latest").json())["serverId"]
    )
    # The name belongs to the new server now: no redirect.
    assert (
        client.get(f"/v0.1/servers/{enc(OLD)}/versions", follow_redirects=False).status_code == 200
    )


def test_transfer_offer_and_accept(
    client: TestClient, published: dict[str, Any], alice: str, org: str
) -> None:
    r = client.post(f"{X}/servers/{enc(OLD)}/transfer", json={"newName": ORG}, headers=auth(alice))
    assert r.status_code == 201, r.text
    offer = r.json()
    assert offer["name"] == OLD
    assert offer["newName"] == ORG
    assert offer["serverId"] == ids(published)["serverId"]
    assert offer["expiresAt"].endswith("Z")
    shown = client.get(f"{X}/transfers/{offer['id']}")
    assert shown.status_code == 200
    assert shown.json()["id"] == offer["id"]
    # Nothing moves before acceptance.
    assert client.get(f"/v0.1/servers/{enc(OLD)}/versions").status_code == 200
    # Only the holder of the new name can accept.
    accept = f"{X}/transfers/{offer['id']}/accept"
    assert_problem(client.post(accept, headers=auth(alice)), 403)
    done = client.post(accept, headers=auth(org))
    assert done.status_code == 200, done.text
    assert done.json()["server"]["name"] == ORG
    assert ids(done.json())["serverId"] == ids(published)["serverId"]
    assert (
        client.get(f"/v0.1/servers/{enc(OLD)}/versions", follow_redirects=False).status_code == 308
    )
    # Accepted twice: 409.
    assert_problem(client.post(accept, headers=auth(org)), 409)
    assert client.get(f"{X}/transfers/{offer['id']}").json()["acceptedAt"].endswith("Z")
    kinds = [c["kind"] for c in client.get("/v0.1/x/io.registrum/changes").json()["changes"]]
    assert kinds[-3:] == ["transfer-offered", "renamed", "renamed"]
    assert_problem(client.post(f"{X}/transfers/nope/accept", headers=auth(org)), 404)


def test_an_expired_offer_is_410(short_lived: tuple[Registry, TestClient]) -> None:
    registry, client = short_lived
    alice = _token(registry, "publish:io.github.alice/*")
    org = _token(registry, "publish:org.example/*")
    assert (
        client.post("/v0.1/publish", json=server_json(OLD), headers=auth(alice)).status_code == 200
    )
    r = client.post(f"{X}/servers/{enc(OLD)}/transfer", json={"newName": ORG}, headers=auth(alice))
    assert r.status_code == 201
    time.sleep(0.4)
    body = assert_problem(
        client.post(f"{X}/transfers/{r.json()['id']}/accept", headers=auth(org)), 410
    )
    assert "expired" in body["detail"]
    assert client.get(f"/v0.1/servers/{enc(OLD)}/versions").status_code == 200
