"""Running the real ``registrum`` command in a child process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "registrum", *args],
        cwd=cwd,
        env={**os.environ, **(env or {}), "COLUMNS": "200", "NO_COLOR": "1"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def new_registry(cwd: Path, env: dict[str, str] | None = None) -> None:
    """Set up an empty registry in ``cwd`` as an operator would, by importing nothing: the
    operator commands other than ``serve`` and ``import`` refuse a folder without one."""
    empty = cwd / "empty-import.json"
    empty.write_text("[]")
    try:
        result = run_cli("import", str(empty), cwd=cwd, env=env)
        assert result.returncode == 0, result.stderr
    finally:
        empty.unlink()


@contextmanager
def serving(
    cwd: Path, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[tuple[str, Path]]:
    """``registrum serve`` on a free loopback port (or ``port``); yields (base URL, log file)."""
    port = port or free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "registrum", "serve", "--address", f"127.0.0.1:{port}"],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"registrum serve exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/v0.1/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"registrum serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
