"""Clients that send slowly or never read their answers hold up no one: while dozens of
them hang on a real ``registrum serve``, other clients' reads and publishes are answered
at once."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import httpx

from tests.factories import server_json
from tests.processes import free_port
from tests.reliability.server import ANON, anonymous_headers, start, stop


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # so unread answers back up
    return s


def test_slow_senders_and_non_readers_do_not_hold_up_others(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path, database_url, port)
    hanging: list[socket.socket] = []
    try:
        headers = anonymous_headers(base)
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            for i in range(40):  # enough that a page of 100 is large
                doc = server_json(f"{ANON}/bulk-{i}", description="x" * 90)
                assert http.post("/v0.1/publish", json=doc).status_code == 200
        for _ in range(30):  # a request line and half the headers, then nothing
            s = _connect(port)
            s.sendall(b"GET /v0.1/servers HTTP/1.1\r\nHost: x\r\n")
            hanging.append(s)
        for _ in range(30):  # a publish whose 10 kB body never comes
            s = _connect(port)
            s.sendall(
                b"POST /v0.1/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 10000\r\n\r\n{"
            )
            hanging.append(s)
        for _ in range(30):  # many large answers asked for, none read
            s = _connect(port)
            s.sendall(b"GET /v0.1/servers?limit=100 HTTP/1.1\r\nHost: x\r\n\r\n" * 20)
            hanging.append(s)
        time.sleep(0.5)

        timings = []
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            for i in range(10):
                started = time.monotonic()
                r = http.get("/v0.1/servers", params={"search": f"bulk-{i}"})
                assert r.status_code == 200
                doc = server_json(f"{ANON}/while-hanging-{i}")
                assert http.post("/v0.1/publish", json=doc).status_code == 200, doc
                timings.append(time.monotonic() - started)
        assert max(timings) < 1.0, timings
    finally:
        for s in hanging:
            with contextlib.suppress(OSError):
                s.close()
        stop(proc)
