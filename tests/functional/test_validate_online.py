"""``registrum validate --online``: the publisher runs the registry's ownership checks on
their own machine, against the package registries (fakes on 127.0.0.1 here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import npm_package, server_json
from tests.fakes.npm import FakeNpm
from tests.fakes.pypi import FakePyPi
from tests.processes import run_cli

NAME = "io.github.alice/weather"


@pytest.fixture
def npm() -> Iterator[FakeNpm]:
    with FakeNpm() as fake:
        yield fake


def write(tmp_path: Path, **members) -> Path:
    path = tmp_path / "server.json"
    path.write_text(json.dumps(server_json(NAME, **members)))
    return path


def test_owned_package_passes(tmp_path: Path, npm: FakeNpm) -> None:
    npm.add("@example/weather-mcp", "1.0.0", mcp_name=NAME)
    write(tmp_path, packages=[npm_package()])
    result = run_cli(
        "validate", "--online", cwd=tmp_path, env={"MCP_REGISTRY_NPM_REGISTRY_URLS": npm.url}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"✓ packages[0] npm @example/weather-mcp 1.0.0: belongs to {NAME}" in result.stdout
    assert npm.faults.paths() == ["/@example%2Fweather-mcp/1.0.0"]


def test_refusal_shows_the_fix_and_fails(tmp_path: Path, npm: FakeNpm) -> None:
    npm.add("@example/weather-mcp", "1.0.0")
    write(tmp_path, packages=[npm_package()])
    result = run_cli("validate", "--online", "--package-registry", f"npm={npm.url}", cwd=tmp_path)
    assert result.returncode == 1
    assert f'Add this to your package.json: "mcpName": "{NAME}"' in result.stdout
    assert "1 package would be refused" in result.stdout


def test_the_documents_own_registry_base_url_is_used(tmp_path: Path) -> None:
    with FakePyPi() as pypi:
        pypi.add("weather-mcp", "2.0.0", readme=f"mcp-name: {NAME}\n")
        pkg = {
            "registryType": "pypi",
            "registryBaseUrl": pypi.url,
            "identifier": "weather-mcp",
            "version": "2.0.0",
            "transport": {"type": "stdio"},
        }
        write(tmp_path, packages=[pkg])
        result = run_cli("validate", "--online", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "✓ packages[0] pypi weather-mcp 2.0.0" in result.stdout


def test_unavailable_registry_asks_to_retry(tmp_path: Path, npm: FakeNpm) -> None:
    npm.faults.status = 503
    write(tmp_path, packages=[npm_package()])
    result = run_cli("validate", "--online", "--package-registry", f"npm={npm.url}", cwd=tmp_path)
    assert result.returncode == 75
    assert "could not be checked" in result.stdout
    assert "try again later" in result.stdout


def test_no_registry_known_names_the_ways_to_give_one(tmp_path: Path) -> None:
    write(tmp_path, packages=[npm_package()])
    env = {"MCP_REGISTRY_NPM_REGISTRY_URLS": ""}
    result = run_cli("validate", "--online", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "MCP_REGISTRY_NPM_REGISTRY_URLS" in result.stdout
    assert "--package-registry npm=URL" in result.stdout


def test_offline_validation_does_not_ask(tmp_path: Path, npm: FakeNpm) -> None:
    write(tmp_path, packages=[npm_package()])
    result = run_cli("validate", cwd=tmp_path, env={"MCP_REGISTRY_NPM_REGISTRY_URLS": npm.url})
    assert result.returncode == 0
    assert npm.faults.requests == []


def test_bad_package_registry_option(tmp_path: Path) -> None:
    write(tmp_path, packages=[npm_package()])
    result = run_cli("validate", "--online", "--package-registry", "npm", cwd=tmp_path)
    assert result.returncode == 2
    assert "expected TYPE=URL" in result.stdout
