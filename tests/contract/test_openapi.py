"""Our API against the reference OpenAPI document (../shared/reference/openapi.yaml).

Every path and method the reference lists is served under /v0.1 and /v0, is listed in our own
/openapi.json, and answers with bodies that validate against the reference's component schemas.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import REFERENCE, auth
from tests.contract.reference import (
    OFFICIAL_META,
    PREFIXES,
    PUBLISHER_META,
    REFERENCE_PREFIX,
    check_ok,
    check_problem,
    component,
    openapi,
    openapi_operations,
    params,
)
from tests.factories import npm_package, remote, server_json

OPERATIONS = params(openapi_operations(), REFERENCE, width=2)

NAME = "io.github.alice/weather"
OTHER = "io.github.bob/tides"


def seg(value: str) -> str:
    return quote(value, safe="")


def ours(path: str, prefix: str) -> str:
    """The reference path (written under /v0.1) under ``prefix``."""
    assert path.startswith(f"{REFERENCE_PREFIX}/"), path
    return prefix + path.removeprefix(REFERENCE_PREFIX)


def fill(path: str, name: str, version: str) -> str:
    return path.replace("{serverName}", seg(name)).replace("{version}", seg(version))


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def world(publish):
    """alice/weather 1.0.0, 1.1.0 and 1.1.0-beta (published last; latest stays 1.1.0), and
    bob/tides 0.1.0."""
    docs = [
        server_json(name=NAME, version="1.0.0", packages=[npm_package()]),
        server_json(name=NAME, version="1.1.0", remotes=[remote()]),
        server_json(name=NAME, version="1.1.0-beta", title="Weather"),
        server_json(name=OTHER, version="0.1.0", description="Tide tables for the coast."),
    ]
    for doc in docs:
        r = publish(doc)
        assert r.status_code == 200, r.text
    return docs


@pytest.fixture
def admin(token):
    return auth(token("publish:*", "edit:*"))


# --- every reference operation is documented and served on both prefixes ------------------------


def test_reference_is_written_under_v0_1():
    paths = openapi()["paths"]
    assert paths
    assert all(p.startswith(f"{REFERENCE_PREFIX}/") for p in paths), list(paths)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_operation_is_in_our_openapi(client, path, method, prefix):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    documented = r.json()["paths"]
    mine = ours(path, prefix)
    assert mine in documented, f"{mine} is not in /openapi.json"
    assert method in documented[mine], f"{method.upper()} {mine} is not in /openapi.json"


def _request_body(path: str, method: str, name: str, version: str) -> Any:
    """A valid body for the operation, chosen by the schema the reference declares for it."""
    request = openapi()["paths"][path][method].get("requestBody")
    if request is None:
        return None
    ref = request["content"]["application/json"]["schema"]["$ref"]
    kind = ref.rsplit("/", 1)[-1]
    if kind == "ServerDetail":
        return server_json(name=name, version=version, description="Edited or new.")
    if kind == "StatusUpdateRequest":
        return {"status": "deprecated", "statusMessage": "Superseded by 2.0.0"}
    raise AssertionError(f"no test body for request schema {kind}")


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_operation_is_served_and_answers_per_the_reference(
    client, world, admin, path, method, prefix
):
    existing = "{version}" in path or method != "post"
    version = "1.0.0" if existing else "3.0.0"
    url = fill(ours(path, prefix), NAME, version)
    op = openapi()["paths"][path][method]
    headers = admin if op.get("security") else {}
    body = _request_body(path, method, NAME, version)
    r = client.request(method.upper(), url, json=body, headers=headers)
    assert r.status_code not in (404, 405), f"{method.upper()} {url} is not routed: {r.text}"
    check_ok(r, path, method)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_operation_on_an_unknown_server_is_a_problem_not_a_missing_route(
    client, admin, path, method, prefix
):
    url = fill(ours(path, prefix), "io.github.nobody/nothing", "9.9.9")
    body = _request_body(path, method, "io.github.nobody/nothing", "9.9.9")
    r = client.request(method.upper(), url, json=body, headers=admin)
    if "{serverName}" not in path:  # the list, and publish (which creates it)
        check_ok(r, path, method)
        return
    problem = check_problem(r, 404)
    assert not problem["detail"].startswith("no route"), problem


# --- responses validate against the reference component schemas ---------------------------------

LIST = f"{REFERENCE_PREFIX}/servers"
VERSIONS = f"{REFERENCE_PREFIX}/servers/{{serverName}}/versions"
VERSION = f"{REFERENCE_PREFIX}/servers/{{serverName}}/versions/{{version}}"
VERSION_STATUS = f"{REFERENCE_PREFIX}/servers/{{serverName}}/versions/{{version}}/status"
ALL_STATUS = f"{REFERENCE_PREFIX}/servers/{{serverName}}/status"
PUBLISH = f"{REFERENCE_PREFIX}/publish"


def _names_versions(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["server"]["name"], s["server"]["version"]) for s in body["servers"]]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_list_variants(client, world, prefix):
    url = ours(LIST, prefix)
    everything = {(d["name"], d["version"]) for d in world}

    body = check_ok(client.get(url), LIST, "get")
    assert set(_names_versions(body)) == everything
    assert body["metadata"]["count"] == len(everything)

    latest = check_ok(client.get(url, params={"version": "latest"}), LIST, "get")
    assert set(_names_versions(latest)) == {(NAME, "1.1.0"), (OTHER, "0.1.0")}
    assert all(s["_meta"][OFFICIAL_META]["isLatest"] for s in latest["servers"])

    exact = check_ok(client.get(url, params={"version": "1.0.0"}), LIST, "get")
    assert _names_versions(exact) == [(NAME, "1.0.0")]

    search = check_ok(client.get(url, params={"search": "TIDES"}), LIST, "get")
    assert _names_versions(search) == [(OTHER, "0.1.0")]

    both = check_ok(client.get(url, params={"search": "weather", "version": "latest"}), LIST, "get")
    assert _names_versions(both) == [(NAME, "1.1.0")]

    since = check_ok(client.get(url, params={"updated_since": "2000-01-01T00:00:00Z"}), LIST, "get")
    assert set(_names_versions(since)) == everything

    empty = check_ok(client.get(url, params={"search": "no-such-server"}), LIST, "get")
    assert empty["servers"] == []
    assert empty["metadata"]["count"] == 0


@pytest.mark.parametrize("prefix", PREFIXES)
def test_list_cursor_paging(client, world, prefix):
    url = ours(LIST, prefix)
    seen: list[tuple[str, str]] = []
    cursor = None
    pages = 0
    while True:
        query: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            query["cursor"] = cursor
        body = check_ok(client.get(url, params=query), LIST, "get")
        pages += 1
        assert len(body["servers"]) <= 2
        assert body["metadata"]["count"] == len(body["servers"])
        seen += _names_versions(body)
        cursor = body["metadata"].get("nextCursor")
        if not cursor:
            break
        assert pages < 10, "paging does not end"
    assert pages >= 2
    assert len(seen) == len(set(seen))
    assert set(seen) == {(d["name"], d["version"]) for d in world}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_versions_version_and_latest(client, world, prefix):
    versions_url = fill(ours(VERSIONS, prefix), NAME, "")
    body = check_ok(client.get(versions_url), VERSIONS, "get")
    assert {v for _, v in _names_versions(body)} == {"1.0.0", "1.1.0", "1.1.0-beta"}
    assert body["metadata"]["count"] == 3
    assert not body["metadata"].get("nextCursor")

    one = check_ok(client.get(fill(ours(VERSION, prefix), NAME, "1.0.0")), VERSION, "get")
    assert one["server"] == next(d for d in world if d["version"] == "1.0.0")
    assert one["_meta"][OFFICIAL_META]["isLatest"] is False

    latest = check_ok(client.get(fill(ours(VERSION, prefix), NAME, "latest")), VERSION, "get")
    assert latest["server"]["version"] == "1.1.0"
    assert latest["_meta"][OFFICIAL_META]["isLatest"] is True


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_with_an_edit_token(client, world, token, prefix):
    url = fill(ours(VERSION, prefix), NAME, "1.1.0")
    edited = {**next(d for d in world if d["version"] == "1.1.0"), "title": "Weather, edited"}
    r = client.put(url, json=edited, headers=auth(token("edit:*")))
    body = check_ok(r, VERSION, "put")
    assert body["server"] == edited
    meta = body["_meta"][OFFICIAL_META]
    assert meta["updatedAt"] >= meta["publishedAt"]
    again = check_ok(client.get(url), VERSION, "get")
    assert again["server"] == edited

    denied = client.put(url, json=edited, headers=auth(token(f"publish:{NAME}")))
    check_problem(denied, 403)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_version_status(client, world, token, prefix):
    url = fill(ours(VERSION_STATUS, prefix), NAME, "1.0.0")
    jwt = auth(token(f"publish:{NAME}"))
    body = {"status": "deprecated", "statusMessage": "Use 1.1.0"}
    changed = check_ok(client.patch(url, json=body, headers=jwt), VERSION_STATUS, "patch")
    meta = changed["_meta"][OFFICIAL_META]
    assert (meta["status"], meta["statusMessage"]) == ("deprecated", "Use 1.1.0")

    same = client.patch(url, json=body, headers=jwt)
    check_problem(same, 400)
    bad = client.patch(url, json={"status": "gone"}, headers=jwt)
    assert bad.status_code in (400, 422)
    check_problem(bad, bad.status_code)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_all_versions_status(client, world, token, prefix):
    url = fill(ours(ALL_STATUS, prefix), NAME, "")
    jwt = auth(token(f"publish:{NAME}"))
    r = client.patch(url, json={"status": "deprecated", "statusMessage": "Moved"}, headers=jwt)
    body = check_ok(r, ALL_STATUS, "patch")
    assert body["updatedCount"] == 3
    assert {s["server"]["version"] for s in body["servers"]} == {"1.0.0", "1.1.0", "1.1.0-beta"}
    for item in body["servers"]:
        assert item["_meta"][OFFICIAL_META]["status"] == "deprecated"

    # Reference schema: AllVersionsStatusResponse, with updatedCount an integer.
    assert component("AllVersionsStatusResponse")["properties"]["updatedCount"]["type"] == (
        "integer"
    )
    check_problem(
        client.patch(url, json={"status": "deprecated", "statusMessage": "Moved"}, headers=jwt), 400
    )


@pytest.mark.parametrize("prefix", PREFIXES)
def test_publish_keeps_only_publisher_provided_meta(client, token, prefix):
    provided = {"tool": "publisher-cli", "buildInfo": {"commit": "abc123"}}
    doc = server_json(
        name="com.example/demo-server",
        _meta={PUBLISHER_META: provided, "com.example": {"category": ["dev"]}},
    )
    r = client.post(ours(PUBLISH, prefix), json=doc, headers=auth(token("publish:com.example/*")))
    body = check_ok(r, PUBLISH, "post")
    assert body["server"]["_meta"] == {PUBLISHER_META: provided}
    assert body["_meta"][OFFICIAL_META]["status"] == "active"
    assert body["_meta"][OFFICIAL_META]["isLatest"] is True


@pytest.mark.parametrize("prefix", PREFIXES)
def test_delete(client, world, token, prefix):
    url = fill(ours(VERSION, prefix), NAME, "1.1.0")
    r = client.delete(url, headers=auth(token(f"publish:{NAME}")))
    body = check_ok(r, VERSION, "delete")
    assert body["_meta"][OFFICIAL_META]["status"] == "deleted"
    check_problem(client.get(url), 404)
    hidden = check_ok(client.get(url, params={"include_deleted": "true"}), VERSION, "get")
    assert hidden["_meta"][OFFICIAL_META]["status"] == "deleted"
    listed = check_ok(client.get(ours(LIST, prefix)), LIST, "get")
    assert (NAME, "1.1.0") not in _names_versions(listed)
    with_deleted = check_ok(
        client.get(ours(LIST, prefix), params={"include_deleted": "true"}), LIST, "get"
    )
    assert (NAME, "1.1.0") in _names_versions(with_deleted)


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_errors_are_problem_json(client, world, token, prefix):
    check_problem(client.get(fill(ours(VERSION, prefix), NAME, "9.9.9")), 404)
    check_problem(client.get(fill(ours(VERSIONS, prefix), "io.github.x/none", "")), 404)
    doc = server_json(name=NAME, version="3.0.0")
    check_problem(client.post(ours(PUBLISH, prefix), json=doc), 401)
    check_problem(client.post(ours(PUBLISH, prefix), json=doc, headers=auth("not-a-token")), 401)
    check_problem(
        client.post(ours(PUBLISH, prefix), json=doc, headers=auth(token("publish:io.github.x/*"))),
        403,
    )
    bad = client.post(
        ours(PUBLISH, prefix),
        json={**doc, "version": "latest"},
        headers=auth(token(f"publish:{NAME}")),
    )
    problem = check_problem(bad, 422)
    assert "body.version" in {e["location"] for e in problem["errors"]}
    dup = client.post(
        ours(PUBLISH, prefix),
        json=server_json(name=NAME, version="1.0.0"),
        headers=auth(token(f"publish:{NAME}")),
    )
    check_problem(dup, 400)
    too_many = client.get(ours(LIST, prefix), params={"limit": 101})
    check_problem(too_many, 422)
