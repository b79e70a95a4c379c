"""Schemathesis on Registrum's own OpenAPI document: every operation of both prefixes, with
data that fits the document (positive) and data that breaks it (negative), sent in-process to
a registry on a fresh database of each backend. No answer may be a 5xx.

The token sent is an admin's (``publish`` and ``edit`` on everything), on every request, so
the secured operations are exercised past the 401 (checked: none answers 401); the logins ask
loopback fakes (GitHub, an OIDC issuer, dnsmasq, an HTTPS site), so nothing leaves the machine.

Every check runs (``not_a_server_error`` first of all; the response bodies and headers must
match the document, credentials must not be ignored, ...) but four, which judge choices the
registry makes on purpose, as the official registry does:

- ``status_code_conformance``: an operation may answer a status its entry does not list, such
  as 400 for a malformed ``updated_since`` or a control character in a path segment;
- ``content_type_conformance``: a problem is ``application/problem+json`` on operations whose
  entry lists only the JSON of a success (the change feed, the policy explanation);
- ``positive_data_acceptance``: input the schema allows may break a rule it cannot state (a
  ``null`` member, an empty ``newName``, a ``statusMessage`` with status ``active``);
- ``negative_data_rejection``: ``/validate`` answers 200 with ``valid: false`` for any body,
  even none, and an unknown query parameter is ignored rather than refused.

Generation is derandomized (a fixed seed, ``deterministic``) so that every run sends the same
requests and CI is not flaky; the bound on examples per operation keeps the run to about a
minute of CPU per backend (under a minute of wall time on two cores for both).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from registrum.api.app import create_app
from registrum.core.permissions import Action, Permission, Principal
from registrum.server.settings import Settings
from registrum.server.wiring import build
from tests.conftest import BACKENDS, TEST_SEED, auth, throwaway_postgres
from tests.factories import npm_package, remote, server_json
from tests.fakes.dns import FakeDns
from tests.fakes.github import FakeGitHub
from tests.fakes.https import FakeHttps
from tests.fakes.oidc import FakeOIDCIssuer

# Examples per operation and phase: enough to reach every parameter and body member of each
# operation with valid and invalid values, few enough to keep the run short.
MAX_EXAMPLES = 20
SEED = 20_240_612


def _settings(tmp: Path, database_url: str, **logins: Any) -> Settings:
    """A registry with every login method on; ``logins`` say where each one asks."""
    return Settings(
        data_dir=tmp / "data",
        database_url=database_url,
        jwt_private_key=TEST_SEED,
        enable_anonymous_auth=True,
        enable_registry_validation=False,
        github_oidc_audience="https://registry.example",
        oidc_enabled=True,
        oidc_client_id="operators",
        oidc_edit_permissions="*",
        http_auth_allow_private=True,
        # The examples share one app and call the logins far more often than a client
        # would; the login limit has its own tests (tests/functional/test_rate_limits.py).
        rate_limit_auth="",
        **logins,
    )


def _document() -> dict[str, Any]:
    """The OpenAPI document, read when the module is collected: schemathesis makes one test
    per operation from it (so pytest-xdist spreads them over the cores). The registry under
    test must serve the same document (checked in ``api``)."""
    with tempfile.TemporaryDirectory() as folder:
        issuer = "https://issuer.example"
        registry = build(
            _settings(
                Path(folder),
                f"sqlite:///{Path(folder) / 'registry.db'}",
                github_oidc_issuer=issuer,
                oidc_issuer=issuer,
            )
        )
        try:
            return create_app(registry.context).openapi()
        finally:
            registry.close()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # positive and negative
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",  # no example database written into the working tree
                # Our admin token on every request, not generated credentials: bad
                # credentials have their own tests (tests/functional/test_robustness.py).
                "with-security-parameters": False,
            },
            "checks": {
                "enabled": True,
                # Each of these judges a choice the registry makes on purpose (see above).
                "status_code_conformance": {"enabled": False},
                "content_type_conformance": {"enabled": False},
                "positive_data_acceptance": {"enabled": False},
                "negative_data_rejection": {"enabled": False},
            },
        }
    ),
)

# The exchanges whose 401 is their answer to a proof that does not hold.
LOGINS = frozenset(op["operationId"] for p in DOCUMENT["paths"].values() for op in p.values())
LOGINS = frozenset(o for o in LOGINS if o.startswith(("exchange-", "get-anonymous-token")))


@dataclass(frozen=True)
class Api:
    app: Any
    headers: dict[str, str]


def _seed(app: Any, headers: dict[str, str]) -> None:
    """A few real servers, so that reads, edits and status changes find something to act on."""
    docs = [
        server_json("io.github.alice/weather", "1.0.0", remotes=[remote()]),
        server_json("io.github.alice/weather", "1.1.0+build.1", remotes=[remote()]),
        server_json("io.github.bob/tides", "2.0.0", packages=[npm_package()]),
    ]
    with TestClient(app, raise_server_exceptions=False) as client:
        for doc in docs:
            r = client.post("/v0.1/publish", json=doc, headers=headers)
            assert r.status_code == 200, r.text


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp: Path = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    with (
        FakeGitHub() as github,
        FakeOIDCIssuer() as issuer,
        FakeDns(tmp) as dns,
        FakeHttps(tmp) as site,
    ):
        # Every name is local to the fake resolver: a domain without a record is NXDOMAIN.
        dns.serve({}, local_domains=["#"])
        databases = (
            iter([f"sqlite:///{tmp / 'registry.db'}"])
            if request.param == "sqlite"
            else throwaway_postgres("schemathesis")
        )
        for database_url in databases:
            registry = build(
                _settings(
                    tmp,
                    database_url,
                    github_api_url=github.url,
                    github_oidc_issuer=issuer.url,
                    oidc_issuer=issuer.url,
                    dns_resolver=dns.address,
                    http_auth_url_template=site.url_template,
                    http_auth_ca_bundle=str(site.ca_file),
                )
            )
            try:
                admin = (Permission(Action.PUBLISH, "*"), Permission(Action.EDIT, "*"))
                jwt, _ = registry.context.tokens.issue(Principal("test", "admin", admin))
                app = create_app(registry.context)
                assert app.openapi() == DOCUMENT
                _seed(app, auth(jwt))
                yield Api(app, auth(jwt))
            finally:
                registry.close()


@schema.parametrize()
@settings(
    deadline=None,
    # The registry is a module fixture shared by the examples on purpose (they build on
    # what earlier ones published); generation is slow for the large server.json schema.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_no_operation_answers_a_server_error(case: Any, api: Api) -> None:
    response = case.call_and_validate(app=api.app, headers=api.headers)
    if case.operation.definition.raw.get("operationId") not in LOGINS:
        assert response.status_code != 401, f"the admin token was refused: {response.text}"
