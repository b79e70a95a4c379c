"""Each client's form: VS Code's entry, inputs and install link; Cursor's entry and base64
deeplink; Claude Desktop's placeholders and mcp-remote bridge; Claude Code's command line,
run through a real POSIX shell; the generic form."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from typing import Any

import pytest

from registrum.core.install import install_configs
from tests.unit.core.install.documents import (
    cursor_link,
    document,
    install,
    package,
    remote,
    vscode_link_payload,
)

# Literal values a shell would mangle if they were not quoted: quotes, spaces, $, backticks,
# a command substitution, a history bang, a glob, a backslash, a newline.
NASTY = [
    'it\'s "quoted"',
    "two  spaces",
    "$HOME and ${HOME}",
    "`id`",
    "$(touch pwned)",
    "wow!x",
    "*",
    "back\\slash",
    "line\nbreak",
    "{braces}",
]


def stdio_server(**members: Any) -> dict[str, Any]:
    return document(packages=[package("npm", "srv", "1.0.0", **members)])


def entry(config: Any, members: str) -> dict[str, Any]:
    assert config is not None
    found: dict[str, Any] = config[members]["tool"]
    return found


# --- VS Code ---------------------------------------------------------------------------------


def test_vscode_writes_a_stdio_entry_and_inputs_for_what_it_asks():
    doc = stdio_server(
        environmentVariables=[
            {"name": "API_KEY", "isRequired": True, "isSecret": True, "description": "key"},
            {"name": "REGION", "value": "eu"},
            {"name": "UNUSED", "description": "left out"},
        ]
    )
    config = install(doc, clients=["vscode"]).configs["vscode"]
    assert config.file == ".vscode/mcp.json"
    assert config.config == {
        "servers": {
            "tool": {
                "type": "stdio",
                "command": "npx",
                "args": ["-y", "srv@1.0.0"],
                "env": {"API_KEY": "${input:API_KEY}", "REGION": "eu"},
            }
        },
        "inputs": [
            {"type": "promptString", "id": "API_KEY", "description": "key", "password": True}
        ],
    }


def test_vscode_link_decodes_to_the_entry_with_its_name_and_inputs():
    doc = document(
        remotes=[remote(headers=[{"name": "Authorization", "isRequired": True, "isSecret": True}])]
    )
    config = install(doc, clients=["vscode"]).configs["vscode"]
    assert config.config is not None
    expected = {
        "name": "tool",
        **entry(config.config, "servers"),
        "inputs": config.config["inputs"],
    }
    assert expected["type"] == "http"
    assert expected["headers"] == {"Authorization": "${input:Authorization}"}
    for link in ("install", "installInsiders"):
        assert vscode_link_payload(config.links[link]) == expected
    assert config.links["install"].startswith("vscode:mcp/install?")
    assert config.links["installInsiders"].startswith("vscode-insiders:mcp/install?")


def test_vscode_link_of_a_server_without_inputs_has_none():
    config = install(stdio_server(), clients=["vscode"]).configs["vscode"]
    assert config.config is not None
    assert "inputs" not in config.config
    assert vscode_link_payload(config.links["install"]) == {
        "name": "tool",
        **entry(config.config, "servers"),
    }


def test_vscode_link_carries_characters_that_need_encoding():
    doc = stdio_server(packageArguments=[{"type": "positional", "value": v} for v in NASTY])
    config = install(doc, clients=["vscode"]).configs["vscode"]
    payload = vscode_link_payload(config.links["install"])
    assert payload["args"][2:] == NASTY
    link = config.links["install"].partition("?")[2]
    assert not set(link) & set(" \n\"'`{}#&?")


# --- Cursor ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        stdio_server(
            environmentVariables=[
                {"name": "TOKEN", "isRequired": True, "isSecret": True},
                {"name": "LEVEL", "isRequired": True, "default": "info"},
            ],
            packageArguments=[{"type": "positional", "value": v} for v in NASTY],
        ),
        document(
            remotes=[remote(headers=[{"name": "X-Key", "isRequired": True, "isSecret": True}])]
        ),
    ],
    ids=["stdio", "remote"],
)
def test_cursor_deeplink_config_decodes_to_the_entry(doc):
    config = install(doc, clients=["cursor"]).configs["cursor"]
    assert config.file == ".cursor/mcp.json"
    name, decoded = cursor_link(config.links["install"])
    assert name == "tool"
    assert decoded == entry(config.config, "mcpServers")


def test_cursor_reads_values_from_the_environment_and_writes_defaults():
    doc = stdio_server(
        environmentVariables=[
            {"name": "TOKEN", "isRequired": True, "isSecret": True, "description": "a token"},
            {"name": "LEVEL", "isRequired": True, "default": "info"},
        ]
    )
    config = install(doc, clients=["cursor"]).configs["cursor"]
    assert entry(config.config, "mcpServers")["env"] == {
        "TOKEN": "${env:TOKEN}",
        "LEVEL": "info",
    }
    said = [w for w in config.warnings if "cannot ask" in w]
    assert len(said) == 1
    assert "TOKEN" in said[0]
    assert "a token" in said[0]


def test_cursor_remote_entry_is_url_and_headers():
    doc = document(remotes=[remote(headers=[{"name": "X-Client", "value": "registrum"}])])
    config = install(doc, clients=["cursor"]).configs["cursor"]
    assert entry(config.config, "mcpServers") == {
        "url": "https://mcp.example.com/mcp",
        "headers": {"X-Client": "registrum"},
    }


# --- Claude Desktop --------------------------------------------------------------------------


def test_claude_desktop_writes_placeholders_it_says_to_replace():
    doc = stdio_server(
        environmentVariables=[
            {"name": "TOKEN", "isRequired": True, "isSecret": True},
            {"name": "LEVEL", "isRequired": True, "default": "info"},
            {"name": "HOME_DIR", "isRequired": True, "description": "your home"},
        ]
    )
    config = install(doc, clients=["claude-desktop"]).configs["claude-desktop"]
    assert config.file == "claude_desktop_config.json"
    assert entry(config.config, "mcpServers") == {
        "command": "npx",
        "args": ["-y", "srv@1.0.0"],
        "env": {"TOKEN": "<TOKEN>", "LEVEL": "info", "HOME_DIR": "<HOME_DIR>"},
    }
    replace = [w for w in config.warnings if "replace <" in w]
    assert len(replace) == 2
    assert any("<TOKEN>" in w and "secret" in w for w in replace)
    assert any("<HOME_DIR>" in w and "your home" in w for w in replace)


@pytest.mark.parametrize(
    ("kind", "bridge"), [("streamable-http", "http-only"), ("sse", "sse-only")]
)
def test_claude_desktop_reaches_a_remote_through_mcp_remote(kind, bridge):
    doc = document(
        remotes=[
            remote(
                type=kind,
                headers=[
                    {
                        "name": "Authorization",
                        "value": "Bearer {token}",
                        "variables": {"token": {"isRequired": True, "isSecret": True}},
                    }
                ],
            )
        ]
    )
    config = install(doc, clients=["claude-desktop"]).configs["claude-desktop"]
    server = entry(config.config, "mcpServers")
    assert server["command"] == "npx"
    assert server["args"][:5] == [
        "-y",
        "mcp-remote",
        "https://mcp.example.com/mcp",
        "--transport",
        bridge,
    ]
    header = server["args"][server["args"].index("--header") + 1]
    name, _, variable = header.partition(":")
    assert name == "Authorization"
    assert variable.startswith("${")
    assert variable.endswith("}")
    assert server["env"] == {variable[2:-1]: "Bearer <token>"}
    assert any("mcp-remote" in w for w in config.warnings)


# --- Claude Code -----------------------------------------------------------------------------


# sh (dash here) and bash read some quoting differently; a command line must suit both.
SHELLS = [path for path in (shutil.which("sh"), shutil.which("bash")) if path]


def run_words(command: str, env: dict[str, str]) -> list[str]:
    """The words a POSIX shell passes to ``claude`` when it runs ``command``, the same in
    every shell at hand."""
    assert SHELLS
    script = "claude() { printf '%s\\0' \"$@\"; }\n" + command
    seen = []
    for shell in SHELLS:
        out = subprocess.run(
            [shell, "-c", script],
            env={"PATH": os.environ.get("PATH", ""), **env},
            capture_output=True,
            check=True,
        )
        seen.append(["claude", *out.stdout.decode().split("\0")[:-1]])
    assert all(words == seen[0] for words in seen), seen
    return seen[0]


def test_claude_code_command_line_keeps_literal_values_through_a_shell(tmp_path):
    doc = stdio_server(
        packageArguments=[{"type": "positional", "value": v} for v in NASTY],
        environmentVariables=[{"name": "GREETING", "value": "a 'b' \"c\" $d `e`"}],
    )
    config = install(doc, clients=["claude-code"]).configs["claude-code"]
    assert config.command is not None
    expected = [
        "claude", "mcp", "add", "--transport", "stdio", "tool",
        "--env", "GREETING=a 'b' \"c\" $d `e`",
        "--", "npx", "-y", "srv@1.0.0", *NASTY,
    ]  # fmt: skip
    assert shlex.split(config.command) == expected
    assert run_words(f"cd {shlex.quote(str(tmp_path))} && {config.command}", {}) == expected
    assert list(tmp_path.iterdir()) == []  # $(touch pwned) did not run
    assert list(config.argv) == expected


def test_claude_code_holes_expand_from_the_environment_and_nothing_else_does():
    doc = stdio_server(
        environmentVariables=[
            {
                "name": "DSN",
                "isRequired": True,
                "value": 'db://$USER:{password}@`host`/"x"',
                "variables": {"password": {"isRequired": True, "isSecret": True}},
            },
            {"name": "TOKEN", "isRequired": True, "isSecret": True},
        ],
        packageArguments=[
            {
                "type": "named",
                "name": "--name",
                "value": "it's {user}",
                "variables": {"user": {"isRequired": True}},
            }
        ],
    )
    config = install(doc, clients=["claude-code"]).configs["claude-code"]
    assert config.command is not None
    words = run_words(
        config.command, {"password": "p@ss word", "TOKEN": "t$k`n", "user": "ann", "USER": "root"}
    )
    assert words[words.index("--env") + 1] == 'DSN=db://$USER:p@ss word@`host`/"x"'
    assert "TOKEN=t$k`n" in words
    assert words[-2:] == ["--name", "it's ann"]
    # the .mcp.json entry holds the same holes for Claude Code to expand
    server = entry(config.config, "mcpServers")
    assert server["env"] == {"DSN": 'db://$USER:${password}@`host`/"x"', "TOKEN": "${TOKEN}"}
    assert server["type"] == "stdio"


@pytest.mark.parametrize("default", ["info", "a b", "$(touch pwned)", "x}y", "it's", 'a"b', "w!x"])
def test_claude_code_default_is_used_when_unset_and_never_runs(default, tmp_path):
    doc = stdio_server(
        environmentVariables=[{"name": "LEVEL", "isRequired": True, "default": default}]
    )
    config = install(doc, clients=["claude-code"]).configs["claude-code"]
    assert config.command is not None
    line = f"cd {shlex.quote(str(tmp_path))} && {config.command}"
    assert f"LEVEL={default}" in run_words(line, {"LEVEL": default})
    assert "LEVEL=set" in run_words(line, {"LEVEL": "set"})
    assert list(tmp_path.iterdir()) == []
    unset = run_words(line, {})
    assert list(tmp_path.iterdir()) == []
    if f"LEVEL={default}" not in unset:
        # a default the line cannot carry safely is said instead
        assert unset[unset.index("--env") + 1] == "LEVEL="
        assert any("LEVEL" in w and default in w for w in config.warnings)


def test_claude_code_names_the_server_before_its_environment():
    doc = stdio_server(environmentVariables=[{"name": "A", "value": "1"}])
    words = shlex.split(install(doc, clients=["claude-code"]).configs["claude-code"].command or "")
    assert words.index("tool") < words.index("--env") < words.index("--")


def test_claude_code_remote_command_and_entry():
    doc = document(
        remotes=[
            remote(
                headers=[
                    {"name": "Authorization", "isRequired": True, "isSecret": True},
                    {"name": "X-Client", "value": "a b"},
                ]
            )
        ]
    )
    config = install(doc, clients=["claude-code"]).configs["claude-code"]
    assert config.command is not None
    assert run_words(config.command, {"Authorization": "Bearer x y"}) == [
        "claude", "mcp", "add", "--transport", "http", "tool", "https://mcp.example.com/mcp",
        "--header", "Authorization: Bearer x y", "--header", "X-Client: a b",
    ]  # fmt: skip
    assert entry(config.config, "mcpServers") == {
        "type": "http",
        "url": "https://mcp.example.com/mcp",
        "headers": {"Authorization": "${Authorization}", "X-Client": "a b"},
    }
    assert any("set Authorization in your environment" in w for w in config.warnings)


# --- generic ---------------------------------------------------------------------------------


def test_the_generic_form_of_a_server_with_no_inputs_has_no_holes():
    doc = document(
        packages=[
            package(
                "npm",
                "srv",
                "1.0.0",
                packageArguments=[{"type": "named", "name": "--mode", "value": "fast"}],
                environmentVariables=[{"name": "REGION", "value": "eu"}],
            )
        ],
        remotes=[remote(headers=[{"name": "X-Client", "value": "registrum"}])],
    )
    for option in (0, 1):
        result = install(doc, clients=["generic"], option=option)
        config = result.configs["generic"]
        assert result.to_json()["inputs"] == []
        assert config.snippet is not None
        assert "${" not in config.snippet
        assert "<" not in config.snippet
        assert config.warnings == ()


def test_the_generic_form_writes_holes_the_results_inputs_describe():
    doc = document(
        remotes=[remote(headers=[{"name": "X-Key", "isRequired": True, "isSecret": True}])]
    )
    result = install(doc, clients=["generic"])
    assert result.configs["generic"].config == {
        "transport": "streamable-http",
        "url": "https://mcp.example.com/mcp",
        "headers": {"X-Key": "${X_Key}"},
    }
    assert [p["id"] for p in result.to_json()["inputs"]] == ["X_Key"]


def test_a_secret_with_choices_is_asked_masked_in_vscode():
    env = [{"name": "TIER_KEY", "isRequired": True, "isSecret": True, "choices": ["a", "b"]}]
    config = install_configs(
        document(packages=[package(environmentVariables=env)]), clients=["vscode"]
    ).configs["vscode"]
    assert config.config is not None
    (asked,) = config.config["inputs"]
    assert asked["type"] == "promptString"
    assert asked["password"] is True
