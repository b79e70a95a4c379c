"""GET .../servers/{name}/versions/{version}/install: ready client configurations of a stored
version, on both backends and both prefixes; bad parameters are problems naming the
parameter; answers are cached and revalidated like every read."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from registrum.core.install import CLIENTS
from tests.conftest import auth
from tests.factories import PREFIXES, enc, npm_package, remote, server_json

NAME = "io.github.alice/weather"
SECRET_DEFAULT = "sk-never-written"


def weather(version: str = "1.0.0") -> dict[str, Any]:
    package = npm_package(
        environmentVariables=[
            {
                "name": "WEATHER_API_KEY",
                "description": "Your weather API key",
                "isRequired": True,
                "isSecret": True,
                "default": SECRET_DEFAULT,
            },
            {"name": "UNITS", "default": "metric"},
        ],
        packageArguments=[
            {"type": "named", "name": "--city", "valueHint": "city", "default": "Oslo"}
        ],
    )
    return server_json(
        NAME,
        version,
        packages=[package],
        remotes=[
            remote(
                "https://{region}.weather.example.com/mcp",
                variables={
                    "region": {"description": "Region", "choices": ["eu", "us"], "isRequired": True}
                },
                headers=[
                    {
                        "name": "Authorization",
                        "value": "Bearer {token}",
                        "isRequired": True,
                        "variables": {"token": {"isSecret": True, "isRequired": True}},
                    }
                ],
            )
        ],
    )


def install_path(prefix: str = "/v0.1", version: str = "1.0.0", name: str = NAME) -> str:
    return f"{prefix}/x/io.registrum/servers/{enc(name)}/versions/{enc(version)}/install"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_client_gets_a_configuration(client: TestClient, publish, prefix: str) -> None:
    assert publish(weather()).status_code == 200
    r = client.get(install_path(prefix))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["version"], body["status"]) == (NAME, "1.0.0", "active")
    assert set(body["configs"]) == set(CLIENTS)
    # The remote ranks first; the package is the second option.
    assert [o["kind"] for o in body["options"]] == ["remote", "package"]
    assert body["option"] == 0
    vscode = body["configs"]["vscode"]
    entry = vscode["config"]["servers"]["weather"]
    assert entry["type"] == "http"
    assert entry["url"] == "https://${input:region}.weather.example.com/mcp"
    assert entry["headers"] == {"Authorization": "Bearer ${input:token}"}
    inputs = {i["id"]: i for i in vscode["config"]["inputs"]}
    assert inputs["region"]["type"] == "pickString"
    assert inputs["region"]["options"] == ["eu", "us"]
    assert inputs["token"]["password"] is True
    link = unquote(vscode["links"]["install"].removeprefix("vscode:mcp/install?"))
    assert json.loads(link)["name"] == "weather"
    assert body["configs"]["claude-code"]["command"].startswith(
        "claude mcp add --transport http weather "
    )


def test_option_picks_the_package(client: TestClient, publish) -> None:
    publish(weather())
    body = client.get(install_path(), params={"option": 1, "client": "generic,cursor"}).json()
    assert set(body["configs"]) == {"generic", "cursor"}
    generic = body["configs"]["generic"]["config"]
    assert generic["command"] == "npx"
    assert generic["args"] == ["-y", "@example/weather-mcp@1.0.0", "--city", "Oslo"]
    # The secret is a hole, never its publisher-given default; the optional UNITS has its default.
    assert generic["env"] == {"WEATHER_API_KEY": "${WEATHER_API_KEY}", "UNITS": "metric"}
    cursor = body["configs"]["cursor"]["config"]["mcpServers"]["weather"]
    assert cursor["env"]["WEATHER_API_KEY"] == "${env:WEATHER_API_KEY}"
    assert SECRET_DEFAULT not in json.dumps(body)
    assert [i["id"] for i in body["inputs"]] == ["WEATHER_API_KEY"]


def test_latest_key_and_status(client: TestClient, publish, token) -> None:
    publish(weather("1.0.0"))
    publish(weather("1.1.0"))
    admin = token("publish:*", "edit:*")
    client.patch(
        f"/v0.1/servers/{enc(NAME)}/versions/1.1.0/status",
        json={"status": "deprecated", "statusMessage": "use 2.x"},
        headers=auth(admin),
    )
    body = client.get(
        install_path(version="latest"), params={"key": "wx", "client": "vscode"}
    ).json()
    assert body["version"] == "1.1.0"
    assert (body["status"], body["statusMessage"]) == ("deprecated", "use 2.x")
    assert list(body["configs"]["vscode"]["config"]["servers"]) == ["wx"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"client": "emacs"}, "client"),
        ({"client": ","}, "client"),
        ({"option": 5}, "option"),
        ({"key": "has space"}, "key"),
        ({"key": "x" * 65}, "key"),
    ],
)
def test_bad_parameters_are_problems(client: TestClient, publish, params, field: str) -> None:
    publish(weather())
    r = client.get(install_path(), params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert any(e["location"] == f"query.{field}" for e in problem["errors"]), problem


def test_out_of_range_option_is_a_422(client: TestClient, publish) -> None:
    publish(weather())
    assert client.get(install_path(), params={"option": -1}).status_code == 422
    assert client.get(install_path(), params={"option": "two"}).status_code == 422


def test_unknown_server_and_version(client: TestClient, publish) -> None:
    publish(weather())
    assert client.get(install_path(name="io.github.alice/none")).status_code == 404
    assert client.get(install_path(version="9.9.9")).status_code == 404


def test_a_renamed_server_redirects(client: TestClient, publish, token) -> None:
    publish(weather())
    admin = token("publish:*", "edit:*")
    r = client.post(
        f"/v0.1/x/io.registrum/servers/{enc(NAME)}/rename",
        json={"newName": "io.github.alice/forecast"},
        headers=auth(admin),
    )
    assert r.status_code == 200, r.text
    moved = client.get(install_path() + "?client=generic", follow_redirects=False)
    assert moved.status_code == 308
    assert (
        moved.headers["location"]
        == install_path(name="io.github.alice/forecast") + "?client=generic"
    )
    assert client.get(moved.headers["location"]).json()["configs"]["generic"]["key"] == "forecast"


def test_unsupported_package_gets_a_reason(client: TestClient, publish) -> None:
    bundle = {
        "registryType": "mcpb",
        "identifier": "https://github.com/example/weather/releases/download/v1/weather.mcpb",
        "version": "1.0.0",
        "fileSha256": "a" * 64,
        "transport": {"type": "stdio"},
    }
    assert publish(server_json(NAME, "1.0.0", packages=[bundle])).status_code == 200
    body = client.get(install_path()).json()
    assert body["option"] == 0
    for config in body["configs"].values():
        assert config["supported"] is False
        assert "MCPB bundle" in config["reason"]


def test_cached_and_revalidated(client: TestClient, publish) -> None:
    publish(weather())
    first = client.get(install_path())
    etag = first.headers["etag"]
    again = client.get(install_path(), headers={"If-None-Match": etag})
    assert again.status_code == 304
    publish(weather("2.0.0"))
    after = client.get(install_path(), headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
