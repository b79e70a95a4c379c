"""The reference server.json examples: valid ones publish, invalid ones fail on the right field.

The examples are read from ../shared/reference/examples at test time.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from registrum.core import wire
from registrum.core.validation import validate_server_json
from tests.conftest import REFERENCE, auth, require_reference
from tests.contract.reference import (
    PREFIXES,
    example_path,
    file_names,
    json_file,
    params,
    schema_validator,
)

VALID = REFERENCE / "examples" / "valid"
INVALID = REFERENCE / "examples" / "invalid"

# The field each invalid example is about, as a problem path (``body.`` + this on the wire).
# A new invalid example must be added here (see test_every_invalid_example_has_a_mapping).
EXPECTED_FIELD = {
    "bad-name-pattern.json": "name",
    "description-too-long.json": "description",
    "missing-name.json": "name",
    "package-version-latest.json": "packages[0].version",
    "positional-argument-missing-value.json": "packages[0].packageArguments[0]",
}

# The invalid examples declare no "$schema"; the official registry requires it at publish
# (an empty $schema is always an error), so a problem on "$schema" is expected beside the
# example's own.
SCHEMA_PATH = "$schema"


def expected_field(name: str) -> str:
    if name not in EXPECTED_FIELD:
        pytest.fail(f"invalid example {name} has no expected field: add it to EXPECTED_FIELD")
    return EXPECTED_FIELD[name]


def _paths(problems: Any) -> set[str]:
    return {p.path for p in problems}


def _locations(body: dict[str, Any]) -> set[str]:
    return {e["location"] for e in body.get("errors", [])}


def _names_the_field(path: str, field: str) -> bool:
    """``path`` is ``field`` itself or a member inside it (``name`` does not match ``names``)."""
    return path == field or path.startswith((f"{field}.", f"{field}["))


def test_every_invalid_example_has_a_mapping():
    folder = require_reference() / "examples" / "invalid"
    found = set(file_names(folder))
    assert found, f"no invalid examples found in {folder}"
    assert found - EXPECTED_FIELD.keys() == set(), (
        "new invalid example(s) without an expected field: add them to EXPECTED_FIELD"
    )
    assert EXPECTED_FIELD.keys() - found == set(), "EXPECTED_FIELD names examples that are gone"


def test_every_valid_example_is_found():
    folder = require_reference() / "examples" / "valid"
    assert file_names(folder), f"no valid examples found in {folder}"


@pytest.mark.parametrize("name", params(file_names(VALID), VALID))
def test_valid_example_is_accepted_by_the_validator(name):
    doc = json_file(example_path("valid", name))
    assert not list(schema_validator().iter_errors(doc)), "the reference labels it valid"
    report = validate_server_json(doc)
    assert report.ok, [(p.path, p.message) for p in report.errors]
    assert report.document is not None
    assert report.document.name == doc["name"]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("name", params(file_names(VALID), VALID))
def test_valid_example_publishes_and_reads_back(client, token, name, prefix):
    doc = json_file(example_path("valid", name))
    jwt = token(f"publish:{doc['name']}")
    r = client.post(f"{prefix}/publish", json=doc, headers=auth(jwt))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["server"] == doc
    official = body["_meta"][wire.OFFICIAL_META]
    assert official["status"] == "active"
    assert official["isLatest"] is True

    path = (
        f"{prefix}/servers/{quote(doc['name'], safe='')}/versions/{quote(doc['version'], safe='')}"
    )
    got = client.get(path)
    assert got.status_code == 200, got.text
    assert got.json()["server"] == doc
    latest = client.get(f"{prefix}/servers/{quote(doc['name'], safe='')}/versions/latest")
    assert latest.status_code == 200, latest.text
    assert latest.json()["server"] == doc


@pytest.mark.parametrize("name", params(file_names(INVALID), INVALID))
def test_invalid_example_is_rejected_on_its_field(name):
    doc = json_file(example_path("invalid", name))
    field = expected_field(name)
    assert list(schema_validator().iter_errors(doc)), "the reference labels it invalid"

    report = validate_server_json(doc)
    assert not report.ok
    paths = _paths(report.errors)
    assert any(_names_the_field(p, field) for p in paths), paths
    unrelated = {p for p in paths if not _names_the_field(p, field) and p != SCHEMA_PATH}
    assert unrelated == set(), f"problems reported on unrelated fields: {unrelated}"


@pytest.mark.parametrize("name", params(file_names(INVALID), INVALID))
def test_invalid_example_with_current_schema_fails_only_on_its_field(name):
    """With "$schema" added, the example's own problem is the only one left."""
    doc = {"$schema": wire.CURRENT_SCHEMA_URL, **json_file(example_path("invalid", name))}
    field = expected_field(name)
    report = validate_server_json(doc)
    assert not report.ok
    paths = _paths(report.errors)
    assert paths, "expected at least one problem"
    assert all(_names_the_field(p, field) for p in paths), paths
    assert all(p.message for p in report.errors)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("name", params(file_names(INVALID), INVALID))
def test_invalid_example_is_refused_by_publish(client, token, name, prefix):
    doc = json_file(example_path("invalid", name))
    field = expected_field(name)
    jwt = token("publish:*")
    r = client.post(f"{prefix}/publish", json=doc, headers=auth(jwt))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 422
    assert body["title"] == "Unprocessable Entity"
    assert body["detail"]
    locations = _locations(body)
    assert any(_names_the_field(loc, f"body.{field}") for loc in locations), locations
    unrelated = {
        loc
        for loc in locations
        if not _names_the_field(loc, f"body.{field}") and loc != f"body.{SCHEMA_PATH}"
    }
    assert unrelated == set(), f"errors located on unrelated fields: {unrelated}"
    assert all(e.get("message") for e in body["errors"])
    # Nothing was stored.
    assert client.get(f"{prefix}/servers").json()["servers"] == []
