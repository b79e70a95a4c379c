"""Token exchange as a whole: enabled methods only, blocked namespaces refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.server.wiring import build
from tests.factories import PREFIXES


@pytest.fixture
def blocked_client(settings):
    reg = build(
        settings.model_copy(update={"blocked_namespaces": "io.modelcontextprotocol.anonymous"})
    )
    with TestClient(create_app(reg.context), raise_server_exceptions=False) as c:
        yield c
    reg.close()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_blocked_namespace_gets_no_token(blocked_client, prefix):
    r = blocked_client.post(f"{prefix}/auth/none")
    assert r.status_code == 403
    assert "blocked" in r.json()["detail"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_only_enabled_methods_have_routes(client, prefix):
    assert client.post(f"{prefix}/auth/none").status_code == 200
    # github-oidc and oidc need settings of their own before they exist.
    for method in ("github-oidc", "oidc"):
        assert client.post(f"{prefix}/auth/{method}", json={}).status_code == 404
    # github-at, dns and http are on by default (MCP_REGISTRY_ENABLE_GITHUB_AUTH, _DNS_AUTH,
    # _HTTP_AUTH): an empty body is a malformed request, not a missing route.
    for method in ("github-at", "dns", "http"):
        assert client.post(f"{prefix}/auth/{method}", json={}).status_code == 400
