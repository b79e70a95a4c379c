"""End to end: publishing through the API with package ownership checks against fake
package registries on 127.0.0.1 (one per type), and what the publisher sees.

Every refusal must leave the stored registry exactly as it was: no version, no server row,
no change-log entry.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.server.settings import Settings
from registrum.server.wiring import Registry, build
from tests.conftest import TEST_SEED, auth
from tests.factories import enc, server_json
from tests.fakes.crates import FakeCrates
from tests.fakes.npm import FakeNpm
from tests.fakes.nuget import FakeNuGet
from tests.fakes.oci import FakeOci
from tests.fakes.pypi import FakePyPi
from tests.fakes.releases import FakeReleases
from tests.processes import serving

NAME = "io.github.alice/weather"
IMAGES = "images.example.com"
RELEASES = "releases.example.com"
BUNDLE_PATH = "/alice/weather-mcp/releases/download/v1.0.0/weather.mcpb"
BUNDLE = b"an MCPB bundle " * 100


@dataclass
class Upstreams:
    npm: FakeNpm
    pypi: FakePyPi
    nuget: FakeNuGet
    crates: FakeCrates
    oci: FakeOci
    releases: FakeReleases

    def urls(self) -> dict[str, str]:
        return {
            "npm": self.npm.url,
            "pypi": self.pypi.url,
            "nuget": self.nuget.index_url,
            "cargo": self.crates.url,
            "oci": f"{IMAGES}={self.oci.url}",
            "mcpb": f"{RELEASES}={self.releases.url}",
        }

    def publish_all(self, name: str = NAME) -> str:
        """Every package of :func:`all_packages` published upstream, owned by ``name``;
        returns the bundle's hash."""
        readme = f"# Weather\n\nmcp-name: {name}\n"
        self.npm.add("@example/weather-mcp", "1.0.0", mcp_name=name)
        self.pypi.add("weather-mcp", "1.0.0", readme=readme)
        self.nuget.add("Example.WeatherMcp", "1.0.0", readme=readme)
        self.crates.add("weather-mcp", "1.0.0", readme=readme)
        self.oci.add_image("alice/weather", "1.0.0", {"io.modelcontextprotocol.server.name": name})
        return self.releases.add(BUNDLE_PATH, BUNDLE)


def pkg(registry_type: str, identifier: str, version: str | None = "1.0.0", **more: Any):
    out: dict[str, Any] = {
        "registryType": registry_type,
        "identifier": identifier,
        "transport": {"type": "stdio"},
        **more,
    }
    if version is not None:
        out["version"] = version
    return out


def all_packages(sha: str) -> list[dict[str, Any]]:
    return [
        pkg("npm", "@example/weather-mcp"),
        pkg("pypi", "weather-mcp"),
        pkg("nuget", "Example.WeatherMcp"),
        pkg("cargo", "weather-mcp"),
        pkg("oci", f"{IMAGES}/alice/weather:1.0.0", version=None),
        pkg("mcpb", f"https://{RELEASES}{BUNDLE_PATH}", fileSha256=sha),
    ]


@pytest.fixture
def upstreams() -> Iterator[Upstreams]:
    fakes = [FakeNpm(), FakePyPi(), FakeNuGet(), FakeCrates(), FakeOci(), FakeReleases()]
    for fake in fakes:
        fake.start()
    try:
        yield Upstreams(*fakes)  # type: ignore[arg-type]
    finally:
        for fake in fakes:
            fake.stop()


def make_settings(tmp_path: Path, registry_urls: dict[str, str]) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'registry.db'}",
        jwt_private_key=TEST_SEED,
        enable_registry_validation=True,
        registry_urls=registry_urls,
        # Generous, so a loaded CI machine never turns a slow loopback answer into a 503;
        # the timeout case asks for a short one.
        verify_timeout=15.0,
    )


@contextmanager
def app_on(settings: Settings) -> Iterator[tuple[Registry, TestClient]]:
    """A registry built from ``settings`` and a client of its API, closed afterwards."""
    registry = build(settings)
    try:
        with TestClient(create_app(registry.context)) as api:
            yield registry, api
    finally:
        registry.close()


@pytest.fixture
def checked(tmp_path: Path, upstreams: Upstreams) -> Iterator[Registry]:
    registry = build(make_settings(tmp_path, upstreams.urls()))
    yield registry
    registry.close()


@pytest.fixture
def api(checked: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(checked.context), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def publisher(checked: Registry) -> dict[str, str]:
    from registrum.core.permissions import Action, Permission, Principal

    jwt, _ = checked.context.tokens.issue(
        Principal("test", "alice", (Permission(Action.PUBLISH, "io.github.alice/*"),))
    )
    return auth(jwt)


def snapshot(registry: Registry) -> tuple[int, list[tuple[str, str, str]]]:
    return registry.store.log.head(), [
        (v.name, v.version, v.body) for v in registry.store.versions.iter_all()
    ]


def test_every_type_proven_in_one_publish(
    api: TestClient, publisher: dict[str, str], upstreams: Upstreams
) -> None:
    sha = upstreams.publish_all()
    doc = server_json(NAME, packages=all_packages(sha))
    r = api.post("/v0.1/publish", json=doc, headers=publisher)
    assert r.status_code == 200, r.text
    assert r.json()["server"]["packages"] == doc["packages"]
    stored = api.get(f"/v0.1/servers/{enc(NAME)}/versions/1.0.0")
    assert stored.status_code == 200
    # Each registry was asked: a version document, JSON API, README, manifest, download.
    assert upstreams.npm.faults.paths() == ["/@example%2Fweather-mcp/1.0.0"]
    assert upstreams.releases.faults.paths()[0] == BUNDLE_PATH
    assert any(p.endswith("/manifests/1.0.0") for p in upstreams.oci.faults.paths())


@pytest.mark.parametrize(
    ("index", "breaks", "message"),
    [
        (0, lambda u: u.npm.add("@example/weather-mcp", "1.0.0"), '"mcpName": "' + NAME + '"'),
        (1, lambda u: u.pypi.add("weather-mcp", "1.0.0", readme="# no marker"), "mcp-name: "),
        (
            2,
            lambda u: u.nuget.add("Example.WeatherMcp", "1.0.0", readme=f"mcp-name: {NAME}-x"),
            "which names a longer name",
        ),
        (
            3,
            lambda u: u.crates.add("weather-mcp", "1.0.0", readme="mcp-name: io.github.bob/w"),
            "names 'io.github.bob/w'",
        ),
        (
            4,
            lambda u: u.oci.add_image("alice/weather", "1.0.0", {}),
            "LABEL io.modelcontextprotocol.server.name=",
        ),
        (5, lambda u: u.releases.add(BUNDLE_PATH, b"tampered"), "'fileSha256' says"),
    ],
    ids=["npm", "pypi", "nuget", "cargo", "oci", "mcpb"],
)
def test_a_refused_package_is_named_and_nothing_is_stored(
    api: TestClient,
    checked: Registry,
    publisher: dict[str, str],
    upstreams: Upstreams,
    index: int,
    breaks: Any,
    message: str,
) -> None:
    sha = upstreams.publish_all()
    breaks(upstreams)  # re-publish one package upstream without its proof
    before = snapshot(checked)
    r = api.post(
        "/v0.1/publish", json=server_json(NAME, packages=all_packages(sha)), headers=publisher
    )
    assert r.status_code == 400, r.text
    problem = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert problem["detail"].startswith(f"registry validation failed for package {index} (")
    assert message in problem["detail"]
    assert [e["location"].split(".")[1] for e in problem["errors"]] == [f"packages[{index}]"]
    assert snapshot(checked) == before
    assert api.get(f"/v0.1/servers/{enc(NAME)}/versions").status_code == 404


def test_missing_package_and_missing_version_say_which(
    api: TestClient, checked: Registry, publisher: dict[str, str], upstreams: Upstreams
) -> None:
    upstreams.pypi.add("weather-mcp", "1.0.0", readme=f"mcp-name: {NAME}")
    before = snapshot(checked)
    doc = server_json(
        NAME, packages=[pkg("npm", "never-published"), pkg("pypi", "weather-mcp", "2.0.0")]
    )
    r = api.post("/v0.1/publish", json=doc, headers=publisher)
    assert r.status_code == 400
    errors = {e["location"]: e["message"] for e in r.json()["errors"]}
    assert "does not exist" in errors["body.packages[0].identifier"]
    assert "has no version '2.0.0'" in errors["body.packages[1].version"]
    assert "and 1 more problem" in r.json()["detail"]
    assert snapshot(checked) == before


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_upstream_failure_is_a_retryable_503(
    api: TestClient, checked: Registry, publisher: dict[str, str], upstreams: Upstreams, status
) -> None:
    upstreams.publish_all()
    upstreams.npm.faults.status = status
    upstreams.npm.faults.retry_after = "12"
    before = snapshot(checked)
    doc = server_json(NAME, packages=[pkg("npm", "@example/weather-mcp")])
    r = api.post("/v0.1/publish", json=doc, headers=publisher)
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "12"
    assert "retry later" in r.json()["detail"]
    assert f"answered {status}" in r.json()["detail"]
    assert snapshot(checked) == before
    upstreams.npm.faults.reset()
    r = api.post("/v0.1/publish", json=doc, headers=publisher)
    assert r.status_code == 200, r.text


def test_a_silent_upstream_times_out_as_503(
    tmp_path: Path, publisher: dict[str, str], upstreams: Upstreams
) -> None:
    upstreams.publish_all()
    upstreams.crates.faults.delay = 3.0
    settings = make_settings(tmp_path, upstreams.urls())
    with app_on(settings.model_copy(update={"verify_timeout": 1.0})) as (registry, api):
        doc = server_json(NAME, packages=[pkg("cargo", "weather-mcp")])
        r = api.post("/v0.1/publish", json=doc, headers=publisher)
        assert r.status_code == 503
        assert "did not answer within 1 s" in r.json()["detail"]
        assert registry.store.log.head() == 0


def test_an_oversized_upstream_answer_is_a_502(
    tmp_path: Path, publisher: dict[str, str], upstreams: Upstreams
) -> None:
    upstreams.publish_all()
    upstreams.pypi.faults.oversize = 50_000
    settings = make_settings(tmp_path, upstreams.urls())
    with app_on(settings.model_copy(update={"verify_max_response_bytes": 10_000})) as (
        registry,
        api,
    ):
        doc = server_json(NAME, packages=[pkg("pypi", "weather-mcp")])
        r = api.post("/v0.1/publish", json=doc, headers=publisher)
        assert r.status_code == 502
        assert "MCP_REGISTRY_VERIFY_MAX_RESPONSE_BYTES" in r.json()["detail"]
        assert registry.store.log.head() == 0


def test_refusal_wins_over_a_transient_failure_and_notes_it(
    api: TestClient, publisher: dict[str, str], upstreams: Upstreams
) -> None:
    upstreams.publish_all()
    upstreams.crates.faults.status = 503
    doc = server_json(NAME, packages=[pkg("npm", "nope"), pkg("cargo", "weather-mcp")])
    r = api.post("/v0.1/publish", json=doc, headers=publisher)
    assert r.status_code == 400
    errors = {e["location"]: e["message"] for e in r.json()["errors"]}
    assert errors["body.packages[1]"].startswith("could not be checked: ")


def test_unconfigured_and_unknown_types(
    tmp_path: Path, publisher: dict[str, str], upstreams: Upstreams
) -> None:
    upstreams.publish_all()
    urls = upstreams.urls()
    del urls["cargo"]
    with app_on(make_settings(tmp_path, urls)) as (registry, api):
        doc = server_json(NAME, packages=[pkg("cargo", "weather-mcp")])
        r = api.post("/v0.1/publish", json=doc, headers=publisher)
        assert r.status_code == 400
        assert "MCP_REGISTRY_CARGO_REGISTRY_URLS" in r.json()["detail"]
        doc = server_json(NAME, packages=[pkg("gem", "weather")])
        r = api.post("/v0.1/publish", json=doc, headers=publisher)
        assert r.status_code == 400
        assert "unsupported registry type: gem" in r.json()["detail"]
        assert r.json()["errors"][0]["location"] == "body.packages[0].registryType"
        assert registry.store.log.head() == 0


def test_packages_are_checked_concurrently(
    api: TestClient, publisher: dict[str, str], upstreams: Upstreams
) -> None:
    """Two registries each hold their request until both have arrived: checked one after
    the other, the first would wait for the second forever (and the barrier time out)."""
    sha = upstreams.publish_all()
    barrier = threading.Barrier(2, timeout=10)
    upstreams.npm.faults.before = lambda _req: barrier.wait()
    upstreams.releases.faults.before = lambda req: (
        barrier.wait() if "storage" not in req.path else None
    )
    packages = [pkg("npm", "@example/weather-mcp"), all_packages(sha)[5]]
    r = api.post("/v0.1/publish", json=server_json(NAME, packages=packages), headers=publisher)
    assert r.status_code == 200, r.text
    assert not barrier.broken


def test_checks_run_outside_the_write_transaction(
    api: TestClient, publisher: dict[str, str], upstreams: Upstreams
) -> None:
    """While one publish waits on a package registry, another publish is stored: the slow
    check holds no database lock."""
    upstreams.publish_all()
    entered, release = threading.Event(), threading.Event()

    def hold(_req: object) -> None:
        entered.set()
        release.wait(15)

    upstreams.npm.faults.before = hold
    slow: dict[str, Any] = {}

    def publish_slow() -> None:
        doc = server_json(NAME, packages=[pkg("npm", "@example/weather-mcp")])
        slow["response"] = api.post("/v0.1/publish", json=doc, headers=publisher)

    worker = threading.Thread(target=publish_slow)
    worker.start()
    try:
        assert entered.wait(10), "the package registry was never asked"
        other = server_json(
            "io.github.alice/other", remotes=[{"type": "sse", "url": "https://x.example.com/sse"}]
        )
        quick = api.post("/v0.1/publish", json=other, headers=publisher)
        assert quick.status_code == 200
    finally:
        release.set()
        worker.join(20)
    assert slow["response"].status_code == 200


def test_admin_edit_is_checked_unless_the_version_is_deleted(
    api: TestClient, checked: Registry, upstreams: Upstreams
) -> None:
    from registrum.core.permissions import Action, Permission, Principal

    admin, _ = checked.context.tokens.issue(
        Principal("test", "op", (Permission(Action.EDIT, "*"), Permission(Action.PUBLISH, "*")))
    )
    upstreams.publish_all()
    doc = server_json(NAME, packages=[pkg("npm", "@example/weather-mcp")])
    assert api.post("/v0.1/publish", json=doc, headers=auth(admin)).status_code == 200
    edited = server_json(NAME, packages=[pkg("npm", "someone-elses")])
    url = f"/v0.1/servers/{enc(NAME)}/versions/1.0.0"
    r = api.put(url, json=edited, headers=auth(admin))
    assert r.status_code == 400
    assert "does not exist" in r.json()["detail"]
    gone = api.patch(f"{url}/status", json={"status": "deleted"}, headers=auth(admin))
    assert gone.status_code == 200
    asked = len(upstreams.npm.faults.requests)
    assert api.put(url, json=edited, headers=auth(admin)).status_code == 200
    assert len(upstreams.npm.faults.requests) == asked


def test_documents_without_packages_ask_no_one(
    api: TestClient, publisher: dict[str, str], upstreams: Upstreams
) -> None:
    doc = server_json(
        NAME, remotes=[{"type": "streamable-http", "url": "https://w.example.com/mcp"}]
    )
    assert api.post("/v0.1/publish", json=doc, headers=publisher).status_code == 200
    assert upstreams.npm.faults.requests == []


@pytest.mark.slow
def test_a_real_server_reads_its_package_registries_from_the_environment(
    tmp_path: Path, upstreams: Upstreams
) -> None:
    sha = upstreams.publish_all()
    env = {
        "MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED,
        "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true",
        "MCP_REGISTRY_VERIFY_TIMEOUT": "2",
        **{f"MCP_REGISTRY_{t.upper()}_REGISTRY_URLS": u for t, u in upstreams.urls().items()},
    }
    anon = "io.modelcontextprotocol.anonymous/weather"
    upstreams.npm.add("@example/anon-weather", "1.0.0", mcp_name=anon)
    with serving(tmp_path, env) as (base, log):
        token = httpx.post(f"{base}/v0.1/auth/none").json()["registry_token"]
        doc = server_json(anon, packages=[pkg("npm", "@example/anon-weather")])
        ok = httpx.post(f"{base}/v0.1/publish", json=doc, headers=auth(token))
        assert ok.status_code == 200, ok.text
        theirs = server_json(anon, "1.0.1", packages=all_packages(sha)[:1])
        refused = httpx.post(f"{base}/v0.1/publish", json=theirs, headers=auth(token))
        assert refused.status_code == 400
        assert f"Expected mcpName '{anon}', got '{NAME}'" in refused.json()["detail"]
        text = log.read_text()
    assert f"package checks: npm against {upstreams.npm.url}" in text
    assert f"package checks: oci against {IMAGES} via {upstreams.oci.url}" in text


def test_a_bad_registry_setting_stops_start_up(tmp_path: Path) -> None:
    from tests.processes import run_cli

    result = run_cli(
        "serve", cwd=tmp_path, env={"MCP_REGISTRY_NPM_REGISTRY_URLS": "ftp://npm.example.com"}
    )
    assert result.returncode == 2
    assert "MCP_REGISTRY_NPM_REGISTRY_URLS" in result.stderr
    assert "is not an http(s) URL" in result.stderr
    result = run_cli(
        "serve", cwd=tmp_path, env={"MCP_REGISTRY_GEM_REGISTRY_URLS": "https://x.example"}
    )
    assert result.returncode == 2
    assert "no verifier for the package type 'gem' is installed" in result.stderr
