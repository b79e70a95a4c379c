"""A secret's literal value or default never appears in any client's output (configuration,
snippet, command line, argv, links raw and decoded, warnings) nor in the result's JSON: the
person is asked for it instead, or, when it is optional, it is left out and listed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.core.install.documents import (
    ALL_CLIENTS,
    document,
    everything,
    install,
    package,
    remote,
    texts_of,
)

SECRET = "s3cr3t-Literal-Value"


def npm(**members: Any) -> dict[str, Any]:
    return document(packages=[package("npm", "srv", "1.0.0", **members)])


SHAPES: dict[str, dict[str, Any]] = {
    "env with a default": npm(
        environmentVariables=[
            {"name": "API_KEY", "isRequired": True, "isSecret": True, "default": SECRET}
        ]
    ),
    "env with a fixed value": npm(
        environmentVariables=[{"name": "API_KEY", "isSecret": True, "value": SECRET}]
    ),
    "named argument with a fixed value": npm(
        packageArguments=[{"type": "named", "name": "--token", "isSecret": True, "value": SECRET}]
    ),
    "named argument with a default": npm(
        packageArguments=[
            {
                "type": "named",
                "name": "--token",
                "isSecret": True,
                "isRequired": True,
                "default": SECRET,
            }
        ]
    ),
    "positional with a fixed value": npm(
        packageArguments=[
            {"type": "positional", "valueHint": "token", "isSecret": True, "value": SECRET}
        ]
    ),
    "runtime argument with a fixed value": npm(
        runtimeArguments=[{"type": "named", "name": "--auth", "isSecret": True, "value": SECRET}]
    ),
    "secret header's variable with a default": document(
        remotes=[
            remote(
                headers=[
                    {
                        "name": "Authorization",
                        "isSecret": True,
                        "isRequired": True,
                        "value": "Bearer {token}",
                        "variables": {"token": {"default": SECRET}},
                    }
                ]
            )
        ]
    ),
    "secret header's variable with a fixed value": document(
        remotes=[
            remote(
                headers=[
                    {
                        "name": "Authorization",
                        "isSecret": True,
                        "isRequired": True,
                        "value": "Bearer {token}",
                        "variables": {"token": {"value": SECRET}},
                    }
                ]
            )
        ]
    ),
    "secret variable with a default": document(
        remotes=[
            remote(
                headers=[
                    {
                        "name": "Authorization",
                        "isRequired": True,
                        "value": "Bearer {token}",
                        "variables": {"token": {"isSecret": True, "default": SECRET}},
                    }
                ]
            )
        ]
    ),
    "secret URL variable with a default": document(
        remotes=[
            remote(
                "https://mcp.example.com/{key}/mcp",
                variables={"key": {"isSecret": True, "default": SECRET}},
            )
        ]
    ),
    "container env with a fixed value": document(
        packages=[
            package(
                "oci",
                "team/weather",
                "1",
                environmentVariables=[{"name": "TOKEN", "isSecret": True, "value": SECRET}],
            )
        ]
    ),
    "header of a package served over HTTP": document(
        packages=[
            package(
                "npm",
                "srv",
                "1.0.0",
                transport={
                    "type": "streamable-http",
                    "url": "http://localhost:8080/mcp",
                    "headers": [
                        {"name": "X-Key", "isSecret": True, "isRequired": True, "default": SECRET}
                    ],
                },
            )
        ]
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_secret_is_asked_for_never_written(shape):
    result = install(SHAPES[shape])
    assert result.option is not None
    assert result.option.supported
    for client in ALL_CLIENTS:
        config = result.configs[client]
        assert config.reason is None
        for text in texts_of(config):
            assert SECRET not in text, (client, text)
    assert SECRET not in everything(result)
    secrets = [p for p in result.to_json()["inputs"] if p["isSecret"]]
    assert secrets, "the secret is asked for"
    assert all("default" not in p for p in secrets)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_vscode_asks_for_a_secret_as_a_password(shape):
    config = install(SHAPES[shape], clients=["vscode"]).configs["vscode"].config
    assert config is not None
    passwords = [i for i in config["inputs"] if i.get("password")]
    assert passwords
    assert all("default" not in i for i in passwords)


def test_an_optional_secret_is_left_out_and_listed_never_defaulted():
    doc = npm(
        environmentVariables=[
            {
                "name": "OPTIONAL_TOKEN",
                "isSecret": True,
                "default": SECRET,
                "description": "a token",
            }
        ]
    )
    result = install(doc)
    assert SECRET not in everything(result)
    assert result.to_json()["inputs"] == []
    assert result.to_json()["optional"] == [
        {"where": "env OPTIONAL_TOKEN", "description": "a token"}
    ]
    generic = result.configs["generic"].config
    assert generic is not None
    assert "env" not in generic


def test_a_secrets_fixed_value_being_asked_for_instead_is_said():
    result = install(SHAPES["env with a fixed value"])
    for client in ALL_CLIENTS:
        assert any("fixed value" in w for w in result.configs[client].warnings), client


def test_clients_that_cannot_prompt_say_where_to_put_the_secret():
    result = install(SHAPES["env with a default"])
    desktop = result.configs["claude-desktop"]
    assert desktop.config is not None
    assert desktop.config["mcpServers"]["tool"]["env"] == {"API_KEY": "<API_KEY>"}
    assert any("<API_KEY>" in w and "secret" in w for w in desktop.warnings)
    cursor = result.configs["cursor"]
    assert cursor.config is not None
    assert cursor.config["mcpServers"]["tool"]["env"] == {"API_KEY": "${env:API_KEY}"}
    assert any("API_KEY" in w for w in cursor.warnings)
    code = result.configs["claude-code"]
    assert code.config is not None
    assert code.config["mcpServers"]["tool"]["env"] == {"API_KEY": "${API_KEY}"}
    assert any("API_KEY" in w and "environment" in w for w in code.warnings)
