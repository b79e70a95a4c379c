"""Ingest: a document is stored exactly as served with the publish rules it breaks; only what
cannot be stored at all is refused, naming the member at fault."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from registrum.core.ingest import (
    DESCRIPTION_INDEXED,
    Deviation,
    Ingested,
    Refusal,
    Served,
    count_stored,
    deviations_json,
    ingest,
    ingest_item,
)
from tests.factories import server_json


def _ingested(raw: object) -> Ingested:
    taken = ingest(raw)
    assert isinstance(taken, Ingested), taken
    return taken


def test_a_valid_document_is_kept_as_served_with_no_deviation() -> None:
    doc = {"zzz": 1, **server_json("io.github.alice/weather", "1.0.0"), "extra": {"kept": True}}
    taken = _ingested(doc)
    assert taken.body == orjson.dumps(doc).decode()  # unknown members and order kept
    assert list(orjson.loads(taken.body)) == list(doc)
    assert taken.deviations == ()
    assert (taken.name, taken.version) == ("io.github.alice/weather", "1.0.0")


def test_a_document_publish_would_refuse_is_kept_with_each_rule_it_breaks() -> None:
    doc = server_json("io.github.alice/weather", "latest", repository={})
    doc["$schema"] = ""
    taken = _ingested(doc)
    assert orjson.loads(taken.body) == doc
    keys = {d.key for d in taken.deviations}
    assert keys == {
        "version-latest-reserved",
        "schema-field-required",
        "schema:missing at repository.url",
        "schema:missing at repository.source",
    }
    assert all(d.message for d in taken.deviations)


@pytest.mark.parametrize(
    ("raw", "path", "reason"),
    [
        ("text", "", "not a JSON object"),
        ({"version": "1.0.0"}, "name", "no name"),
        ({"name": "", "version": "1.0.0"}, "name", "no name"),
        ({"name": "io.github.a/b"}, "version", "no version"),
        ({"name": "io.github.a/b", "version": 1}, "version", "no version"),
        ({"name": "io.github.a/" + "b" * 300, "version": "1"}, "name", "longer than 200"),
        ({"name": "io.github.a/b", "version": "1" * 256}, "version", "longer than 255"),
        ({"name": "io.github.a/b", "version": "1\x00"}, "version", "NUL"),
    ],
)
def test_what_cannot_be_stored_is_refused_naming_the_member(
    raw: object, path: str, reason: str
) -> None:
    refused = ingest(raw)
    assert isinstance(refused, Refusal)
    assert refused.path == path
    assert reason in refused.reason


def test_too_deep_is_refused_with_its_path() -> None:
    deep: object = "leaf"
    for _ in range(100):
        deep = [deep]
    refused = ingest({"name": "io.github.a/b", "version": "1", "x": deep})
    assert isinstance(refused, Refusal)
    assert refused.path.startswith("x[0][0]")


def test_indexed_values_fit_their_columns_and_hold_no_nul() -> None:
    doc = server_json(
        "io.github.a/bb",
        "1.0.0",
        description="x\x00" * 500,
        remotes=[
            {"type": "sse", "url": "https://a.example.com/\x00"},
            {"type": "sse", "url": "https://b.example.com/"},
            {"type": "sse", "url": "https://b.example.com/"},
            {"type": "sse"},
        ],
    )
    taken = _ingested(doc)
    assert taken.description == "x" * DESCRIPTION_INDEXED
    assert taken.remote_urls == ("https://b.example.com/",)
    assert "\\u0000" in taken.body  # the document itself keeps it


def test_deviations_are_counted_once_per_document_by_key() -> None:
    deviations = [
        Deviation("schema:missing", "packages[0].transport", "m"),
        Deviation("schema:missing", "packages[1].transport", "m"),
        Deviation("version-latest-reserved", "version", "m"),
    ]
    stored = deviations_json(deviations)
    assert stored is not None
    counts: Counter[str] = Counter()
    count_stored(counts, stored)
    count_stored(counts, stored)
    count_stored(counts, None)
    assert counts == {
        "schema:missing at packages[].transport": 2,
        "version-latest-reserved": 2,
    }
    assert deviations_json([]) is None


def test_deviations_a_registrum_recorded_are_taken_as_recorded() -> None:
    """An item from a Registrum (its _meta names a serverId) carries its deviations: taken
    without validating again; none listed means none. Other items are validated here."""
    doc = server_json("io.github.alice/weather", "latest")
    ours = {"serverId": "6f1d1c1e-5c38-4d61-9a62-3c1e0b8f0b7a"}
    recorded = [{"rule": "r", "path": "p", "message": "m"}]
    item = {"server": doc, "_meta": {"io.registrum/registry": {**ours, "warnings": recorded}}}
    served = ingest_item(item)
    assert isinstance(served, Served)
    assert served.document.deviations == (Deviation("r", "p", "m"),)
    assert served.server_id == ours["serverId"]
    clean = ingest_item({"server": doc, "_meta": {"io.registrum/registry": ours}})
    assert isinstance(clean, Served)
    assert clean.document.deviations == ()
    for meta in ({}, {"io.registrum/registry": {**ours, "warnings": [{"rule": 1}]}}):
        checked = ingest_item({"server": doc, "_meta": meta})
        assert isinstance(checked, Served)
        assert {d.rule for d in checked.document.deviations} == {"version-latest-reserved"}
