"""What passes down a chain of mirrors: a root Registrum, a mirror of it, and a mirror of the
mirror agree on every version's stable ids, on previousNames, on a rename's 308 from the old
name, on deletions and on the served state, after each change at the root. In process (the
readers talk to the upstream's app through its test client), on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.core import wire
from registrum.core.permissions import SYSTEM
from registrum.server.settings import Settings
from registrum.server.wiring import Registry, build
from registrum.services.mirror import MirrorService
from registrum.upstream.readers import reader_for
from tests.conftest import TEST_SEED, throwaway_postgres
from tests.factories import enc, server_json

pytestmark = pytest.mark.slow

HOPS = ("root", "a", "b")


@pytest.fixture(params=("sqlite", "postgresql"))
def chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Registry]]:
    registries: dict[str, Registry] = {}
    cleanups: list[Iterator[str]] = []
    try:
        for hop in HOPS:
            if request.param == "sqlite":
                url = f"sqlite:///{tmp_path / f'{hop}.db'}"
            else:
                making = throwaway_postgres(
                    f"chain_{hop}", request.getfixturevalue("postgres_template")
                )
                url = next(making)
                cleanups.append(making)
            registries[hop] = build(
                Settings(
                    data_dir=tmp_path / hop,
                    database_url=url,
                    jwt_private_key=TEST_SEED,
                    enable_registry_validation=False,
                    mirror_sync=False,
                )
            )
        yield registries
    finally:
        for registry in registries.values():
            registry.close()
        for making in cleanups:
            next(making, None)  # drops the database


class Hop:
    """One registry of the chain: its API, and (below the root) its mirror of the hop
    above, read through that hop's own API."""

    def __init__(self, registry: Registry, above: Hop | None, url: str) -> None:
        self.api = TestClient(create_app(registry.context), base_url=url)
        self.mirror: MirrorService | None = None
        if above is not None:
            self.mirror = MirrorService(
                registry.store, lambda upstream: reader_for(upstream, above.api)
            )
            self.mirror.add("up", str(above.api.base_url), "registrum")

    def sync(self) -> None:
        assert self.mirror is not None
        report = self.mirror.sync("up")
        assert report.error is None
        assert report.refused == []

    def state(self) -> dict[tuple[str, str], tuple[Any, ...]]:
        """(name, version) -> what a reader sees of it, deleted versions included."""
        found: dict[tuple[str, str], tuple[Any, ...]] = {}
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 100, "include_deleted": "true"}
            if cursor:
                params["cursor"] = cursor
            body = self.api.get("/v0.1/servers", params=params).json()
            for item in body["servers"]:
                official = item["_meta"][wire.OFFICIAL_META]
                ours = item["_meta"][wire.REGISTRUM_META]
                found[(item["server"]["name"], item["server"]["version"])] = (
                    item["server"],
                    official["status"],
                    official.get("statusMessage"),
                    official["isLatest"],
                    official["publishedAt"],
                    ours["serverId"],
                    ours["versionId"],
                    ours.get("previousNames"),
                )
            cursor = body["metadata"].get("nextCursor")
            if not cursor:
                return found

    def redirect(self, name: str) -> str | None:
        r = self.api.get(f"/v0.1/servers/{enc(name)}/versions/latest", follow_redirects=False)
        if r.status_code == 308:
            return str(r.headers["location"])
        assert r.status_code in (200, 404), r.text
        return None


def _agree(hops: list[Hop], old_names: list[str]) -> dict[tuple[str, str], tuple[Any, ...]]:
    root = hops[0].state()
    for hop in hops[1:]:
        hop.sync()
    for hop in hops[1:]:
        assert hop.state() == root
        for name in old_names:
            assert hop.redirect(name) == hops[0].redirect(name) is not None, name
    return root


def test_ids_previous_names_renames_and_deletions_agree_at_every_hop(
    chain: dict[str, Registry],
) -> None:
    root = Hop(chain["root"], None, "http://root.example")
    a = Hop(chain["a"], root, "http://a.example")
    b = Hop(chain["b"], a, "http://b.example")
    hops = [root, a, b]
    admin = {"Authorization": "Bearer " + chain["root"].context.tokens.issue(SYSTEM)[0]}

    def publish(name: str, version: str) -> None:
        r = root.api.post("/v0.1/publish", json=server_json(name, version), headers=admin)
        assert r.status_code == 200, r.text

    def rename(name: str, new_name: str) -> None:
        r = root.api.post(
            f"/v0.1/x/io.registrum/servers/{enc(name)}/rename",
            json={"newName": new_name},
            headers=admin,
        )
        assert r.status_code == 200, r.text

    for name, version in [
        ("com.example/alpha", "1.0.0"),
        ("com.example/alpha", "2.0.0+build.5"),
        ("com.example/beta", "1.0.0"),
        ("com.example/beta", "1.1.0"),
        ("com.example/gamma", "1.0.0"),
    ]:
        publish(name, version)
    first = _agree(hops, [])
    alpha_id = first[("com.example/alpha", "1.0.0")][5]

    # A rename, a deletion, a deprecation and a new version at the root.
    rename("com.example/alpha", "com.example/alpha-two")
    r = root.api.patch(
        f"/v0.1/servers/{enc('com.example/beta')}/versions/1.1.0/status",
        json={"status": "deleted", "statusMessage": "withdrawn"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    r = root.api.patch(
        f"/v0.1/servers/{enc('com.example/gamma')}/status",
        json={"status": "deprecated", "statusMessage": "use delta"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    publish("com.example/gamma", "2.0.0")
    second = _agree(hops, ["com.example/alpha"])
    renamed = second[("com.example/alpha-two", "2.0.0+build.5")]
    assert renamed[5] == alpha_id  # the same server, not a new one
    assert renamed[7] == ["com.example/alpha"]
    assert ("com.example/alpha", "1.0.0") not in second
    assert second[("com.example/beta", "1.1.0")][1:3] == ("deleted", "withdrawn")
    assert second[("com.example/beta", "1.0.0")][3] is True  # latest moved back
    for hop in hops:
        assert hop.redirect("com.example/alpha") == (
            f"/v0.1/servers/{enc('com.example/alpha-two')}/versions/latest"
        )
        by_id = hop.api.get(f"/v0.1/x/io.registrum/servers/{alpha_id}").json()
        assert by_id["server"]["name"] == "com.example/alpha-two"

    # Renamed again: both old names redirect, previousNames keeps the history.
    rename("com.example/alpha-two", "com.example/alpha-three")
    third = _agree(hops, ["com.example/alpha", "com.example/alpha-two"])
    assert third[("com.example/alpha-three", "1.0.0")][7] == [
        "com.example/alpha",
        "com.example/alpha-two",
    ]
    assert third[("com.example/alpha-three", "1.0.0")][5] == alpha_id
    # Nothing more to do anywhere.
    for hop in hops[1:]:
        assert hop.mirror is not None
        assert hop.mirror.sync("up").changed == 0
