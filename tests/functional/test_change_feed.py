"""The change feed (GET /v0.1/x/io.registrum/changes): every change once, in seq order,
with the version as it now stands; complete while writers run; enough to rebuild the
registry exactly. On both backends."""

from __future__ import annotations

import random
import threading
from typing import Any

import orjson
from fastapi.testclient import TestClient

from registrum.core import wire
from registrum.core.permissions import SYSTEM
from registrum.core.status import Status, StatusChange
from registrum.server.wiring import Registry
from tests.conftest import TokenFactory, auth
from tests.factories import assert_problem, enc, official, server_json

FEED = "/v0.1/x/io.registrum/changes"
NAME = "io.github.alice/weather"


def feed(client: TestClient, since: int = 0, limit: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"since": since}
    if limit is not None:
        params["limit"] = limit
    r = client.get(FEED, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["metadata"]["count"] == len(body["changes"])
    return body


def follow(client: TestClient, since: int = 0, limit: int = 7) -> list[dict[str, Any]]:
    """Every change after ``since``, page by page."""
    out: list[dict[str, Any]] = []
    while True:
        page = feed(client, since, limit)
        out += page["changes"]
        since = page["metadata"]["nextSince"]
        if not page["changes"]:
            return out


def registry_ids(item: dict[str, Any]) -> dict[str, Any]:
    ids: dict[str, Any] = item["_meta"][wire.REGISTRUM_META]
    return ids


def set_status(client: TestClient, jwt: str, name: str, version: str, status: str) -> None:
    r = client.patch(
        f"/v0.1/servers/{enc(name)}/versions/{enc(version)}/status",
        json={"status": status},
        headers=auth(jwt),
    )
    assert r.status_code == 200, r.text


def test_the_feed_lists_every_change_in_order_with_the_current_state(
    client: TestClient, publish, token: TokenFactory
) -> None:
    admin = token("publish:*", "edit:*")
    assert publish(server_json(NAME, "1.0.0")).status_code == 200
    assert publish(server_json(NAME, "1.1.0")).status_code == 200
    set_status(client, admin, NAME, "1.0.0", "deleted")

    body = feed(client)
    changes = body["changes"]
    seqs = [c["seq"] for c in changes]
    assert seqs == list(range(1, len(changes) + 1))
    assert body["metadata"]["head"] == seqs[-1] == body["metadata"]["nextSince"]
    kinds = [(c["kind"], c["version"]) for c in changes]
    # 1.1.0 takes the latest flag from 1.0.0: that move is a change of 1.0.0 too.
    assert kinds == [
        ("published", "1.0.0"),
        ("published", "1.1.0"),
        ("latest-moved", "1.0.0"),
        ("status-changed", "1.0.0"),
    ]
    for change in changes:
        assert change["name"] == NAME
        assert change["at"].endswith("Z")
        now = client.get(
            f"/v0.1/servers/{enc(NAME)}/versions/{enc(change['version'])}",
            params={"include_deleted": "true"},
        ).json()
        assert change["server"] == now
        assert registry_ids(now)["versionId"] == change["versionId"]
        assert registry_ids(now)["serverId"] == change["serverId"]
    assert changes[-1]["tombstone"] is True
    assert "tombstone" not in changes[1]
    # Each version's seq is its last change.
    assert registry_ids(changes[-1]["server"])["seq"] == 4
    assert registry_ids(changes[1]["server"])["seq"] == 2


def test_paging_by_seq(client: TestClient, publish) -> None:
    for i in range(10):
        assert publish(server_json(f"io.github.alice/s{i:02d}")).status_code == 200
    first = feed(client, 0, 4)
    assert [c["seq"] for c in first["changes"]] == [1, 2, 3, 4]
    assert first["metadata"]["nextSince"] == 4
    assert first["metadata"]["head"] == 10
    rest = follow(client, 4, 4)
    assert [c["seq"] for c in rest] == list(range(5, 11))
    past = feed(client, 99)
    assert past["changes"] == []
    assert past["metadata"]["nextSince"] == 99
    assert past["metadata"]["head"] == 10


def test_bad_parameters_are_422s_naming_the_field(client: TestClient) -> None:
    # As the official list answers a bad limit: 422, the field in each error's location.
    for query, field in (
        ("since=-1", "since"),
        ("since=abc", "since"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
    ):
        body = assert_problem(client.get(f"{FEED}?{query}"), 422)
        assert [e["location"] for e in body["errors"]] == [f"query.{field}"]


def test_the_feed_is_complete_while_writers_run(client: TestClient, registry: Registry) -> None:
    """Writers publish and change statuses in threads while a reader pages the feed; the
    reader sees every seq exactly once and every version there is."""
    writers, per_writer = 8, 15
    done = threading.Event()
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            for i in range(per_writer):
                name = f"io.github.w{w}/server-{i % 3}"
                registry.context.publish.publish(server_json(name, f"1.0.{i}"), SYSTEM)
                if i % 4 == 3:
                    registry.context.moderation.set_version_status(
                        name, f"1.0.{i}", StatusChange(Status.DEPRECATED, None), SYSTEM
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    seen: list[int] = []
    since = 0

    def drain() -> None:
        nonlocal since
        while True:
            page = feed(client, since, 5)
            seen.extend(c["seq"] for c in page["changes"])
            since = page["metadata"]["nextSince"]
            if not page["changes"]:
                return

    while any(t.is_alive() for t in threads):
        drain()
    for t in threads:
        t.join()
    done.set()
    drain()
    assert not errors, errors
    assert seen == list(range(1, registry.store.log.head() + 1))
    versions = {c["versionId"] for c in follow(client, 0, 50) if c["kind"] == "published"}
    assert len(versions) == writers * per_writer


def _all_versions(client: TestClient) -> dict[str, Any]:
    """The registry's whole state through the official list: versionId -> ServerResponse."""
    state: dict[str, Any] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, "include_deleted": "true"}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/v0.1/servers", params=params).json()
        for item in body["servers"]:
            state[registry_ids(item)["versionId"]] = item
        cursor = body["metadata"].get("nextCursor")
        if not cursor:
            return state


def test_a_reader_of_the_feed_rebuilds_the_registry_exactly(
    client: TestClient, token: TokenFactory
) -> None:
    """1,000 random publishes, status changes and renames, with a mirror-shaped reader
    polling the feed now and then; at the end its copy equals the registry."""
    rng = random.Random(6)
    admin = auth(token("publish:*", "edit:*"))
    names: dict[str, list[str]] = {}  # current name -> versions
    mirror: dict[str, Any] = {}
    since = 0

    def poll() -> None:
        nonlocal since
        while True:
            page = feed(client, since, 100)
            for change in page["changes"]:
                if change.get("server") is not None:
                    mirror[change["versionId"]] = change["server"]
            since = page["metadata"]["nextSince"]
            if not page["changes"]:
                return

    counter = 0
    for step in range(1000):
        roll = rng.random()
        if roll < 0.55 or not names:
            name = rng.choice(list(names)) if names and rng.random() < 0.6 else None
            if name is None:
                counter += 1
                name = f"io.github.user{counter % 7}/server-{counter}"
                names[name] = []
            version = f"{len(names[name]) + 1}.{rng.randrange(3)}.0"
            if version in names[name]:
                continue
            r = client.post("/v0.1/publish", json=server_json(name, version), headers=admin)
            assert r.status_code == 200, r.text
            names[name].append(version)
        elif roll < 0.85:
            name = rng.choice(list(names))
            version = rng.choice(names[name])
            status = rng.choice(["active", "deprecated", "deleted"])
            r = client.patch(
                f"/v0.1/servers/{enc(name)}/versions/{enc(version)}/status",
                json={"status": status},
                headers=admin,
            )
            assert r.status_code in (200, 400), r.text  # 400: already in that status (official)
        else:
            name = rng.choice(list(names))
            counter += 1
            new_name = f"io.github.user{rng.randrange(7)}/renamed-{counter}"
            r = client.post(
                f"/v0.1/x/io.registrum/servers/{enc(name)}/rename",
                json={"newName": new_name},
                headers=admin,
            )
            assert r.status_code == 200, r.text
            names[new_name] = names.pop(name)
        if step % 37 == 0:
            poll()
    poll()
    state = _all_versions(client)
    assert len(state) == sum(len(v) for v in names.values())
    assert orjson.dumps(mirror, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
        state, option=orjson.OPT_SORT_KEYS
    )
    latest = [item for item in state.values() if official(item)["isLatest"]]
    assert len(latest) == len(names)  # one latest per server, and the mirror agrees
