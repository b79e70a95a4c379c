"""Ingest is faithful, publish stays strict: real-shaped official data (documents accepted
under older rules, isLatest decided at each publish, deleted and deprecated versions) is kept
whole by an import, by a mirror of a dump file and by a mirror of an official-API registry
serving the same items page by page. Each rule of today's publish a version breaks is
recorded on it and counted by rule; only what cannot be stored at all is refused, and said.
On both backends."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from registrum.core import wire
from registrum.server.wiring import Registry
from tests.conftest import TEST_SEED
from tests.fakes.official_dump import DEFECTS, OFFICIAL, defect_of, official_dump
from tests.fakes.official_registry import FakeOfficialRegistry
from tests.processes import run_cli

# Items no registry can store: each must be refused and said, the rest kept.
UNSTORABLE = [
    "not an object",
    {"server": {"name": "io.github.x/no-version", "description": "d"}},
    {"server": {"version": "1.0.0", "description": "no name"}},
]


def _served(client: TestClient, **query: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every version served (deleted ones too, unless ``query`` says otherwise), walking
    the list as a client does."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, "include_deleted": "true", **query}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/v0.1/servers", params=params).json()
        for item in body["servers"]:
            key = (item["server"]["name"], item["server"]["version"])
            assert key not in found, f"{key} served twice"
            found[key] = item
        cursor = body["metadata"].get("nextCursor")
        if not cursor:
            return found


def _expected_deviations(items: list[dict[str, Any]], *, remote_rule: bool) -> Counter[str]:
    counts: Counter[str] = Counter()
    for item in items:
        defect = defect_of(item, items)
        if defect is not None and (remote_rule or defect != "shared-remote"):
            counts.update(DEFECTS[defect])
    return counts


def _assert_served_as_upstream(
    client: TestClient, items: list[dict[str, Any]], *, mirrored: bool
) -> None:
    served = _served(client)
    assert set(served) == {(i["server"]["name"], i["server"]["version"]) for i in items}
    for item in items:
        key = (item["server"]["name"], item["server"]["version"])
        got = served[key]
        assert got["server"] == item["server"], key  # stored as served, defects and all
        # Status, message, timestamps and isLatest as the upstream served them.
        assert got["_meta"][OFFICIAL] == item["_meta"][OFFICIAL], key
        ours = got["_meta"][wire.REGISTRUM_META]
        defect = defect_of(item, items)
        if defect is None or (mirrored and defect == "shared-remote"):
            assert wire.WARNINGS not in ours, (key, ours.get(wire.WARNINGS))
        else:
            rules = {w["rule"] for w in ours[wire.WARNINGS]}
            assert {k.split(" at ")[0] for k in DEFECTS[defect]} <= rules, (key, rules)
            for warning in ours[wire.WARNINGS]:
                assert set(warning) == {"rule", "path", "message"}
                assert warning["message"]
    # The latest version of each name is the upstream's, on every read path.
    flagged = {
        i["server"]["name"]: i["server"]["version"]
        for i in items
        if i["_meta"][OFFICIAL]["isLatest"] and i["_meta"][OFFICIAL]["status"] != "deleted"
    }
    latest = set(_served(client, version="latest", include_deleted="false"))
    assert latest == set(flagged.items())
    for name, version in flagged.items():
        one = client.get(f"/v0.1/servers/{name.replace('/', '%2F')}/versions/latest")
        assert one.json()["server"]["version"] == version, name


def test_an_import_keeps_every_official_item(registry: Registry, client: TestClient) -> None:
    items = official_dump(60)
    result = registry.context.importer.import_items([*items, *UNSTORABLE])
    assert (result.added, result.existing) == (len(items), 0)
    assert [r.index for r in result.rejected] == [len(items), len(items) + 1, len(items) + 2]
    assert [p.path for r in result.rejected for p in r.problems] == ["", "version", "name"]
    assert result.deviations == _expected_deviations(items, remote_rule=True)
    _assert_served_as_upstream(client, items, mirrored=False)
    again = registry.context.importer.import_items(items)
    assert (again.added, again.existing, again.rejected) == (0, len(items), [])


def test_a_mirror_of_a_dump_file_keeps_every_item(
    registry: Registry, client: TestClient, tmp_path: Path
) -> None:
    items = official_dump(60)
    dump = tmp_path / "official.json"
    dump.write_bytes(orjson.dumps([*items, *UNSTORABLE]))
    service = registry.context.mirror
    service.add("dump", str(dump), "file")
    report = service.sync("dump")
    assert report.changed == len(items)
    assert report.deviations == _expected_deviations(items, remote_rule=False)
    assert len(report.refused) == len(UNSTORABLE)
    assert "it has no version" in report.refused[1]
    _assert_served_as_upstream(client, items, mirrored=True)


def test_a_mirror_of_an_official_api_keeps_every_item(
    registry: Registry, client: TestClient
) -> None:
    items = official_dump(150)  # several pages of 100
    assert len(items) > 250
    with FakeOfficialRegistry() as fake:
        fake.load(items)
        service = registry.context.mirror
        service.add("official", fake.url, "official")
        report = service.sync("official")
        assert report.fetched == len(items)
        assert report.refused == []
        assert report.deviations == _expected_deviations(items, remote_rule=False)
        _assert_served_as_upstream(client, items, mirrored=True)
        pages = [r for r in fake.requests if r.path == "/v0.1/servers"]
        assert len(pages) >= 3
        # A second sync polls and changes nothing.
        assert service.sync("official").changed == 0
        _assert_served_as_upstream(client, items, mirrored=True)


def test_publish_stays_strict(client: TestClient, token: Any) -> None:
    items = official_dump(16)
    jwt = token("publish:*")
    refused = 0
    for item in items:
        defect = defect_of(item, items)
        if defect is None or defect == "shared-remote":
            continue
        r = client.post(
            "/v0.1/publish", json=item["server"], headers={"Authorization": f"Bearer {jwt}"}
        )
        assert r.status_code == 422, (defect, r.text)
        refused += 1
    assert refused >= len(DEFECTS) - 1


@pytest.mark.slow
def test_the_import_command_counts_deviations_by_rule(tmp_path: Path) -> None:
    items = official_dump(60)
    dump = tmp_path / "official.json"
    dump.write_bytes(orjson.dumps([*items, *UNSTORABLE]))
    env = {"MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED}
    r = run_cli("import", str(dump), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    said = r.stdout + r.stderr
    assert f"imported {len(items)} new version(s)" in said
    assert "3 rejected" in said
    for rule, count in _expected_deviations(items, remote_rule=True).items():
        assert any(line.split() == [str(count), *rule.split()] for line in said.splitlines()), (
            rule,
            said,
        )
