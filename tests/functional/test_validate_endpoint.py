"""POST /validate: the official ValidationResult, which the official publisher prints."""

from __future__ import annotations

import pytest

from tests.factories import PREFIXES, npm_package, server_json


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_valid_document_is_valid_and_nothing_is_stored(client, prefix):
    r = client.post(f"{prefix}/validate", json=server_json())
    assert r.status_code == 200
    assert r.json() == {"valid": True, "issues": []}
    assert client.get(f"{prefix}/servers").json()["servers"] == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_issue_is_listed_with_type_path_severity_and_reference(client, prefix):
    doc = server_json(
        description="x" * 101,
        packages=[npm_package(version="latest")],
        colour="blue",
    )
    del doc["$schema"]
    result = client.post(f"{prefix}/validate", json=doc).json()
    assert result["valid"] is False
    by_path = {i["path"]: i for i in result["issues"]}
    assert by_path["description"]["type"] == "schema"
    assert by_path["description"]["severity"] == "error"
    assert by_path["packages[0].version"]["type"] == "semantic"
    assert by_path["$schema"]["reference"] == "schema-field-required"
    assert by_path["colour"]["severity"] == "warning"
    for issue in result["issues"]:
        assert set(issue) == {"type", "path", "message", "severity", "reference"}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_an_old_schema_is_reported_with_the_official_reference(client, prefix):
    doc = server_json()
    doc["$schema"] = "https://static.modelcontextprotocol.io/schemas/2025-07-09/server.schema.json"
    issues = client.post(f"{prefix}/validate", json=doc).json()["issues"]
    assert [i["reference"] for i in issues] == ["schema-version-deprecated"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_malformed_json_is_a_json_issue_not_an_error_status(client, prefix):
    r = client.post(
        f"{prefix}/validate", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 200
    result = r.json()
    assert result["valid"] is False
    assert result["issues"][0]["type"] == "json"


def test_a_refused_publish_is_422_so_publishers_ask_validate(client, token):
    from tests.conftest import auth

    r = client.post(
        "/v0/publish",
        json=server_json(version="latest"),
        headers=auth(token("publish:*")),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["location"] == "body.version"
