"""The exact requests VS Code's MCP gallery sends, built the way it builds them
(``encodeURIComponent`` on every path segment and query value), checked against the
reference OpenAPI document's schemas."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.contract.reference import OFFICIAL_META, REFERENCE_PREFIX, check_ok
from tests.factories import npm_package, server_json

LIST = f"{REFERENCE_PREFIX}/servers"
VERSION = f"{REFERENCE_PREFIX}/servers/{{serverName}}/versions/{{version}}"

SEARCH = "gallery-probe"
MATCHING = 53  # more than one page of 50
BUILD_NAME = "io.github.carol/gallery-probe-build"
BUILD_VERSION = "1.0.0+build.5"


def encode_uri_component(value: str) -> str:
    """JavaScript's ``encodeURIComponent``."""
    return quote(value, safe="!~*'()")


@pytest.fixture
def gallery(registry, publish):
    """MATCHING servers whose names contain SEARCH, each with an old and a latest version,
    some that do not match, and one version with semver build metadata."""
    items: list[dict[str, Any]] = []
    for i in range(MATCHING):
        name = f"io.github.user{i:02d}/{SEARCH}-{i:02d}"
        items.append(server_json(name=name, version="0.9.0"))
        items.append(server_json(name=name, version="1.0.0", packages=[npm_package()]))
    for i in range(5):
        items.append(server_json(name=f"io.github.other/unrelated-{i}", version="1.0.0"))
    result = registry.context.importer.import_items(items)
    assert (result.added, result.rejected) == (len(items), [])
    r = publish(server_json(name=BUILD_NAME, version=BUILD_VERSION))
    assert r.status_code == 200, r.text
    expected = {f"io.github.user{i:02d}/{SEARCH}-{i:02d}" for i in range(MATCHING)}
    return expected | {BUILD_NAME}


def test_first_probe_limit_1(client, gallery):
    r = client.get(f"{REFERENCE_PREFIX}/servers?limit=1")
    body = check_ok(r, LIST, "get")
    assert len(body["servers"]) == 1
    assert body["metadata"]["count"] == 1
    assert body["metadata"]["nextCursor"], "more servers exist, so a cursor is expected"


def test_gallery_paging_with_search_and_latest(client, gallery):
    names: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        url = f"{REFERENCE_PREFIX}/servers?limit=50&version=latest"
        if cursor is not None:
            url += f"&cursor={encode_uri_component(cursor)}"
        url += f"&search={encode_uri_component(SEARCH)}"
        body = check_ok(client.get(url), LIST, "get")
        pages += 1
        assert len(body["servers"]) <= 50
        for item in body["servers"]:
            assert item["_meta"][OFFICIAL_META]["isLatest"] is True
            assert SEARCH in item["server"]["name"]
        names += [item["server"]["name"] for item in body["servers"]]
        cursor = body["metadata"].get("nextCursor")
        if not cursor:
            break
        assert pages < 5, "paging does not end"
    assert pages >= 2
    assert len(names) == len(set(names))
    assert set(names) == gallery


def test_latest_version_of_a_server(client, gallery):
    name = f"io.github.user07/{SEARCH}-07"
    url = f"{REFERENCE_PREFIX}/servers/{encode_uri_component(name)}/versions/latest"
    assert "%2F" in url
    body = check_ok(client.get(url), VERSION, "get")
    assert body["server"]["name"] == name
    assert body["server"]["version"] == "1.0.0"
    assert body["_meta"][OFFICIAL_META]["isLatest"] is True


def test_specific_version_with_build_metadata(client, gallery):
    name = encode_uri_component(BUILD_NAME)
    version = encode_uri_component(BUILD_VERSION)
    assert "%2B" in version
    url = f"{REFERENCE_PREFIX}/servers/{name}/versions/{version}"
    body = check_ok(client.get(url), VERSION, "get")
    assert body["server"]["name"] == BUILD_NAME
    assert body["server"]["version"] == BUILD_VERSION
    # '+' is part of the version, not a separator: the bare core version is another version.
    other = client.get(f"{REFERENCE_PREFIX}/servers/{name}/versions/1.0.0")
    assert other.status_code == 404, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
