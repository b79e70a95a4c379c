"""Shared fixtures: a real registry on a real SQLite file, driven through its HTTP API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.core.permissions import Action, Permission, Principal
from registrum.server.settings import Settings
from registrum.server.wiring import Registry, build

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-server-json"

TEST_SEED = "11" * 32


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'registry.db'}",
        jwt_private_key=TEST_SEED,
        enable_anonymous_auth=True,
        # Documents here name packages nobody published; the ownership checks have their own
        # tests, against fake package registries (tests/functional/test_package_checks.py).
        enable_registry_validation=False,
    )


@pytest.fixture
def registry(settings: Settings) -> Iterator[Registry]:
    reg = build(settings)
    yield reg
    reg.close()


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(registry.context), raise_server_exceptions=False) as c:
        yield c


TokenFactory = Callable[..., str]


@pytest.fixture
def token(registry: Registry) -> TokenFactory:
    """``token("publish:io.github.alice/*", "edit:*")`` -> a signed registry token."""

    def make(*grants: str, method: str = "test", subject: str = "tester") -> str:
        permissions = []
        for grant in grants:
            action, _, resource = grant.partition(":")
            permissions.append(Permission(Action(action), resource))
        jwt, _ = registry.context.tokens.issue(Principal(method, subject, tuple(permissions)))
        return jwt

    return make


def auth(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}


@pytest.fixture
def publish(client: TestClient, token: TokenFactory) -> Callable[..., Any]:
    """Publish a document with a token allowed to publish anything; return the response."""
    admin = token("publish:*", "edit:*")

    def do(doc: dict[str, Any], jwt: str | None = None) -> Any:
        return client.post("/v0.1/publish", json=doc, headers=auth(jwt or admin))

    return do


def require_reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"reference material not found at {REFERENCE} (../shared/reference)")
    return REFERENCE
