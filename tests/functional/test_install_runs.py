"""A generated stdio configuration really starts a server.

A tiny MCP server (tests/fixtures/tiny_mcp_server/) is packed at test time as the package a
publisher would publish, served from a package registry on 127.0.0.1, and described in a
server.json the way a publisher describes theirs. The ``generic`` configuration that
:func:`registrum.core.install.install_configs` writes for it is then run exactly as written,
command, arguments and environment, by the official MCP Python SDK's stdio client, which
initializes, lists the tools and calls ``echo_setup``: the server answers with the arguments
it was started with and the value of its environment variable, so the test sees that the
fixed package arguments and the environment variable of the server.json arrived.

- pypi: a wheel, served from a PEP 503 "simple" index, run with ``uvx`` (the ``uv`` package);
- npm: a tarball, served from an npm registry, run with ``npx`` (skipped without node/npx).

Nothing but loopback is reachable: the launchers' caches and tool folders are in
``tmp_path``, their configuration files are not read, the interpreter uv runs is this one
(no download) and every proxy variable points at a loopback port that refuses connections,
with only 127.0.0.1 exempt, so a request to any public host fails instead of leaving.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import socket
import sys
import sysconfig
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from registrum.core.install import install_configs
from registrum.core.server_json import ServerDetail
from tests.fakes.loopback import LoopbackServer, Reply, Request

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_mcp_server"
NAME = "tiny-mcp-server"
VERSION = "0.1.0"
SETTING = "TINY_MCP_SETTING"
SETTING_VALUE = "set by server.json"
# The package arguments of the server.json, and so what the server must be started with.
PACKAGE_ARGUMENTS = [
    {"type": "positional", "valueHint": "mode", "value": "serve"},
    {"type": "named", "name": "--greeting", "value": "hello from server.json"},
]
EXPECTED_ARGV = ["serve", "--greeting", "hello from server.json"]
RUN_TIMEOUT = 180.0  # seconds for one whole session, the launcher's install included


def server_json(registry_type: str, base_url: str) -> dict[str, Any]:
    return {
        "name": "io.github.registrum-tests/tiny",
        "description": "A tiny MCP server that tells how it was started",
        "version": VERSION,
        "packages": [
            {
                "registryType": registry_type,
                "registryBaseUrl": base_url,
                "identifier": NAME,
                "version": VERSION,
                "transport": {"type": "stdio"},
                "packageArguments": PACKAGE_ARGUMENTS,
                "environmentVariables": [
                    {
                        "name": SETTING,
                        "description": "A setting the server reports back",
                        "value": SETTING_VALUE,
                    }
                ],
            }
        ],
    }


def generic_config(document: dict[str, Any]) -> dict[str, Any]:
    ServerDetail.model_validate(document)  # a server.json the registry accepts
    result = install_configs(document, clients=["generic"])
    generic = result.configs["generic"]
    assert generic.reason is None, generic.reason
    assert not generic.warnings, generic.warnings
    return dict(generic.config)


# -- the packages ------------------------------------------------------------------------


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def build_wheel() -> tuple[str, bytes]:
    """The wheel of tiny-mcp-server (file name, bytes), packed by hand as the wheel spec
    says: nothing to build, nothing to download."""
    dist_info = f"tiny_mcp_server-{VERSION}.dist-info"
    files = {
        "tiny_mcp_server.py": (FIXTURE / "tiny_mcp_server.py").read_bytes(),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: A tiny MCP server that tells how it was started\n"
            "Requires-Python: >=3.8\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: registrum-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
        f"{dist_info}/entry_points.txt": (
            f"[console_scripts]\n{NAME} = tiny_mcp_server:main\n".encode()
        ),
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return f"tiny_mcp_server-{VERSION}-py3-none-any.whl", out.getvalue()


def build_npm_tarball() -> bytes:
    """The npm tarball of tiny-mcp-server: package.json and the script, under ``package/``."""
    manifest = {"name": NAME, "version": VERSION, "bin": {NAME: "tiny-mcp-server.js"}}
    files = {
        "package/package.json": (json.dumps(manifest, indent=2).encode(), 0o644),
        "package/tiny-mcp-server.js": ((FIXTURE / "tiny-mcp-server.js").read_bytes(), 0o755),
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, (data, mode) in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


# -- the registries ----------------------------------------------------------------------


@dataclass
class Registry:
    url: str
    requests: list[str]  # "GET /path" of each request, for failure messages


@contextmanager
def pypi_registry() -> Iterator[Registry]:
    """A PyPI-shaped registry on loopback: the base URL a server.json names is the
    registry's root, and the PEP 503 "simple" index is ``<base>/simple/``, as on PyPI."""
    wheel_name, wheel = build_wheel()
    digest = hashlib.sha256(wheel).hexdigest()
    seen: list[str] = []

    def handle(req: Request) -> Reply:
        seen.append(f"{req.method} {req.path}")
        if req.path in ("/simple/", "/simple"):
            return Reply.text(f'<a href="/simple/{NAME}/">{NAME}</a>', content_type="text/html")
        if req.path == f"/simple/{NAME}":
            return Reply(301, b"", {"Location": f"/simple/{NAME}/"})
        if req.path == f"/simple/{NAME}/":
            link = f'<a href="/files/{wheel_name}#sha256={digest}">{wheel_name}</a>'
            page = f"<!DOCTYPE html><html><body>{link}</body></html>"
            return Reply.text(page, content_type="text/html")
        if req.path == f"/files/{wheel_name}":
            return Reply(200, wheel, {"Content-Type": "application/octet-stream"})
        return Reply.text("not found", status=404)

    with LoopbackServer(handle) as server:
        yield Registry(server.url, seen)


@contextmanager
def npm_registry() -> Iterator[Registry]:
    """An npm registry on loopback: the packument at ``<base>/<name>``, the tarball under it."""
    tarball = build_npm_tarball()
    seen: list[str] = []
    holder: dict[str, str] = {}

    def handle(req: Request) -> Reply:
        seen.append(f"{req.method} {req.path}")
        file = f"{NAME}-{VERSION}.tgz"
        if req.path == f"/{NAME}":
            integrity = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
            dist = {
                "tarball": f"{holder['url']}/{NAME}/-/{file}",
                "shasum": hashlib.sha1(tarball).hexdigest(),  # noqa: S324 - npm's own field
                "integrity": f"sha512-{integrity}",
            }
            release = {
                "name": NAME,
                "version": VERSION,
                "bin": {NAME: "tiny-mcp-server.js"},
                "dist": dist,
            }
            return Reply.json(
                {"name": NAME, "dist-tags": {"latest": VERSION}, "versions": {VERSION: release}}
            )
        if req.path == f"/{NAME}/-/{file}":
            return Reply(200, tarball, {"Content-Type": "application/octet-stream"})
        return Reply.json({"error": "Not found"}, 404)

    with LoopbackServer(handle) as server:
        holder["url"] = server.url
        yield Registry(server.url, seen)


# -- running a configuration -------------------------------------------------------------


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that is bound but not listening: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def loopback_only(tmp_path: Path, dead_port: int) -> dict[str, str]:
    """The environment a client would start the server in, less everything that could make
    a launcher read this machine's configuration or reach past loopback."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    dead = f"http://127.0.0.1:{dead_port}"
    scripts = sysconfig.get_path("scripts")  # where `uvx` of the dev extra is installed
    return {
        "PATH": os.pathsep.join([scripts, os.environ.get("PATH", os.defpath)]),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        # uv: no configuration files, everything under tmp_path, this interpreter
        "UV_NO_CONFIG": "1",
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_TOOL_DIR": str(tmp_path / "uv-tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "uv-bin"),
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv-python"),
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        # npm: no user or global configuration, its cache under tmp_path, no side requests
        "npm_config_userconfig": str(home / ".npmrc"),
        "npm_config_globalconfig": str(home / "npmrc-global"),
        "npm_config_cache": str(tmp_path / "npm-cache"),
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
        "npm_config_proxy": dead,
        "npm_config_https_proxy": dead,
        "npm_config_noproxy": "127.0.0.1",
        # anything else: a request past loopback goes to a refused port
        "HTTP_PROXY": dead,
        "HTTPS_PROXY": dead,
        "ALL_PROXY": dead,
        "http_proxy": dead,
        "https_proxy": dead,
        "all_proxy": dead,
        "NO_PROXY": "127.0.0.1",
        "no_proxy": "127.0.0.1",
    }


@dataclass
class Session:
    protocol_version: str
    server_name: str
    tools: list[str]
    setup: dict[str, Any]


async def speak_mcp(command: str, args: list[str], env: dict[str, str], errlog: Path) -> Session:
    params = StdioServerParameters(command=command, args=args, env=env, cwd=errlog.parent)
    with errlog.open("w") as err, anyio.fail_after(RUN_TIMEOUT):
        async with (
            stdio_client(params, errlog=err) as (read, write),
            ClientSession(read, write) as session,
        ):
            started = await session.initialize()
            listed = await session.list_tools()
            called = await session.call_tool("echo_setup", {})
    assert not called.is_error, called
    text = called.content[0]
    assert text.type == "text", called
    return Session(
        started.protocol_version,
        started.server_info.name,
        [tool.name for tool in listed.tools],
        json.loads(text.text),
    )


def run_config(config: dict[str, Any], registry: Registry, tmp_path: Path) -> Session:
    """Starts ``config`` exactly as written (its env merged over the loopback-only one, as a
    client merges it over its own) and speaks MCP to it."""
    errlog = tmp_path / "server.stderr"
    with refused_port() as dead:
        env = {**loopback_only(tmp_path, dead), **config.get("env", {})}
        try:
            return anyio.run(
                speak_mcp, config["command"], list(config.get("args", [])), env, errlog
            )
        except Exception as exc:
            stderr = errlog.read_text(errors="replace") if errlog.exists() else ""
            raise AssertionError(
                f"running {config} failed: {exc!r}\n--- the server's stderr:\n{stderr}"
                f"--- the registry was asked: {registry.requests}"
            ) from exc


def check_session(session: Session) -> None:
    assert session.server_name == NAME
    assert session.tools == ["echo_setup"]
    assert session.setup == {"argv": EXPECTED_ARGV, "env": {SETTING: SETTING_VALUE}}


def check_package_args(args: list[str], spec: str) -> None:
    """The package, then the package arguments of the server.json, in their order."""
    assert spec in args, args
    assert args[args.index(spec) + 1 :] == EXPECTED_ARGV, args


# -- the tests ---------------------------------------------------------------------------


def test_pypi_package_config_runs_with_uvx(tmp_path: Path) -> None:
    if shutil.which("uvx", path=sysconfig.get_path("scripts")) is None:
        pytest.skip("uvx is not installed beside this interpreter (the dev extra's `uv`)")
    with pypi_registry() as registry:
        config = generic_config(server_json("pypi", registry.url))
        assert config["transport"] == "stdio"
        assert config["command"] == "uvx"
        args = config["args"]
        assert "--index-url" in args, args
        index = args[args.index("--index-url") + 1]
        assert index.startswith(registry.url), args
        check_package_args(args, f"{NAME}@{VERSION}")
        assert config["env"] == {SETTING: SETTING_VALUE}

        session = run_config(config, registry, tmp_path)
        check_session(session)
        assert f"GET /files/tiny_mcp_server-{VERSION}-py3-none-any.whl" in registry.requests


def test_npm_package_config_runs_with_npx(tmp_path: Path) -> None:
    missing = [tool for tool in ("node", "npx") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the npm case runs the real npx")
    with npm_registry() as registry:
        config = generic_config(server_json("npm", registry.url))
        assert config["transport"] == "stdio"
        assert config["command"] == "npx"
        args = config["args"]
        assert "-y" in args, args
        assert args[args.index("--registry") + 1] == registry.url, args
        check_package_args(args, f"{NAME}@{VERSION}")
        assert config["env"] == {SETTING: SETTING_VALUE}

        session = run_config(config, registry, tmp_path)
        check_session(session)
        assert f"GET /{NAME}/-/{NAME}-{VERSION}.tgz" in registry.requests
