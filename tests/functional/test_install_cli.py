"""``registrum install`` as a user runs it: the real command against a real ``registrum
serve``, printing configurations and merging them into existing client files (with comments
and keys of their own) without losing anything."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registrum.client import RegistryClient
from registrum.core.install.config_files import parse_jsonc
from tests.conftest import TEST_SEED
from tests.factories import ANON, npm_package, server_json
from tests.functional.test_publisher_cli import User, no_traceback
from tests.processes import serving

pytestmark = pytest.mark.slow

NAME = f"{ANON}/weather"
SECRET_DEFAULT = "sk-from-the-publisher"


def weather(version: str) -> dict[str, Any]:
    return server_json(
        NAME,
        version,
        packages=[
            npm_package(
                version=version,
                environmentVariables=[
                    {
                        "name": "WEATHER_API_KEY",
                        "description": "Your weather API key",
                        "isRequired": True,
                        "isSecret": True,
                        "default": SECRET_DEFAULT,
                    }
                ],
            )
        ],
    )


class Served:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("install-cli-registry")
    env = {
        "MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED,
        "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true",
        # The package is made up: this registry does not ask an npm registry about it.
        "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION": "false",
    }
    with serving(folder, env) as (url, log):
        with RegistryClient(url) as client:
            client.login_none()
            client.publish(weather("1.0.0"))
        yield Served(url, log)


@pytest.fixture
def user(tmp_path: Path) -> User:
    return User(tmp_path)


def test_prints_a_configuration_from_the_official_read_only(user: User, served: Served) -> None:
    result = user.ok("install", NAME, "--client", "vscode", "--registry", served.url)
    config = json.loads(result.stdout)
    entry = config["servers"]["weather"]
    assert entry["command"] == "npx"
    assert entry["env"] == {"WEATHER_API_KEY": "${input:WEATHER_API_KEY}"}
    assert config["inputs"][0]["password"] is True
    assert "you supply WEATHER_API_KEY (secret, for env WEATHER_API_KEY)" in result.stderr
    assert "vscode:mcp/install?" in result.stderr
    assert SECRET_DEFAULT not in result.stdout + result.stderr
    # The mapping ran here: the registry was asked only for the version, as any registry can be.
    asked = re.findall(r'"GET (\S+) HTTP', served.log.read_text())
    assert not [path for path in asked if "/install" in path]


def test_every_client_and_json(user: User, served: Served) -> None:
    every = user.ok("install", NAME, "--registry", served.url)
    for title in ("# VS Code", "# Claude Desktop", "# Claude Code", "# Cursor", "# Any client"):
        assert title in every.stdout
    assert "claude mcp add --transport stdio weather --env" in every.stdout
    as_json = json.loads(user.ok("install", NAME, "--json", "--registry", served.url).stdout)
    assert as_json["configs"]["generic"]["config"]["args"] == ["-y", "@example/weather-mcp@1.0.0"]


VSCODE_FILE = """\
// My servers: keep this comment
{
  "servers": {
    /* the one I wrote by hand */
    "mine": { "type": "stdio", "command": "my-server", },
  },
  "inputs": [
    { "type": "promptString", "id": "mine-token", "password": true },
  ],
}
"""


def test_write_merges_into_a_vscode_file_with_comments(user: User, served: Served) -> None:
    target = user.project / ".vscode" / "mcp.json"
    target.parent.mkdir()
    target.write_text(VSCODE_FILE)
    result = user.ok("install", NAME, "--client", "vscode", "--write", "--registry", served.url)
    assert f"added 'weather' in {Path('.vscode') / 'mcp.json'}" in result.stdout
    text = target.read_text()
    for comment in ("// My servers: keep this comment", "/* the one I wrote by hand */"):
        assert comment in text
    merged = parse_jsonc(text)
    assert merged["servers"]["mine"] == {"type": "stdio", "command": "my-server"}
    assert merged["servers"]["weather"]["env"] == {"WEATHER_API_KEY": "${input:WEATHER_API_KEY}"}
    assert [i["id"] for i in merged["inputs"]] == ["mine-token", "WEATHER_API_KEY"]
    assert (target.parent / "mcp.json.bak").read_text() == VSCODE_FILE
    again = user.ok("install", NAME, "--client", "vscode", "--write", "--registry", served.url)
    assert "nothing written" in again.stdout
    assert target.read_text() == text


def test_write_keeps_claude_desktops_other_settings(user: User, served: Served) -> None:
    target = user.home / "claude.json"
    original = {
        "globalShortcut": "Ctrl+Space",
        "mcpServers": {"files": {"command": "npx", "args": ["-y", "files-mcp"]}},
    }
    target.write_text(json.dumps(original, indent=4) + "\n")
    user.ok(
        "install", NAME, "--client", "claude-desktop", "--write", "--config", str(target),
        "--registry", served.url,
    )  # fmt: skip
    merged = json.loads(target.read_text())  # still strict JSON: Claude Desktop reads that
    assert merged["globalShortcut"] == "Ctrl+Space"
    assert merged["mcpServers"]["files"] == original["mcpServers"]["files"]
    assert merged["mcpServers"]["weather"]["env"] == {"WEATHER_API_KEY": "<WEATHER_API_KEY>"}
    assert target.read_text().startswith('{\n    "globalShortcut"')  # its own indentation


def test_write_creates_cursors_file_and_asks_before_replacing(user: User, served: Served) -> None:
    target = user.home / ".cursor" / "mcp.json"
    user.ok("install", NAME, "--client", "cursor", "--write", "--registry", served.url)
    created = json.loads(target.read_text())
    assert created["mcpServers"]["weather"]["args"] == ["-y", "@example/weather-mcp@1.0.0"]
    assert not target.with_name("mcp.json.bak").exists()
    # A hand edit, then a newer version: the entry differs, so it is replaced only when asked.
    edited = json.loads(target.read_text())
    edited["mcpServers"]["weather"]["env"] = {"WEATHER_API_KEY": "my-real-key"}
    edited["mcpServers"]["other"] = {"url": "https://mcp.example.com/mcp"}
    target.write_text(json.dumps(edited, indent=2))
    with RegistryClient(served.url) as client:
        client.login_none()
        client.publish(weather("1.1.0"))
    refused = user.run("install", NAME, "--client", "cursor", "--write", "--registry", served.url)
    assert refused.returncode == 1
    no_traceback(refused)
    assert "--yes" in refused.stderr
    assert json.loads(target.read_text()) == edited  # untouched
    user.ok("install", NAME, "--client", "cursor", "--write", "--yes", "--registry", served.url)
    replaced = json.loads(target.read_text())
    assert replaced["mcpServers"]["weather"]["args"] == ["-y", "@example/weather-mcp@1.1.0"]
    assert replaced["mcpServers"]["other"] == edited["mcpServers"]["other"]
    assert json.loads(target.with_name("mcp.json.bak").read_text()) == edited
    # Beside it under another key, nothing asked.
    user.ok(
        "install", NAME, "--client", "cursor", "--write", "--key", "weather-old",
        "--version", "1.0.0", "--registry", served.url,
    )  # fmt: skip
    both = json.loads(target.read_text())["mcpServers"]
    assert set(both) == {"weather", "other", "weather-old"}


def test_mistakes_are_one_line_each(user: User, served: Served) -> None:
    cases = [
        (("install", "io.github.nobody/none"), "has no server"),
        (("install", NAME, "--write"), "--write needs --client"),
        (("install", NAME, "--client", "generic", "--write"), "--write needs --client"),
        (("install", NAME, "--option", "7"), "Invalid option 7"),
        (("install", NAME, "--key", "a b"), "Invalid key"),
    ]
    for args, message in cases:
        result = user.run(*args, "--registry", served.url)
        assert result.returncode != 0, args
        no_traceback(result)
        assert message in result.stderr, (args, result.stderr)
    broken = user.project / "broken.json"
    broken.write_text('{"mcpServers": [1, 2]}')
    result = user.run(
        "install", NAME, "--client", "cursor", "--write", "--config", str(broken),
        "--registry", served.url,
    )  # fmt: skip
    assert result.returncode == 1
    assert "is not a file Registrum can edit" in result.stderr
    assert broken.read_text() == '{"mcpServers": [1, 2]}'


def test_write_never_writes_through_links_and_keeps_line_endings(
    user: User, served: Served
) -> None:
    # A cloned project that plants its backup name as a link to a file of the user's.
    victim = user.home / "authorized_keys"
    victim.write_text("ssh-ed25519 AAAA-MINE me@host\n")
    vscode = user.project / ".vscode"
    vscode.mkdir()
    planted = '/*\r\nssh-ed25519 AAAA-ATTACKER evil@x\r\n*/\r\n{\r\n  "servers": {}\r\n}\r\n'
    (vscode / "mcp.json").write_bytes(planted.encode())
    (vscode / "mcp.json.bak").symlink_to(victim)
    user.ok("install", NAME, "--client", "vscode", "--write", "--registry", served.url)
    assert victim.read_text() == "ssh-ed25519 AAAA-MINE me@host\n"
    backup = vscode / "mcp.json.bak"
    assert not backup.is_symlink()
    assert backup.read_bytes() == planted.encode()
    written = (vscode / "mcp.json").read_bytes()
    assert written.count(b"\n") == written.count(b"\r\n") > 5  # a Windows file stays one
    # A configuration kept as a link (dotfiles) is edited where it points; the link stays.
    real = user.home / "dotfiles" / "cursor.json"
    real.parent.mkdir()
    real.write_text('{"mcpServers": {"other": {"url": "https://mcp.example.com/mcp"}}}\n')
    link = user.home / ".cursor" / "mcp.json"
    link.parent.mkdir()
    link.symlink_to(real)
    user.ok("install", NAME, "--client", "cursor", "--write", "--registry", served.url)
    assert link.is_symlink()
    assert set(json.loads(real.read_text())["mcpServers"]) == {"other", "weather"}
