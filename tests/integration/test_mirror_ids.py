"""Ids of entries from an upstream without ids are derived from the upstream and the name, so
they are the same at every re-sync and in every mirror of that upstream. If a derived id is
in use already (a server renamed here away from that name), the new server and versions get
random ids instead, and the merge goes on. Many new names at once are written in parts
(prepared in a thread): none lost. On both backends."""

from __future__ import annotations

from datetime import datetime

import orjson

from registrum.core.stable_ids import derived_server_id, origin_of
from registrum.services import mirror_merge as mirror_module
from tests.factories import server_json


def test_derived_ids_in_use_give_random_ones(registry, tmp_path) -> None:
    name = "com.example/collides"
    dump = tmp_path / "dump.json"
    taken_server = derived_server_id(origin_of(str(dump)), name)
    with registry.store.write() as tx:
        tx.servers.create_many(
            [(taken_server, "com.example/elsewhere", datetime(2026, 1, 1), None)]
        )
    dump.write_bytes(orjson.dumps([server_json(name, "1.0.0"), server_json(name, "2.0.0")]))
    service = registry.context.mirror
    service.add("dump", str(dump), "file")
    assert service.sync("dump").changed == 2
    latest = registry.store.versions.latest(name, include_deleted=True)
    assert latest is not None
    assert latest.version == "2.0.0"
    assert latest.server_id != taken_server
    assert len(registry.store.versions.by_server_id(latest.server_id, True)) == 2


def test_many_new_names_are_written_in_parts(registry, tmp_path) -> None:
    count = 2 * mirror_module._NEW_PER_PART + 37
    docs = [server_json(f"com.example/p{i:04d}", "1.0.0") for i in range(count)]
    docs += [server_json(f"com.example/p{i:04d}", "1.1.0") for i in range(0, count, 5)]
    dump = tmp_path / "dump.json"
    dump.write_bytes(orjson.dumps(docs))
    service = registry.context.mirror
    service.add("dump", str(dump), "file")
    assert service.sync("dump").changed == len(docs)
    for i in range(count):
        latest = registry.store.versions.latest(f"com.example/p{i:04d}", include_deleted=True)
        assert latest is not None
        assert latest.version == ("1.1.0" if i % 5 == 0 else "1.0.0")
        expected = derived_server_id(origin_of(str(dump)), f"com.example/p{i:04d}")
        assert latest.server_id == expected


def test_derived_ids_depend_on_the_upstream_not_on_how_its_url_is_written() -> None:
    name = "com.example/tools"
    same = [
        "https://registry.example.com",
        "https://Registry.Example.com/",
        "http://registry.example.com/v0.1",
        "https://registry.example.com/v0/",
    ]
    assert len({derived_server_id(origin_of(url), name) for url in same}) == 1
    other = derived_server_id(origin_of("https://other.example.com"), name)
    assert other != derived_server_id(origin_of(same[0]), name)
    assert derived_server_id(origin_of(same[0]), "com.example/else") != other
