"""Package checks fetch only from public addresses, except from the package registries the
operator configured with a fixed host; and no redirect leads from a public address to a
private one. 127.0.0.2 is "public" here only through MCP_REGISTRY_OUTBOUND_PUBLIC_NETWORKS
(``public_networks``); the same fetches without it show the loopback case."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest

from registrum.core.errors import PackageOwnershipError, UpstreamUnavailableError
from registrum.core.permissions import Action, Permission, Principal
from tests.conftest import auth
from tests.factories import server_json
from tests.fakes.hostile import HostileServer, redirect_to
from tests.fakes.npm import FakeNpm
from tests.functional.test_package_checks import app_on, make_settings, pkg
from tests.integration.verifiers.conftest import NAME, MakeVerifier, package, refusal

IDENT = "@example/weather-mcp"
PUBLIC_2 = (ipaddress.ip_network("127.0.0.2/32"),)


@pytest.fixture
def npm() -> Iterator[FakeNpm]:
    with FakeNpm() as fake:
        fake.add(IDENT, "1.2.0", mcp_name=NAME)
        yield fake


def test_a_public_registry_redirecting_to_a_private_address_is_refused(
    npm: FakeNpm, make_verifier: MakeVerifier
) -> None:
    with HostileServer("127.0.0.2", redirect_to(npm.url)) as registry:
        verifier = make_verifier("npm", registry.url, public_networks=PUBLIC_2)
        err = refusal(verifier, package("npm", IDENT, "1.2.0"))
        assert isinstance(err, PackageOwnershipError)
        assert "after a redirect from a public address" in err.detail
        assert "127.0.0.1, a loopback address: the address is not allowed" in err.detail
        assert registry.paths  # the registry was asked, the redirect target never was
        assert npm.faults.paths() == []
        # Control: the operator's own (loopback) registry may redirect within loopback.
        make_verifier("npm", registry.url).verify(package("npm", IDENT, "1.2.0"), NAME)
        assert npm.faults.paths()


def test_a_host_picked_through_a_wildcard_entry_must_be_public(
    make_verifier: MakeVerifier,
) -> None:
    # "*.0.0.1" lets a document name any host under it, 127.0.0.1 among them.
    url = "https://127.0.0.1/mcp/weather.mcpb"
    verifier = make_verifier("mcpb", "*.0.0.1")
    err = refusal(verifier, package("mcpb", url, fileSha256="0" * 64))
    assert isinstance(err, PackageOwnershipError)
    assert "127.0.0.1, a loopback address: the address is not allowed" in err.detail
    assert "MCP_REGISTRY_VERIFY_ALLOW_PRIVATE=true" in err.detail
    # With the opt-out the fetch is attempted (and finds nothing listening on 443).
    verifier = make_verifier("mcpb", "*.0.0.1", allow_private=True)
    err = refusal(verifier, package("mcpb", url, fileSha256="0" * 64))
    assert isinstance(err, UpstreamUnavailableError)


def test_publish_answers_400_naming_the_package_and_the_refused_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, {"mcpb": "*.0.0.1"})
    url = "https://127.0.0.1/mcp/weather.mcpb"
    with app_on(settings) as (registry, api):
        jwt, _ = registry.context.tokens.issue(
            Principal("test", "alice", (Permission(Action.PUBLISH, "io.github.alice/*"),))
        )
        doc = server_json(NAME, packages=[pkg("mcpb", url, version=None, fileSha256="0" * 64)])
        r = api.post("/v0.1/publish", json=doc, headers=auth(jwt))
    assert r.status_code == 400, r.text
    problem = r.json()
    assert "package 0" in problem["detail"]
    assert "127.0.0.1, a loopback address: the address is not allowed" in problem["detail"]
    assert [e["location"] for e in problem["errors"]] == ["body.packages[0]"]
