"""Inputs to values: fixed values, defaults, required and optional inputs, ``{variables}``,
positional, named and repeated arguments, environment variables and headers."""

from __future__ import annotations

from typing import Any

import pytest

from registrum.core.install.inputs import env_id
from tests.unit.core.install.documents import (
    ALL_CLIENTS,
    argv,
    document,
    generic,
    install,
    package,
    remote,
)


def with_args(*args: dict[str, Any], **members: Any) -> dict[str, Any]:
    return document(
        packages=[package("npm", "srv", "1.0.0", packageArguments=list(args), **members)]
    )


def with_env(*variables: dict[str, Any]) -> dict[str, Any]:
    return document(packages=[package("npm", "srv", "1.0.0", environmentVariables=list(variables))])


def package_args(doc: dict[str, Any]) -> list[str]:
    """What follows the package on the command line."""
    words = argv(doc)
    return words[words.index("srv@1.0.0") + 1 :]


def optional_where(doc: dict[str, Any]) -> list[str]:
    return [o["where"] for o in install(doc).to_json()["optional"]]


def inputs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in install(doc).to_json()["inputs"]}


# --- positional arguments --------------------------------------------------------------------


def test_positional_fixed_values_are_written_in_the_publishers_order():
    doc = with_args(
        {"type": "positional", "value": "serve"},
        {"type": "positional", "value": "--stdio"},
        {"type": "positional", "value": "/data"},
    )
    assert package_args(doc) == ["serve", "--stdio", "/data"]


def test_a_required_positional_without_a_value_is_asked_for_under_its_value_hint():
    doc = with_args(
        {
            "type": "positional",
            "valueHint": "root_dir",
            "isRequired": True,
            "description": "Folder to serve",
            "format": "filepath",
        }
    )
    assert package_args(doc) == ["${root_dir}"]
    (asked,) = install(doc).to_json()["inputs"]
    assert asked["id"] == "root_dir"
    assert asked["description"] == "Folder to serve"
    assert asked["format"] == "filepath"
    assert asked["isRequired"] is True
    assert asked["usedIn"] == ["package argument root_dir"]


def test_an_optional_positional_gets_its_default_or_is_left_out_and_listed():
    defaulted = with_args({"type": "positional", "valueHint": "mode", "default": "fast"})
    assert package_args(defaulted) == ["fast"]
    assert inputs(defaulted) == {}
    bare = with_args(
        {"type": "positional", "valueHint": "mode", "description": "how to run"},
        {"type": "positional", "value": "last"},
    )
    assert package_args(bare) == ["last"]
    assert install(bare).to_json()["optional"] == [
        {"where": "package argument mode", "description": "how to run"}
    ]


def test_a_positional_without_a_value_hint_is_named_by_its_place():
    doc = with_args(
        {"type": "positional", "value": "serve"},
        {"type": "positional", "isRequired": True, "value": "{dir}", "variables": {}},
    )
    # a {name} with no variable of that name stays as written (the schema's rule)
    assert package_args(doc) == ["serve", "{dir}"]


# --- named arguments -------------------------------------------------------------------------


def test_a_named_argument_with_a_value_is_two_words():
    doc = with_args({"type": "named", "name": "--log-level", "value": "debug"})
    assert package_args(doc) == ["--log-level", "debug"]


def test_a_required_named_argument_is_asked_for_under_its_name_without_dashes():
    doc = with_args({"type": "named", "name": "--api-url", "isRequired": True})
    assert package_args(doc) == ["--api-url", "${api_url}"]
    assert list(inputs(doc)) == ["api_url"]


def test_an_optional_named_argument_gets_its_default():
    doc = with_args({"type": "named", "name": "--port", "default": "8080", "format": "number"})
    assert package_args(doc) == ["--port", "8080"]


def test_an_optional_named_argument_without_a_default_is_left_out_and_listed():
    doc = with_args(
        {"type": "named", "name": "--cache", "format": "filepath", "description": "cache dir"}
    )
    assert package_args(doc) == []
    assert optional_where(doc) == ["package argument --cache"]


def test_a_named_argument_with_nothing_but_a_name_is_a_bare_flag():
    assert package_args(with_args({"type": "named", "name": "--stdio"})) == ["--stdio"]


@pytest.mark.parametrize(
    ("arg", "written"),
    [
        ({"default": "true"}, ["--verbose"]),
        ({"isRequired": True}, ["--verbose"]),
        ({"default": "false"}, []),
        ({}, []),
    ],
)
def test_a_boolean_named_argument_is_a_switch(arg, written):
    doc = with_args({"type": "named", "name": "--verbose", "format": "boolean", **arg})
    assert package_args(doc) == written
    assert optional_where(doc) == ([] if written else ["package argument --verbose"])


@pytest.mark.parametrize(
    "hint",
    [{"isSecret": True}, {"choices": ["a", "b"]}, {"placeholder": "sk-..."}],
    ids=["secret", "choices", "placeholder"],
)
def test_a_named_argument_that_plainly_takes_a_value_is_never_a_bare_flag(hint):
    # A bare `--api-key` would take the next word as its value.
    doc = with_args(
        {"type": "named", "name": "--api-key", **hint}, {"type": "positional", "value": "x"}
    )
    assert package_args(doc) == ["x"]
    assert optional_where(doc) == ["package argument --api-key"]


def test_a_repeated_argument_is_written_once_and_every_client_says_it_may_repeat():
    doc = with_args(
        {"type": "named", "name": "--allow", "value": "/data", "isRepeated": True},
        {"type": "positional", "valueHint": "path", "value": "/srv", "isRepeated": True},
    )
    assert package_args(doc) == ["--allow", "/data", "/srv"]
    result = install(doc)
    for client in ALL_CLIENTS:
        warnings = result.configs[client].warnings
        assert any("--allow" in w and "more than once" in w for w in warnings), client
        assert any("path" in w and "more than once" in w for w in warnings), client


def test_runtime_and_package_arguments_of_the_same_name_are_asked_for_separately():
    doc = document(
        packages=[
            package(
                "npm",
                "srv",
                "1.0.0",
                runtimeArguments=[
                    {"type": "named", "name": "--x", "isRequired": True, "description": "runtime x"}
                ],
                packageArguments=[
                    {"type": "named", "name": "--x", "isRequired": True, "description": "server x"}
                ],
            )
        ]
    )
    assert argv(doc) == ["npx", "-y", "--x", "${x}", "srv@1.0.0", "--x", "${x_2}"]
    asked = inputs(doc)
    assert asked["x"]["description"] == "runtime x"
    assert asked["x_2"]["description"] == "server x"


# --- environment variables -------------------------------------------------------------------


def test_environment_variables_fixed_asked_defaulted_or_left_out():
    doc = with_env(
        {"name": "REGION", "value": "eu-west-1"},
        {"name": "API_URL", "isRequired": True, "description": "where the API is"},
        {"name": "LOG_LEVEL", "default": "info"},
        {"name": "PROXY", "description": "an HTTP proxy"},
    )
    assert generic(doc)["env"] == {
        "REGION": "eu-west-1",
        "API_URL": "${API_URL}",
        "LOG_LEVEL": "info",
    }
    assert install(doc).to_json()["optional"] == [
        {"where": "env PROXY", "description": "an HTTP proxy"}
    ]
    assert inputs(doc)["API_URL"]["usedIn"] == ["env API_URL"]


def test_a_required_input_with_a_default_is_asked_for_with_the_default_offered():
    doc = with_env({"name": "LOG_LEVEL", "isRequired": True, "default": "info"})
    result = install(doc)
    vscode = result.configs["vscode"].config
    assert vscode is not None
    assert vscode["servers"]["tool"]["env"] == {"LOG_LEVEL": "${input:LOG_LEVEL}"}
    assert vscode["inputs"][0]["default"] == "info"
    # clients that cannot ask use the default
    for client in ("cursor", "claude-desktop"):
        config = result.configs[client].config
        assert config is not None
        assert config["mcpServers"]["tool"]["env"] == {"LOG_LEVEL": "info"}, client
    code = result.configs["claude-code"].config
    assert code is not None
    assert code["mcpServers"]["tool"]["env"] == {"LOG_LEVEL": "${LOG_LEVEL:-info}"}


def test_choices_and_booleans_are_offered_as_a_pick():
    doc = with_env(
        {"name": "MODE", "isRequired": True, "choices": ["fast", "safe"]},
        {"name": "DEBUG", "isRequired": True, "format": "boolean"},
        {"name": "NAME", "isRequired": True, "placeholder": "alice"},
    )
    asked = inputs(doc)
    assert asked["MODE"]["choices"] == ["fast", "safe"]
    assert asked["DEBUG"]["choices"] == ["true", "false"]
    assert asked["NAME"]["placeholder"] == "alice"
    config = install(doc, clients=["vscode"]).configs["vscode"].config
    assert config is not None
    by_id = {i["id"]: i for i in config["inputs"]}
    assert by_id["MODE"]["type"] == "pickString"
    assert by_id["MODE"]["options"] == ["fast", "safe"]
    assert by_id["NAME"]["type"] == "promptString"


@pytest.mark.parametrize(
    ("base", "expected"),
    [("X-API-Key", "X_API_Key"), ("--api-key", "api_key"), ("2fa", "_2fa"), ("$$", "VALUE")],
)
def test_prompt_ids_are_environment_variable_names(base, expected):
    assert env_id(base) == expected


# --- variables -------------------------------------------------------------------------------


def test_variables_in_a_value_are_filled_by_their_own_rules():
    doc = with_env(
        {
            "name": "DSN",
            "value": "db://{user}@{host}:{port}/{unknown}",
            "variables": {
                "user": {"isRequired": True, "description": "database user"},
                "host": {"value": "db.example.com"},
                "port": {"default": "5432"},
            },
        }
    )
    assert generic(doc)["env"] == {"DSN": "db://${user}@db.example.com:5432/{unknown}"}
    assert list(inputs(doc)) == ["user"]


def test_a_value_without_variables_keeps_its_braces():
    doc = with_env({"name": "TEMPLATE", "value": "{a}-{b}"})
    assert generic(doc)["env"] == {"TEMPLATE": "{a}-{b}"}


def test_an_optional_input_whose_variable_has_no_value_is_left_out_whole():
    doc = with_env(
        {
            "name": "PROXY",
            "value": "http://{proxy_host}:3128",
            "variables": {"proxy_host": {"description": "proxy host"}},
        }
    )
    assert "env" not in generic(doc)
    assert optional_where(doc) == ["env PROXY"]


def test_a_required_input_asks_for_its_variables_that_have_no_value():
    doc = with_env(
        {
            "name": "PROXY",
            "isRequired": True,
            "value": "http://{proxy_host}:3128",
            "variables": {"proxy_host": {}},
        }
    )
    assert generic(doc)["env"] == {"PROXY": "http://${proxy_host}:3128"}


def test_remote_url_variables_become_holes_or_take_their_defaults():
    doc = document(
        remotes=[
            remote(
                "https://{tenant}.mcp.example.com/{region}/mcp",
                variables={
                    "tenant": {"isRequired": True, "description": "your tenant"},
                    "region": {"default": "eu"},
                },
            )
        ]
    )
    result = install(doc)
    urls = {}
    for client in ("vscode", "cursor", "claude-code", "generic"):
        config = result.configs[client].config
        assert config is not None
        entry = config if client == "generic" else next(iter(next(iter(config.values())).values()))
        urls[client] = entry["url"]
    # an optional variable with a default gets its default, as any optional input does
    assert urls == {
        "vscode": "https://${input:tenant}.mcp.example.com/eu/mcp",
        "cursor": "https://${env:tenant}.mcp.example.com/eu/mcp",
        "claude-code": "https://${tenant}.mcp.example.com/eu/mcp",
        "generic": "https://${tenant}.mcp.example.com/eu/mcp",
    }
    assert inputs(doc)["tenant"]["usedIn"] == ["the URL"]


def test_a_remote_url_without_variables_is_written_as_is():
    doc = document(remotes=[remote("https://mcp.example.com/{literal}/mcp")])
    assert generic(doc)["url"] == "https://mcp.example.com/{literal}/mcp"
    assert install(doc).to_json()["inputs"] == []


# --- headers ---------------------------------------------------------------------------------


def test_remote_headers_fixed_asked_or_left_out():
    doc = document(
        remotes=[
            remote(
                headers=[
                    {"name": "X-Client", "value": "registrum"},
                    {"name": "X-API-Key", "isRequired": True, "isSecret": True},
                    {"name": "X-Trace", "description": "a trace id"},
                ]
            )
        ]
    )
    assert generic(doc)["headers"] == {"X-Client": "registrum", "X-API-Key": "${X_API_Key}"}
    assert optional_where(doc) == ["header X-Trace"]


def test_one_value_used_in_two_headers_is_asked_for_once():
    token = {"isRequired": True, "isSecret": True, "description": "your token"}
    doc = document(
        remotes=[
            remote(
                headers=[
                    {
                        "name": "Authorization",
                        "value": "Bearer {token}",
                        "variables": {"token": token},
                    },
                    {"name": "X-Token", "value": "{token}", "variables": {"token": token}},
                ]
            )
        ]
    )
    assert generic(doc)["headers"] == {"Authorization": "Bearer ${token}", "X-Token": "${token}"}
    (asked,) = install(doc).to_json()["inputs"]
    assert asked["usedIn"] == ["header Authorization", "header X-Token"]
    assert asked["isSecret"] is True
