"""Several remotes or packages: ranked, the first that can run chosen by default, any one
chosen by index; a package's transport (stdio, or HTTP on a port it must be started for);
and the errors a bad client, option or key gives."""

from __future__ import annotations

from typing import Any

import pytest

from registrum.core.errors import InvalidInputError
from registrum.core.install import default_key
from tests.unit.core.install.documents import (
    ALL_CLIENTS,
    argv,
    document,
    generic,
    install,
    package,
    remote,
)


def labels(doc: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(o["kind"], o["transport"], o["supported"]) for o in install(doc).to_json()["options"]]


def http_package(url: str = "http://localhost:{port}/mcp", **members: Any) -> dict[str, Any]:
    return package(
        "npm",
        "srv",
        "1.0.0",
        transport={"type": "streamable-http", "url": url},
        **members,
    )


def test_options_are_ranked_remotes_then_stdio_packages_then_http_packages_then_the_rest():
    doc = document(
        packages=[
            package("mcpb", "https://downloads.example.com/x.mcpb", "1"),
            http_package("http://localhost:8080/mcp"),
            package("pypi", "srv-py", "1.0.0"),
        ],
        remotes=[
            remote("https://sse.example.com/sse", type="sse"),
            remote("https://mcp.example.com/mcp"),
        ],
    )
    assert labels(doc) == [
        ("remote", "streamable-http", True),
        ("remote", "sse", True),
        ("package", "stdio", True),
        ("package", "streamable-http", True),
        ("package", "stdio", False),
    ]
    indexes = [o["index"] for o in install(doc).to_json()["options"]]
    assert indexes == [0, 1, 2, 3, 4]


def test_the_publishers_order_is_kept_within_a_rank():
    doc = document(packages=[package("pypi", "first", "1"), package("npm", "second", "1")])
    assert generic(doc)["command"] == "uvx"
    assert generic(doc, option=1)["command"] == "npx"


def test_the_default_is_the_first_option_a_client_can_run():
    doc = document(
        packages=[package("cargo", "crate", "1"), package("npm", "srv", "1.0.0")],
        remotes=[remote("ws://mcp.example.com", type="websocket")],
    )
    result = install(doc)
    assert result.option is not None
    assert result.option.registry_type == "npm"
    assert result.to_json()["option"] == result.option.index
    for client in ALL_CLIENTS:
        assert result.configs[client].option == result.option.index
        assert result.configs[client].reason is None


def test_an_option_is_chosen_by_index_and_every_client_is_written_for_it():
    doc = document(packages=[package("npm", "srv", "1.0.0")], remotes=[remote()])
    assert generic(doc)["url"] == "https://mcp.example.com/mcp"
    assert generic(doc, option=1)["command"] == "npx"
    result = install(doc, option=1)
    assert {c.option for c in result.configs.values()} == {1}


def test_an_unsupported_option_chosen_gives_every_client_its_reason():
    doc = document(
        packages=[package("npm", "srv", "1.0.0")],
        remotes=[remote("ws://mcp.example.com", type="websocket")],
    )
    result = install(doc, option=1)
    for client in ALL_CLIENTS:
        config = result.configs[client]
        assert config.reason is not None
        assert "websocket" in config.reason
        assert config.to_json()["supported"] is False
        assert "config" not in config.to_json()


@pytest.mark.parametrize("option", [-1, 2, 99])
def test_an_option_out_of_range_is_invalid_input_naming_the_option(option):
    doc = document(packages=[package("npm", "srv", "1.0.0")], remotes=[remote()])
    with pytest.raises(InvalidInputError) as caught:
        install(doc, option=option)
    (problem,) = caught.value.problems
    assert problem.path == "option"
    assert problem.value == option
    assert "0 to 1" in caught.value.detail
    assert caught.value.where == "query"


def test_any_option_of_a_server_with_none_is_invalid():
    with pytest.raises(InvalidInputError) as caught:
        install(document(), option=0)
    assert caught.value.problems[0].path == "option"


def test_a_server_with_nothing_to_run_gives_every_client_a_reason():
    result = install(document())
    assert result.option is None
    for client in ALL_CLIENTS:
        assert result.configs[client].reason


def test_an_unknown_client_is_invalid_input_naming_the_client():
    with pytest.raises(InvalidInputError) as caught:
        install(document(remotes=[remote()]), clients=["vscode", "emacs"])
    (problem,) = caught.value.problems
    assert (problem.path, problem.value) == ("client", "emacs")
    assert "vscode" in problem.message


def test_clients_are_written_once_each_in_the_order_asked():
    result = install(document(remotes=[remote()]), clients=["cursor", "vscode", "cursor"])
    assert list(result.configs) == ["cursor", "vscode"]


@pytest.mark.parametrize("key", ["", "has space", "a/b", "x" * 65, "naïve", "semi;colon"])
def test_a_bad_key_is_invalid_input_naming_the_key(key):
    with pytest.raises(InvalidInputError) as caught:
        install(document(remotes=[remote()]), key=key)
    (problem,) = caught.value.problems
    assert (problem.path, problem.value) == ("key", key)


def test_a_key_is_used_by_every_client():
    result = install(document(packages=[package("npm", "srv", "1.0.0")]), key="my_server-2")
    for client in ALL_CLIENTS:
        assert result.configs[client].key == "my_server-2"
    for client in ("claude-desktop", "claude-code", "cursor"):
        config = result.configs[client].config
        assert config is not None
        assert list(config["mcpServers"]) == ["my_server-2"]
    vscode = result.configs["vscode"].config
    assert vscode is not None
    assert list(vscode["servers"]) == ["my_server-2"]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("io.github.alice/weather", "weather"),
        ("com.example/My Server!", "My-Server"),
        ("com.example/ü", "server"),
        ("com.example/" + "a" * 80, "a" * 64),
    ],
)
def test_the_default_key_is_the_name_after_its_namespace(name, key):
    assert default_key(name) == key


# --- a package's transport -------------------------------------------------------------------


def test_a_package_over_http_is_reached_at_its_url_with_the_port_filled_in():
    doc = document(
        packages=[
            http_package(packageArguments=[{"type": "named", "name": "--port", "default": "9300"}])
        ]
    )
    config = generic(doc)
    assert config["transport"] == "streamable-http"
    assert config["url"] == "http://localhost:9300/mcp"
    assert config["start"] == {"command": "npx", "args": ["-y", "srv@1.0.0", "--port", "9300"]}


def test_a_package_url_may_name_a_value_hint_or_an_environment_variable():
    doc = document(
        packages=[
            http_package(
                "http://{host}:{PORT}/mcp",
                packageArguments=[{"type": "positional", "valueHint": "host", "value": "0.0.0.0"}],
                environmentVariables=[{"name": "PORT", "isRequired": True}],
            )
        ]
    )
    assert generic(doc)["url"] == "http://0.0.0.0:${PORT}/mcp"


def test_every_client_is_told_to_start_an_http_package_first():
    doc = document(packages=[http_package("http://localhost:8080/mcp")])
    result = install(doc)
    for client in ("vscode", "cursor", "claude-code", "claude-desktop"):
        assert any(
            "start it yourself" in w and "npx -y srv@1.0.0" in w
            for w in result.configs[client].warnings
        ), client
    vscode = result.configs["vscode"].config
    assert vscode is not None
    assert vscode["servers"]["tool"] == {"type": "http", "url": "http://localhost:8080/mcp"}


def test_a_package_url_naming_nothing_the_package_gives_is_said():
    doc = document(packages=[http_package("http://localhost:{port}/mcp")])
    result = install(doc)
    for client in ALL_CLIENTS:
        assert any("{port}" in w for w in result.configs[client].warnings), client


def test_a_package_over_sse_is_reached_over_sse():
    doc = document(
        packages=[
            package(
                "pypi",
                "srv",
                "1",
                transport={"type": "sse", "url": "http://localhost:8000/sse"},
            )
        ]
    )
    result = install(doc)
    vscode = result.configs["vscode"].config
    assert vscode is not None
    assert vscode["servers"]["tool"]["type"] == "sse"
    assert "--transport sse " in (result.configs["claude-code"].command or "")


@pytest.mark.parametrize(
    ("transport", "said"),
    [
        ({"type": "streamable-http"}, "names no URL"),
        ({"type": "websocket", "url": "ws://localhost:1"}, "'websocket'"),
    ],
)
def test_a_package_transport_no_client_can_use_is_said(transport, said):
    result = install(
        document(packages=[package("npm", "srv", "1.0.0", transport=transport)]), option=0
    )
    for client in ALL_CLIENTS:
        reason = result.configs[client].reason
        assert reason is not None
        assert said in reason


@pytest.mark.parametrize(
    ("member", "said"),
    [({"type": "websocket"}, "'websocket'"), ({"url": ""}, "no URL")],
)
def test_a_remote_no_client_can_use_is_said(member, said):
    result = install(document(remotes=[remote(**member)]), option=0)
    reason = result.configs["generic"].reason
    assert reason is not None
    assert said in reason


def test_a_stdio_package_is_the_default_transport():
    assert generic(document(packages=[package("npm", "srv", "1.0.0")]))["transport"] == "stdio"


# --- rules the real corpus asked for -----------------------------------------------------------


def test_an_optional_named_argument_with_nothing_to_give_is_left_out_and_listed():
    args = [
        {"type": "named", "name": "--apiClientId", "description": "Atlas id", "isRequired": False},
        {"type": "named", "name": "--read-write", "isRequired": False},
        {"type": "named", "name": "--stdio"},  # nothing says optional: a bare flag
    ]
    doc = document(packages=[package(packageArguments=args)])
    assert argv(doc) == ["npx", "-y", "@example/tool@1.2.3", "--stdio"]
    result = install(doc)
    assert result.option is not None
    assert [o.where for o in result.option.optional] == [
        "package argument --apiClientId",
        "package argument --read-write",
    ]
    assert result.option.optional[0].description == "Atlas id"


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("version", "${VERSION}"),
        ("version", "$VERSION"),
        ("version", "{{VERSION}}"),
        ("identifier", "ghcr.io/example/tool:${VERSION}"),
    ],
)
def test_a_placeholder_the_publisher_never_filled_is_a_reason(member: str, value: str):
    pkg = package("oci", "ghcr.io/example/tool:1.0.0", None)
    pkg[member] = value
    result = install(document(packages=[pkg]))
    for client in ALL_CLIENTS:
        reason = result.configs[client].reason
        assert reason is not None
        assert value.split(":")[-1] in reason or "placeholder" in reason
        assert "placeholder" in reason


def test_values_only_the_start_command_uses_are_no_client_inputs():
    pkg = package(
        transport={"type": "streamable-http", "url": "http://localhost:{port}/mcp"},
        packageArguments=[{"type": "named", "name": "--port", "default": "8080"}],
        environmentVariables=[{"name": "API_KEY", "isRequired": True, "isSecret": True}],
    )
    result = install(document(packages=[pkg]))
    vscode = result.configs["vscode"]
    assert vscode.config is not None
    assert "inputs" not in vscode.config  # VS Code only connects: nothing to ask
    assert vscode.config["servers"]["tool"]["url"] == "http://localhost:8080/mcp"
    start = [w for w in vscode.warnings if "start it yourself" in w]
    assert start
    assert "API_KEY=<API_KEY>" in start[0]
    for client in ("claude-desktop", "cursor", "claude-code"):
        assert not [
            w for w in result.configs[client].warnings if "API_KEY" in w and "start" not in w
        ]
    generic = result.configs["generic"].config
    assert generic is not None
    assert generic["start"]["env"] == {"API_KEY": "${API_KEY}"}


def test_a_boolean_is_no_option_index():
    doc = document(packages=[package(), package(identifier="@example/other")])
    with pytest.raises(InvalidInputError):
        install(doc, option=True)
