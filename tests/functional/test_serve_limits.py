"""`registrum serve` bounds what a client may send: headers (size, and time to send them)
and the body (time). Against a real `serve` process with short limits (2 s), so the test
stays quick; the defaults are 64 KiB, 10 s and 30 s."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.functional.test_mirror import SERVE_ENV
from tests.processes import serving

pytestmark = pytest.mark.slow

LIMIT_SECONDS = 2.0
ENV = {
    **SERVE_ENV,
    "MCP_REGISTRY_HTTP_HEADER_TIMEOUT": str(LIMIT_SECONDS),
    "MCP_REGISTRY_HTTP_BODY_TIMEOUT": str(LIMIT_SECONDS),
    "MCP_REGISTRY_MIRROR_SYNC": "false",
}


@pytest.fixture(params=[1, 2], ids=["1-worker", "2-workers"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, int]]:
    env = {**ENV, "MCP_REGISTRY_WORKERS": str(request.param)}
    with serving(tmp_path, env) as (base, _):
        yield base, int(base.rpartition(":")[2])


def closed(sock: socket.socket) -> bool:
    """Whether the server closed the connection (whatever it said first)."""
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_slow_header_sockets_are_closed_and_others_are_served(server: tuple[str, int]) -> None:
    base, port = server
    socks = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /v0.1/ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    started = time.monotonic()
    # Meanwhile an ordinary request is answered promptly.
    r = httpx.get(f"{base}/v0.1/ping", timeout=5)
    assert r.status_code == 200
    assert time.monotonic() - started < 1.5
    open_ = list(socks)
    while open_ and time.monotonic() - started < LIMIT_SECONDS + 3:
        for s in list(open_):
            try:
                s.send(b"a")  # one byte now and then: the attack
            except OSError:
                open_.remove(s)
                continue
            if closed(s):
                open_.remove(s)
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    for s in socks:
        s.close()
    assert not open_, f"{len(open_)} of 200 slow sockets still open after {elapsed:.1f} s"
    assert httpx.get(f"{base}/v0.1/ping", timeout=5).status_code == 200


def test_a_30_mb_header_is_refused(server: tuple[str, int]) -> None:
    base, port = server
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /v0.1/ping HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            while sent < 30 * 1024 * 1024:
                s.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass  # the server closed the connection while we sent
        s.settimeout(5)
        try:
            answer = s.recv(65536)
        except OSError:
            answer = b""
    assert answer.startswith(b"HTTP/1.1 431") or sent < 30 * 1024 * 1024, answer[:100]
    assert httpx.get(f"{base}/v0.1/ping", timeout=5).status_code == 200


def test_a_slow_body_is_cut_off(server: tuple[str, int]) -> None:
    _, port = server
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(
            b"POST /v0.1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        started = time.monotonic()
        s.settimeout(LIMIT_SECONDS + 5)
        answer = s.recv(65536)
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert LIMIT_SECONDS - 0.5 < elapsed < LIMIT_SECONDS + 3


def test_headers_under_the_cap_and_a_prompt_body_are_served(server: tuple[str, int]) -> None:
    base, _ = server
    r = httpx.get(f"{base}/v0.1/ping", headers={"X-Fill": "a" * 32_000}, timeout=5)
    assert r.status_code == 200
    r = httpx.post(f"{base}/v0.1/publish", content=b"{}" + b" " * 500_000, timeout=10)
    assert r.status_code in (400, 401, 413, 422)
