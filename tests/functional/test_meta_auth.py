"""Health, ping, version, anonymous tokens and the API docs, as the official registry serves
them under both prefixes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.core.permissions import Action, Permission
from registrum.server.wiring import build
from tests.conftest import auth
from tests.factories import ANON, PREFIXES, assert_problem, enc, server_json


@pytest.fixture
def other_app(settings, tmp_path) -> Callable[..., Any]:
    """A second registry and app built from the test settings with some of them changed."""

    @contextmanager
    def make(**changes: Any) -> Iterator[TestClient]:
        changed = settings.model_copy(
            update={"database_url": f"sqlite:///{tmp_path / 'other.db'}", **changes}
        )
        reg = build(changed)
        try:
            with TestClient(create_app(reg.context), raise_server_exceptions=False) as c:
                yield c
        finally:
            reg.close()

    return make


# --- health, ping, version --------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_health_without_github_client_id(client, prefix):
    r = client.get(f"{prefix}/health")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"status": "ok"}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_health_with_github_client_id(other_app, prefix):
    with other_app(github_client_id="Iv1.0123456789abcdef") as c:
        r = c.get(f"{prefix}/health")
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "github_client_id": "Iv1.0123456789abcdef"}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_ping(client, prefix):
    r = client.get(f"{prefix}/ping")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"pong": True}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_version_reports_build_information(client, settings, prefix):
    r = client.get(f"{prefix}/version")
    assert r.status_code == 200
    assert r.json() == {
        "version": settings.version,
        "git_commit": settings.git_commit,
        "build_time": settings.build_time,
    }


@pytest.mark.parametrize("prefix", PREFIXES)
def test_version_values_come_from_settings(other_app, prefix):
    build_info = {"version": "9.8.7", "git_commit": "abc1234", "build_time": "2026-01-02T03:04:05Z"}
    with other_app(**build_info) as c:
        assert c.get(f"{prefix}/version").json() == build_info


# --- anonymous tokens -------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_auth_none_gives_a_registry_token(client, registry, prefix):
    r = client.post(f"{prefix}/auth/none")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"registry_token", "expires_at"}
    assert isinstance(body["registry_token"], str)
    assert isinstance(body["expires_at"], int)
    # Five minutes, give or take the time the request took.
    remaining = body["expires_at"] - datetime.now(UTC).timestamp()
    assert 240 < remaining <= 301
    principal = registry.context.tokens.verify(body["registry_token"])
    assert principal.method == "none"
    assert principal.subject == "anonymous"
    assert principal.permissions == (Permission(Action.PUBLISH, f"{ANON}/*"),)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_anonymous_token_publishes_only_the_anonymous_namespace(client, prefix):
    jwt = client.post(f"{prefix}/auth/none").json()["registry_token"]
    r = client.post(
        f"{prefix}/publish", json=server_json(name=f"{ANON}/weather"), headers=auth(jwt)
    )
    assert r.status_code == 200, r.text
    for name in ("io.github.alice/weather", f"{ANON}x/weather", "io.modelcontextprotocol/x"):
        r = client.post(f"{prefix}/publish", json=server_json(name=name), headers=auth(jwt))
        assert_problem(r, 403, "You do not have permission to publish this server")
    # Publish only: no edit.
    r = client.put(
        f"{prefix}/servers/{enc(f'{ANON}/weather')}/versions/1.0.0",
        json=server_json(name=f"{ANON}/weather", description="Edited."),
        headers=auth(jwt),
    )
    assert_problem(r, 403, "You do not have edit permissions for this server")


_PROXIED = [
    {"X-Forwarded-For": "203.0.113.7"},
    {"Forwarded": "for=203.0.113.7;proto=https"},
    {"X-Real-IP": "203.0.113.7"},
    {"Via": "1.1 proxy.example.com"},
]


@pytest.mark.parametrize("headers", _PROXIED)
def test_default_anonymous_auth_refuses_requests_relayed_by_a_proxy(other_app, headers):
    # On by default (loopback, not set): a proxy on the same host would otherwise hand an
    # anonymous publishing token to anyone on the internet.
    with other_app(enable_anonymous_auth=None, server_address="127.0.0.1:8080") as c:
        r = c.post("/v0.1/auth/none", headers=headers)
        problem = assert_problem(r, 403)
        assert "came through a proxy" in problem["detail"]
        assert "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH=true" in problem["detail"]
        assert problem["errors"][0]["location"] == f"header.{next(iter(headers)).lower()}"
        # Straight from the loopback peer it still works.
        assert c.post("/v0.1/auth/none").status_code == 200


@pytest.mark.parametrize("headers", _PROXIED)
def test_explicitly_enabled_anonymous_auth_serves_proxied_requests(other_app, headers):
    with other_app(enable_anonymous_auth=True, server_address="127.0.0.1:8080") as c:
        r = c.post("/v0.1/auth/none", headers=headers)
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_auth_none_is_absent_when_anonymous_auth_is_disabled(other_app, prefix):
    with other_app(enable_anonymous_auth=False) as c:
        assert_problem(c.post(f"{prefix}/auth/none"), 404)
        # The rest of the API is still there.
        assert c.get(f"{prefix}/ping").json() == {"pong": True}


# --- docs -------------------------------------------------------------------------------------


def test_docs_page_is_served(client):
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in r.text


def test_openapi_document_lists_every_operation_under_both_prefixes(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    operations = {
        ("get", "/servers"): "list-servers",
        ("get", "/servers/{serverName}/versions"): "get-server-versions",
        ("get", "/servers/{serverName}/versions/{version}"): "get-server-version",
        ("put", "/servers/{serverName}/versions/{version}"): "update-server-version",
        (
            "patch",
            "/servers/{serverName}/versions/{version}/status",
        ): "update-server-version-status",
        ("patch", "/servers/{serverName}/status"): "update-server-status",
        ("post", "/publish"): "publish-server",
        ("post", "/auth/none"): "get-anonymous-token",
        ("get", "/health"): "get-health",
        ("get", "/ping"): "ping",
        ("get", "/version"): "get-version",
    }
    for prefix in PREFIXES:
        suffix = prefix.strip("/")
        for (method, path), operation_id in operations.items():
            assert f"{prefix}{path}" in paths, (prefix, path)
            assert paths[f"{prefix}{path}"][method]["operationId"] == f"{operation_id}-{suffix}"


def test_unknown_route_is_a_404_problem(client):
    assert_problem(client.get("/v0.1/nothing-here"), 404)
    assert_problem(client.get("/v2/servers"), 404)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_wrong_method_is_a_405_problem(client, prefix):
    assert_problem(client.get(f"{prefix}/publish"), 405)
    assert_problem(client.post(f"{prefix}/servers", json={}), 405)
