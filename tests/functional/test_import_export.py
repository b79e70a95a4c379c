"""Import and export through the services and the API: idempotent, lossless, pageable."""

from __future__ import annotations

from urllib.parse import quote

import orjson
import pytest

from registrum.core import wire
from registrum.services.importing import export_items
from tests.factories import npm_package, server_json


def _walk(client, prefix="/v0.1", **params):
    seen, cursor = [], None
    while True:
        query = {"limit": 100, **params}
        if cursor:
            query["cursor"] = cursor
        page = client.get(f"{prefix}/servers", params=query).json()
        seen += [(s["server"]["name"], s["server"]["version"]) for s in page["servers"]]
        cursor = page["metadata"].get("nextCursor")
        if not cursor:
            return seen


def test_import_is_idempotent_and_reports_rejects(registry):
    items = [
        server_json(name="io.github.a/one", version="1.0.0"),
        server_json(name="io.github.a/one", version="1.1.0", packages=[npm_package()]),
        {"name": "broken"},  # no version: cannot be stored
        server_json(name="io.github.b/two", version="0.1.0"),
    ]
    first = registry.context.importer.import_items(items)
    assert (first.added, first.existing, len(first.rejected)) == (3, 0, 1)
    assert first.rejected[0].index == 2
    assert [p.path for p in first.rejected[0].problems] == ["version"]
    head = registry.store.log.head()
    again = registry.context.importer.import_items(items)
    assert (again.added, again.existing, len(again.rejected)) == (0, 3, 1)
    assert registry.store.log.head() == head


def test_export_then_import_into_an_empty_registry_is_lossless(registry, client, publish, tmp_path):
    from registrum.server.settings import Settings
    from registrum.server.wiring import build

    publish(server_json(version="1.0.0"))
    publish(server_json(version="2.0.0-beta"))
    publish(server_json(name="io.github.alice/tools", version="0.9"))
    client.patch(
        "/v0.1/servers/io.github.alice%2Fweather/versions/1.0.0/status",
        json={"status": "deprecated", "statusMessage": "use 2.x"},
        headers={"Authorization": "Bearer " + _admin(registry)},
    )
    exported = orjson.loads(wire.dumps(list(export_items(registry.store))))
    other = build(
        Settings(
            data_dir=tmp_path / "other",
            database_url=f"sqlite:///{tmp_path / 'other.db'}",
            jwt_private_key="22" * 32,
        )
    )
    result = other.context.importer.import_items(exported)
    assert result.added == 3
    assert not result.rejected
    # Everything but each version's seq, which is its position in *this* registry's change log.
    assert _without_seq(orjson.loads(wire.dumps(list(export_items(other.store))))) == (
        _without_seq(exported)
    )
    other.close()


def _without_seq(items: list[dict]) -> list[dict]:
    for item in items:
        seq = item["_meta"][wire.REGISTRUM_META].pop("seq")
        assert isinstance(seq, int)
        assert seq > 0
    return items


def _admin(registry):
    from registrum.core.permissions import SYSTEM

    return registry.context.tokens.issue(SYSTEM)[0]


@pytest.mark.slow
def test_ten_thousand_versions_page_exactly_once_in_stable_order(registry, client):
    docs = [
        server_json(name=f"io.github.user{n // 5:04d}/server", version=f"1.{n % 5}.{n % 2}")
        for n in range(10_000)
    ]
    # name collisions across n % 3 make some pairs repeat; the import reports them as present
    result = registry.context.importer.import_items(docs)
    assert result.added + result.existing == 10_000
    assert not result.rejected
    stored = sorted({(d["name"], d["version"]) for d in docs})
    assert result.added == len(stored)
    walked = _walk(client)
    assert walked == stored  # each version once, in (name, version) order
    assert _walk(client, prefix="/v0") == stored
    latest = _walk(client, version="latest")
    assert len(latest) == len({name for name, _ in stored})
    name, version = stored[1234]
    one = client.get(f"/v0.1/servers/{quote(name, safe='')}/versions/{version}")
    assert one.status_code == 200


def test_import_refuses_a_deeply_nested_item_without_failing_the_rest(registry):
    deep = "leaf"
    for _ in range(400):
        deep = [deep]
    items = [
        server_json(_meta={"io.modelcontextprotocol.registry/publisher-provided": {"d": deep}}),
        server_json(version="2.0.0"),
    ]
    result = registry.context.importer.import_items(items)
    assert result.added == 1
    assert [r.index for r in result.rejected] == [0]


@pytest.mark.slow
def test_the_real_version_cap_refuses_the_ten_thousand_and_first(registry, client, token):
    from registrum.services.publish import MAX_VERSIONS_PER_SERVER

    name = "io.github.alice/prolific"
    docs = [server_json(name=name, version=f"0.0.{n}") for n in range(MAX_VERSIONS_PER_SERVER)]
    assert registry.context.importer.import_items(docs).added == MAX_VERSIONS_PER_SERVER
    r = client.post(
        "/v0.1/publish",
        json=server_json(name=name, version="1.0.0"),
        headers={"Authorization": "Bearer " + token("publish:*")},
    )
    assert r.status_code == 400
    assert "maximum number of versions for this server reached (10000)" in r.json()["detail"]
