"""CORS as GitHub documents it for an enterprise MCP registry its editors point at: every read
of both prefixes answers with the three headers, whoever answers it (a route, the response
cache, a 304, the fast list path, a redirect, a problem), and a preflight is answered without
credentials. MCP_REGISTRY_CORS_ALLOWED_ORIGINS restricts the origins or turns CORS off.
On both backends."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.server.settings import Settings, SettingsError, load
from registrum.server.wiring import Registry, build
from tests.conftest import TokenFactory, auth
from tests.factories import PREFIXES, enc, server_json

NAME = "io.github.alice/weather"
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, OPTIONS",
    "access-control-allow-headers": "Authorization, Content-Type",
}
ORIGIN = "https://github.com"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization",
}


def assert_cors(r: Any, case: str = "") -> None:
    """Exactly the documented headers, each once (a repeated header would read as a list)."""
    for name, value in CORS.items():
        assert r.headers.get(name) == value, (case, r.status_code, name, dict(r.headers))


def assert_no_cors(r: Any, case: str = "") -> None:
    present = [h for h in r.headers if h.lower().startswith("access-control-")]
    assert not present, (case, r.status_code, dict(r.headers))


@pytest.fixture
def server_id(publish: Any) -> str:
    r = publish(server_json(NAME, "1.0.0"))
    assert r.status_code == 200, r.text
    assert publish(server_json(NAME, "1.1.0")).status_code == 200
    return str(r.json()["_meta"]["io.registrum/registry"]["serverId"])


def read_paths(prefix: str, server_id: str) -> list[str]:
    return [
        f"{prefix}/servers",
        f"{prefix}/servers?version=latest&limit=5",
        f"{prefix}/servers?search=weather&updated_since=2020-01-01T00:00:00Z",
        f"{prefix}/servers/{enc(NAME)}/versions",
        f"{prefix}/servers/{enc(NAME)}/versions/latest",
        f"{prefix}/servers/{enc(NAME)}/versions/1.0.0",
        f"{prefix}/x/io.registrum/changes?since=0",
        f"{prefix}/x/io.registrum/servers/{server_id}",
        f"{prefix}/x/io.registrum/servers/{server_id}/versions",
        f"{prefix}/health",
        f"{prefix}/ping",
        f"{prefix}/version",
    ]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_read_carries_the_headers(client: TestClient, server_id: str, prefix: str) -> None:
    for path in read_paths(prefix, server_id):
        r = client.get(path, headers={"Origin": ORIGIN})
        assert r.status_code == 200, (path, r.text)
        assert_cors(r, path)
        # Without an Origin (curl, a mirror) the answer is the same.
        assert_cors(client.get(path), path)


def test_reads_need_no_credentials(client: TestClient, server_id: str) -> None:
    # Copilot's CLI reads the latest version with no Authorization header at all.
    for prefix in PREFIXES:
        r = client.get(f"{prefix}/servers/{enc(NAME)}/versions/latest")
        assert r.status_code == 200, r.text
        assert r.json()["server"]["version"] == "1.1.0"
        assert_cors(r)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_cached_repeats_and_304s_carry_the_headers(
    client: TestClient, server_id: str, prefix: str
) -> None:
    for path in read_paths(prefix, server_id)[:9]:  # the paths the response cache answers
        first = client.get(path)
        repeat = client.get(path)
        assert repeat.content == first.content
        assert repeat.headers["etag"] == first.headers["etag"]
        assert_cors(repeat, path)
        not_modified = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert not_modified.status_code == 304, path
        assert not_modified.content == b""
        assert_cors(not_modified, path)


def test_the_fast_list_path_carries_the_headers(registry: Registry, server_id: str) -> None:
    # No response cache, so the list call is answered by the fast path (api/fastpath.py),
    # or, with fast paths off, by the route: both with the headers.
    ctx = dataclasses.replace(registry.context, response_cache_bytes=0)
    for fast_paths in (True, False):
        with TestClient(create_app(ctx, fast_paths=fast_paths)) as client:
            for prefix in PREFIXES:
                r = client.get(f"{prefix}/servers?limit=1&version=latest")
                assert r.status_code == 200, r.text
                assert r.json()["servers"][0]["server"]["name"] == NAME
                assert_cors(r, f"fast_paths={fast_paths}")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_problems_and_redirects_carry_the_headers(
    client: TestClient, server_id: str, token: TokenFactory, prefix: str
) -> None:
    problems = {
        f"{prefix}/servers/{enc('io.github.alice/nothing')}/versions/latest": 404,
        f"{prefix}/servers/{enc(NAME)}/versions/9.9.9": 404,
        f"{prefix}/x/io.registrum/servers/no-such-id": 404,
        f"{prefix}/no-such-route": 404,
        f"{prefix}/servers?limit=0": 422,
        f"{prefix}/x/io.registrum/changes?since=9223372036854775808": 422,
        f"{prefix}/servers?updated_since=yesterday": 400,
    }
    for path, status in problems.items():
        r = client.get(path, headers={"Origin": ORIGIN})
        assert r.status_code == status, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert_cors(r, path)
    renamed = client.post(
        f"{prefix}/x/io.registrum/servers/{enc(NAME)}/rename",
        json={"newName": "io.github.alice/forecast"},
        headers=auth(token("publish:io.github.alice/*")),
    )
    assert renamed.status_code == 200, renamed.text
    moved = client.get(f"{prefix}/servers/{enc(NAME)}/versions/latest", follow_redirects=False)
    assert moved.status_code == 308
    assert_cors(moved, "308")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_preflight_is_answered_without_credentials(
    client: TestClient, server_id: str, prefix: str
) -> None:
    paths = [
        *read_paths(prefix, server_id),
        f"{prefix}/servers/{enc('io.github.nobody/nothing')}/versions/latest",
        # A preflight never reaches a route: not even a secured one asks for credentials.
        f"{prefix}/publish",
        f"{prefix}/servers/{enc(NAME)}/versions/1.0.0/status",
    ]
    for path in paths:
        r = client.options(path, headers=PREFLIGHT)
        assert r.status_code in (200, 204), (path, r.status_code, r.text)
        assert r.content == b"", path
        assert_cors(r, path)


def test_writes_are_left_to_the_routes(client: TestClient, token: TokenFactory) -> None:
    # The preflight allows GET only; a write's answer carries no CORS headers.
    r = client.post(
        "/v0.1/publish",
        json=server_json(NAME),
        headers={**auth(token("publish:*")), "Origin": ORIGIN},
    )
    assert r.status_code == 200, r.text
    assert_no_cors(r, "publish")
    assert_no_cors(client.post("/v0.1/publish", json={}), "401")


def restricted_client(registry: Registry, origins: tuple[str, ...]) -> TestClient:
    return TestClient(create_app(dataclasses.replace(registry.context, cors_origins=origins)))


def test_restricted_origins_are_echoed_and_vary(registry: Registry, server_id: str) -> None:
    allowed = ("https://tools.example.com", "vscode-file://vscode-app")
    with restricted_client(registry, allowed) as client:
        path = f"/v0.1/servers/{enc(NAME)}/versions/latest"
        # Each origin its own answer, even when the response cache answers the repeat.
        for _ in range(2):
            for origin in (*allowed, "HTTPS://TOOLS.EXAMPLE.COM"):
                r = client.get(path, headers={"Origin": origin})
                assert r.status_code == 200
                assert r.headers["access-control-allow-origin"] == origin
                assert r.headers["access-control-allow-methods"] == "GET, OPTIONS"
                assert r.headers["access-control-allow-headers"] == "Authorization, Content-Type"
                assert r.headers["vary"] == "Origin"
            for headers in ({"Origin": "https://evil.example"}, {}):
                r = client.get(path, headers=headers)
                assert r.status_code == 200  # the read itself is still answered
                assert "access-control-allow-origin" not in r.headers, headers
                assert r.headers["vary"] == "Origin"
        etag = client.get(path).headers["etag"]
        r = client.get(path, headers={"Origin": allowed[0], "If-None-Match": etag})
        assert r.status_code == 304
        assert r.headers["access-control-allow-origin"] == allowed[0]
        preflight = client.options(path, headers={**PREFLIGHT, "Origin": allowed[1]})
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == allowed[1]
        refused = client.options(path, headers={**PREFLIGHT, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in refused.headers
        assert refused.headers["vary"] == "Origin"


def test_an_empty_setting_turns_cors_off(settings: Settings, publish: Any) -> None:
    reg = build(settings.model_copy(update={"cors_allowed_origins": ""}))
    try:
        assert reg.context.cors_origins == ()
        with TestClient(create_app(reg.context), raise_server_exceptions=False) as client:
            r = client.get("/v0.1/servers", headers={"Origin": ORIGIN})
            assert r.status_code == 200
            assert_no_cors(r)
            assert client.options("/v0.1/servers", headers=PREFLIGHT).status_code == 405
    finally:
        reg.close()


@pytest.fixture
def wired(settings: Settings) -> Iterator[TestClient]:
    """A registry whose origins come from the setting, through wiring."""
    reg = build(
        settings.model_copy(
            update={"cors_allowed_origins": " https://tools.example.com ,https://b.example:8443"}
        )
    )
    with TestClient(create_app(reg.context)) as client:
        yield client
    reg.close()


def test_the_setting_reaches_the_api(wired: TestClient) -> None:
    for origin in ("https://tools.example.com", "https://b.example:8443"):
        r = wired.get("/v0/ping", headers={"Origin": origin})
        assert r.headers["access-control-allow-origin"] == origin
    other = wired.get("/v0/ping", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in other.headers


def test_the_setting_is_parsed() -> None:
    assert Settings().cors_origins == ("*",)
    assert Settings(cors_allowed_origins=" * ").cors_origins == ("*",)
    assert Settings(cors_allowed_origins="").cors_origins == ()
    assert Settings(
        cors_allowed_origins="https://a.example, http://b.example:81,"
    ).cors_origins == (
        "https://a.example",
        "http://b.example:81",
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("https://a.example/", "trailing '/'"),
        ("https://a.example/path", "not an origin"),
        ("a.example", "not an origin"),
        ("*, https://a.example", "alone"),
        ("https://*.example.com", "not an origin"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_it(value: str, says: str) -> None:
    with pytest.raises(SettingsError) as info:
        load(cors_allowed_origins=value)
    assert "MCP_REGISTRY_CORS_ALLOWED_ORIGINS" in str(info.value)
    assert says in str(info.value)


def test_even_an_unexpected_error_carries_the_headers(sqlite_registry: Registry) -> None:
    # A real fault, not a simulated one: the versions table is gone from under the registry.
    with TestClient(create_app(sqlite_registry.context), raise_server_exceptions=False) as client:
        with sqlite_registry.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE server_versions")
        r = client.get("/v0.1/servers", headers={"Origin": ORIGIN})
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/problem+json"
        assert_cors(r, "500")
