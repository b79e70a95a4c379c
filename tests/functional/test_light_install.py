"""``pip install registrum`` without the server extra: the publisher CLI and the client work,
the server's packages are absent, and the operator verbs say what to install.

The light install is built for real, in a fresh virtualenv from a copy of this source tree,
and its ``registrum`` publishes to a real ``registrum serve`` run from the test virtualenv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import typer
from typer.core import TyperGroup

from registrum.main import OPERATOR_COMMANDS
from registrum.server import commands, mirror_commands
from tests.conftest import TEST_SEED
from tests.factories import ANON, enc, server_json
from tests.processes import serving

ROOT = Path(__file__).resolve().parents[2]
# The packages only the server extra brings, by import name.
SERVER_ONLY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg")
SERVER_EXTRA = "pip install 'registrum[server]'"
# What pip prints when it cannot reach the package index: the build is skipped, not failed.
NO_NETWORK = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "NewConnectionError",
    "ConnectTimeoutError",
    "Read timed out",
    "ProxyError",
)


def test_the_light_install_stands_in_for_every_operator_command() -> None:
    # main.py names the operator commands a light install answers with "needs the server";
    # a command added to registrum.server's command modules must be added there too.
    full = typer.Typer()
    commands.register(full)
    mirror_commands.register(full)
    group = typer.main.get_command(full)
    assert isinstance(group, TyperGroup)
    assert sorted(group.commands) == sorted(OPERATOR_COMMANDS)


def light_venv(root: Path) -> Path:
    """``pip install registrum`` (no extras) into a new virtualenv; its bin folder."""
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    # A copy, so the build's egg-info and build/ folders stay out of the work tree.
    shutil.copytree(
        ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_ = venv / "bin"
    install = subprocess.run(
        [str(bin_ / "python"), "-m", "pip", "install", "--quiet", str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = install.stdout + install.stderr
    if install.returncode != 0 and any(marker in output for marker in NO_NETWORK):
        pytest.skip(f"cannot reach the package index to build the light install:\n{output}")
    assert install.returncode == 0, output
    return bin_


def light(
    bin_: Path, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_ / "registrum"), *args],
        cwd=cwd,
        env={**os.environ, **env, "COLUMNS": "200", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_pip_install_registrum_gives_the_publisher_cli_without_the_server(
    tmp_path: Path,
) -> None:
    # One virtualenv for every check: building it is most of this test's time.
    bin_ = light_venv(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    # The user's own home and config folder, so the kept login is this test's.
    user = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config")}

    # 1. None of the server's packages came along.
    probe = subprocess.run(
        [
            str(bin_ / "python"),
            "-c",
            "import importlib.util, sys; "
            "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))",
            *SERVER_ONLY,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert probe.stdout.split() == [], f"the light install has {probe.stdout}"
    helped = light(bin_, "--help", cwd=project, env=user)
    assert helped.returncode == 0, helped.stdout + helped.stderr
    for verb in ("validate", "publish", "login", "serve", "mirror"):
        assert verb in helped.stdout

    # 2. validate: a good document passes, a bad one names each problem.
    name = f"{ANON}/light-install"
    (project / "server.json").write_text(json.dumps(server_json(name=name, version="1.0.0")))
    good = light(bin_, "validate", "server.json", cwd=project, env=user)
    assert good.returncode == 0, good.stdout + good.stderr
    assert f"{name} 1.0.0" in good.stdout
    (project / "bad.json").write_text(
        json.dumps(server_json(name="bad name", version="latest", description="x" * 101))
    )
    bad = light(bin_, "validate", "bad.json", cwd=project, env=user)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    for path in ("name:", "version:", "description:"):
        assert path in bad.stdout, bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr

    # 3. login and publish to a registry run from the full install; the version is served.
    folder = tmp_path / "registry"
    folder.mkdir()
    env = {"MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED, "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true"}
    with serving(folder, env) as (registry, _):
        login = light(bin_, "login", "none", "--registry", registry, cwd=project, env=user)
        assert login.returncode == 0, login.stdout + login.stderr
        published = light(bin_, "publish", "--registry", registry, cwd=project, env=user)
        assert published.returncode == 0, published.stdout + published.stderr
        assert f"published {name} 1.0.0 to {registry}" in published.stdout
        served = httpx.get(f"{registry}/v0.1/servers/{enc(name)}/versions/1.0.0")
        assert served.status_code == 200, served.text
        assert served.json()["server"]["name"] == name

    # 4. The operator verbs, whatever they are given, say what to install: one line, exit 2.
    for args in (("serve",), ("serve", "--help"), ("mirror", "sync"), ("import", "x.json")):
        result = light(bin_, *args, cwd=project, env=user)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert f"`registrum {args[0]}` needs the server: {SERVER_EXTRA}" in lines[0]
