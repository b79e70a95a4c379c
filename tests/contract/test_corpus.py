"""108 real server.json files: our verdict matches the reference schema's, and valid ones
import and read back as the official registry would store them.

The corpus is read from ../shared/corpus/real-server-json at test time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.core import wire
from registrum.core.validation import validate_server_json
from registrum.server.settings import Settings
from registrum.server.wiring import Registry, build
from registrum.services.importing import ImportResult
from tests.conftest import CORPUS, TEST_SEED
from tests.contract.reference import (
    OFFICIAL_META,
    corpus_document,
    corpus_entry,
    expected_stored,
    manifest,
    manifest_files,
    params,
    require_corpus,
    schema_errors,
    schema_validator,
    server_schema,
)

FILES = params(manifest_files(), CORPUS)
VALID_FILES = params(manifest_files(valid=True), CORPUS)


def _problems(report: Any) -> list[str]:
    return [f"{p.path}: {p.message}" for p in report.errors]


def test_manifest_matches_the_folder():
    folder = require_corpus()
    on_disk = {p.name for p in folder.glob("*.json") if p.name != "MANIFEST.json"}
    listed = [e["file"] for e in manifest()]
    assert len(listed) == len(set(listed))
    assert set(listed) == on_disk
    verdicts = {e["valid_2025_12_11"] for e in manifest()}
    assert verdicts == {True, False}, "the corpus should hold both valid and invalid documents"


@pytest.mark.parametrize("file", FILES)
def test_verdict_matches_manifest_and_reference_schema(file):
    entry = corpus_entry(file)
    doc = corpus_document(file)
    expected = entry["valid_2025_12_11"]
    reference = schema_errors(schema_validator(), doc)
    assert (not reference) == expected, f"MANIFEST and jsonschema disagree: {reference}"
    report = validate_server_json(doc, non_current_schema="warning")
    assert report.ok == expected, (
        f"we say {'valid' if report.ok else 'invalid'}, the reference schema says "
        f"{'valid' if expected else 'invalid'}: ours={_problems(report)} reference={reference}"
    )
    if not expected:
        assert report.errors, "an invalid document must come with at least one problem"
        assert all(p.message for p in report.errors)


@pytest.mark.parametrize("file", VALID_FILES)
def test_declared_schema_is_an_error_only_when_not_current(file):
    """Publishing (non_current_schema="error") adds exactly one problem, on "$schema", for a
    valid document that declares anything but the reference schema's own $id."""
    doc = corpus_document(file)
    strict = validate_server_json(doc)
    if doc.get("$schema") == server_schema()["$id"]:
        assert strict.ok, _problems(strict)
    else:
        assert [p.path for p in strict.errors] == ["$schema"], _problems(strict)
        lenient = validate_server_json(doc, non_current_schema="warning")
        assert any(p.path == "$schema" for p in lenient.warnings)


@dataclass
class Imported:
    registry: Registry
    client: TestClient
    result: ImportResult
    order: list[str]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    """One registry holding the whole corpus, imported through the importer service."""
    folder = require_corpus()
    tmp: Path = tmp_path_factory.mktemp("corpus")
    settings = Settings(
        data_dir=tmp / "data",
        database_url=f"sqlite:///{tmp / 'registry.db'}",
        jwt_private_key=TEST_SEED,
    )
    registry = build(settings)
    order = [e["file"] for e in manifest()]
    docs = [corpus_document(f) for f in order]
    assert folder.is_dir()
    result = registry.context.importer.import_items(docs)
    with TestClient(create_app(registry.context), raise_server_exceptions=False) as client:
        yield Imported(registry, client, result, order)
    registry.engine.dispose()


def _storable(doc: Any) -> bool:
    """What an import keeps: every document with a name and a version (ingest is faithful;
    the rules publishing enforces are recorded as warnings, not refused)."""
    return isinstance(doc, dict) and all(
        isinstance(doc.get(k), str) and doc[k] for k in ("name", "version")
    )


def test_import_keeps_every_storable_document(imported):
    docs = {e["file"]: corpus_document(e["file"]) for e in manifest()}
    storable = {f for f, doc in docs.items() if _storable(doc)}
    rejected = {imported.order[r.index] for r in imported.result.rejected}
    keys = {(docs[f]["name"], docs[f]["version"]) for f in storable}
    assert rejected == set(docs) - storable
    assert imported.result.added == len(keys)
    assert imported.result.added + imported.result.existing == len(storable)
    for r in imported.result.rejected:
        assert r.problems, f"{imported.order[r.index]} was rejected without a reason"


def test_invalid_documents_are_kept_with_the_rules_they_break(imported):
    """A document publishing would refuse (the reference schema calls it invalid, or it
    declares an older schema) is kept as given, with warnings that say why; one publishing
    would accept carries none."""
    for entry in manifest():
        doc = corpus_document(entry["file"])
        if not _storable(doc):
            continue
        r = imported.client.get(_version_path(doc["name"], doc["version"]))
        assert r.status_code == 200, (entry["file"], r.text)
        ours = r.json()["_meta"][wire.REGISTRUM_META]
        publishable = validate_server_json(doc).ok  # the publish rules, current schema only
        assert (wire.WARNINGS in ours) == (not publishable), (entry["file"], ours)
        if not entry["valid_2025_12_11"]:
            assert ours[wire.WARNINGS], entry["file"]


def _version_path(name: str, version: str, prefix: str = "/v0.1") -> str:
    return f"{prefix}/servers/{quote(name, safe='')}/versions/{quote(version, safe='')}"


@pytest.mark.parametrize("file", VALID_FILES)
def test_valid_document_reads_back_as_stored(imported, file):
    entry = corpus_entry(file)
    assert entry["valid_2025_12_11"]
    doc = corpus_document(file)
    assert (doc["name"], doc["version"]) == (entry["name"], entry["version"])
    r = imported.client.get(_version_path(doc["name"], doc["version"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["server"] == doc  # as given: an import is faithful
    official = body["_meta"][OFFICIAL_META]
    assert official["status"] == "active"
    # One version per name in the corpus: each is its server's latest.
    assert official["isLatest"] is True
    same = imported.client.get(_version_path(doc["name"], doc["version"], "/v0"))
    assert same.status_code == 200
    assert same.json() == body


def test_import_keeps_members_publishing_would_drop(imported):
    """The round trip above is not trivially equal to what publishing stores: some corpus
    documents carry members the schema does not declare, or foreign ``_meta`` keys, which a
    publish drops and an import keeps."""
    kept = 0
    for entry in manifest():
        if not entry["valid_2025_12_11"]:
            continue
        doc = corpus_document(entry["file"])
        if expected_stored(doc) != doc:
            kept += 1
            got = imported.client.get(_version_path(doc["name"], doc["version"])).json()
            assert got["server"] == doc
    assert kept > 0, "expected at least one corpus document with members publish drops"


def test_list_holds_every_imported_version(imported):
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": 100}
        if cursor:
            query["cursor"] = cursor
        page = imported.client.get("/v0.1/servers", params=query)
        assert page.status_code == 200, page.text
        data = page.json()
        seen += [(s["server"]["name"], s["server"]["version"]) for s in data["servers"]]
        cursor = data["metadata"].get("nextCursor")
        if not cursor:
            break
    docs = [corpus_document(e["file"]) for e in manifest()]
    storable = {(d["name"], d["version"]) for d in docs if _storable(d)}
    assert len(seen) == len(set(seen))
    assert set(seen) == storable
