"""A real ``registrum serve`` in its own process group, for tests that kill or measure it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_SEED

ANON = "io.modelcontextprotocol.anonymous"


def start(cwd: Path, database_url: str, port: int, **extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MCP_REGISTRY_DATABASE_URL": database_url,
        "MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED,
        "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true",
        "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION": "false",
        "MCP_REGISTRY_LOG_LEVEL": "warning",
        **extra,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "registrum", "serve", "--address", f"127.0.0.1:{port}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("registrum serve exited early")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v0.1/ping", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("registrum serve did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def rss_mib(proc: subprocess.Popen[bytes]) -> float:
    """The serving process's resident memory, from /proc."""
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def anonymous_headers(base: str) -> dict[str, str]:
    token = httpx.post(f"{base}/v0.1/auth/none", timeout=10).json()["registry_token"]
    return {"Authorization": f"Bearer {token}"}
