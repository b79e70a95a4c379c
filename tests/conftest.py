"""Shared fixtures: a real registry on a real SQLite file, driven through its HTTP API."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from registrum.core.permissions import Action, Permission, Principal
from registrum.server.settings import Settings
from registrum.server.wiring import Registry, build
from registrum.storage import engine as storage_engine
from registrum.web import create_site

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-server-json"

TEST_SEED = "11" * 32

# The throwaway PostgreSQL server `make test` starts (scripts/postgres); every test that
# takes the `database_url` fixture runs once on SQLite and once on it.
POSTGRES = os.environ.get("REGISTRUM_TEST_POSTGRES", "")
BACKENDS = ("sqlite", "postgresql")
# One template per pytest-xdist worker (gw0, gw1, ...), so parallel workers never share one,
# and per checkout: two checkouts testing against one server at once (each with its own
# migrations) would otherwise drop and rebuild each other's template.
_CHECKOUT = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
_TEMPLATE = f"registrum_template_{_CHECKOUT}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def postgres_url(database: str) -> str:
    if not POSTGRES:
        pytest.skip(
            "REGISTRUM_TEST_POSTGRES is not set: run the tests with `make test`, which "
            "starts a throwaway PostgreSQL server (scripts/postgres)"
        )
    return POSTGRES.rsplit("/", 1)[0] + "/" + database


def _admin(sql: str) -> None:
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated once; each test gets a fresh copy of it (CREATE DATABASE ...
    TEMPLATE is a file copy, much cheaper than running the migrations again)."""
    url = postgres_url(_TEMPLATE)
    _admin(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")
    _admin(f"CREATE DATABASE {_TEMPLATE}")
    engine = storage_engine.create(url)
    storage_engine.migrate(engine)
    engine.dispose()
    yield _TEMPLATE
    _admin(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")


def throwaway_postgres(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (a copy of ``template``, or empty), dropped afterwards."""
    postgres_url("postgres")  # skips, saying why, without PostgreSQL
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    _admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield postgres_url(name)
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema) on each backend, for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
    else:
        yield from throwaway_postgres("blank")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The registry database of one test: a SQLite file, or a new PostgreSQL database
    copied from one migrated once per run."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        postgres_url("postgres")
        yield from throwaway_postgres("test", request.getfixturevalue("postgres_template"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
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


def sqlite_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of a test registry on one SQLite file in ``tmp_path``."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'registry.db'}",
        jwt_private_key=TEST_SEED,
        enable_anonymous_auth=True,
        enable_registry_validation=False,
        **overrides,
    )


@pytest.fixture
def sqlite_registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry on SQLite only, for what only SQLite has (its FTS5 search index, its
    connection settings)."""
    reg = build(sqlite_settings(tmp_path))
    yield reg
    reg.close()


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient]:
    """The registry as served: the API and the pages."""
    with TestClient(create_site(registry.context), raise_server_exceptions=False) as c:
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
