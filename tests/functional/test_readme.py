"""The README's first-five-minutes commands, run verbatim against a real `registrum serve`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

from registrum.main import app
from tests.processes import serving

README = Path(__file__).resolve().parents[2] / "README.md"
pytestmark = pytest.mark.slow


def readme_block(marker: str) -> str:
    text = README.read_text()
    match = re.search(rf"<!-- readme-test: {marker} -->\s*```bash\n(.*?)```", text, re.S)
    assert match, f"README has no block marked {marker}"
    return match.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_first_five_minutes_work_as_written(tmp_path):
    script = readme_block("first-five-minutes")
    assert "127.0.0.1:8080" in script
    with serving(tmp_path) as (base, _):
        address = base.removeprefix("http://")
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace("127.0.0.1:8080", address)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    # Each curl prints one JSON document; they are concatenated on stdout.
    decoder, out, docs = json.JSONDecoder(), result.stdout.strip(), []
    while out:
        doc, end = decoder.raw_decode(out)
        docs.append(doc)
        out = out[end:].lstrip()
    published, listed, latest, versions, install = docs
    name = "io.modelcontextprotocol.anonymous/weather"
    assert published["server"]["name"] == name
    assert [s["server"]["name"] for s in listed["servers"]] == [name]
    assert latest["server"] == published["server"]
    assert latest["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"] is True
    assert versions["metadata"]["count"] == 1
    entry = install["configs"]["vscode"]["config"]["servers"]["weather"]
    assert entry == {"type": "http", "url": published["server"]["remotes"][0]["url"]}


def _commands() -> dict[tuple[str, ...], Any]:
    """Every command `registrum` has, by its path: ``("export",)``, ``("mirror", "add")``."""
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    found: dict[tuple[str, ...], Any] = {}
    for name, command in root.commands.items():
        if isinstance(command, TyperGroup):
            found.update({(name, sub): c for sub, c in command.commands.items()})
        else:
            found[(name,)] = command
    return found


def _command_table(commands: dict[tuple[str, ...], Any]) -> dict[tuple[str, ...], str]:
    """The README's command table: each command path it names (`login none|dns` names two)
    with the text of its first cell."""
    rows = re.findall(r"^\| `(registrum [^`]*)` \|", README.read_text(), re.M)
    assert rows, "README has no command table"
    table: dict[tuple[str, ...], str] = {}
    for row in rows:
        cell = row.replace("\\|", "|")
        words = cell.split()
        if (words[1],) in commands:
            table[(words[1],)] = cell
        else:
            table.update({(words[1], sub): cell for sub in words[2].split("|")})
    return table


def test_the_command_table_lists_every_command_with_options_it_has():
    commands = _commands()
    table = _command_table(commands)
    missing, unknown = sorted(commands.keys() - table.keys()), sorted(table.keys() - commands)
    assert not missing, f"commands missing from README's command table: {missing}"
    assert not unknown, f"README's command table lists commands that do not exist: {unknown}"
    for path, cell in table.items():
        options = {o for p in commands[path].params for o in p.opts}
        for named in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", cell):
            assert named in options, f"README: `{cell}`: {named} is not an option of {path}"
