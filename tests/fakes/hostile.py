"""A hostile HTTP server on a loopback address of the test's choosing (``127.0.0.2`` too:
all of 127.0.0.0/8 is loopback on Linux): it redirects anywhere, or streams an answer of
any size without holding it in memory, and counts what it sent.

    with HostileServer("127.0.0.2", redirect_to("http://127.0.0.1:9/")) as server: ...
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Behaviour = Callable[["_Handler"], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.sent = 0
        self.paths: list[str] = []
        super().__init__((host, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hanging up mid-answer is the case under test


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: _Server

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.server.behaviour(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.server.sent += len(data)


def redirect_to(target: str) -> Behaviour:
    def behave(handler: _Handler) -> None:
        handler.send_response(302)
        handler.send_header("Location", target + handler.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return behave


def stream(
    total: int,
    *,
    prefix: bytes = b'{"servers": [',
    fill: bytes = b" " * 65536,
    headers: dict[str, str] | None = None,
    first: Behaviour | None = None,
) -> Behaviour:
    """Answer ``prefix`` then ``fill`` repeated up to ``total`` bytes, with no
    Content-Length (the end of the answer is the end of the connection). ``first``, if
    given, answers the first request instead (a normal page before the huge one)."""
    served = [0]

    def behave(handler: _Handler) -> None:
        served[0] += 1
        if first is not None and served[0] == 1:
            first(handler)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.write(prefix)
        written = len(prefix)
        while written < total:
            handler.write(fill)
            written += len(fill)

    return behave


class HostileServer:
    def __init__(self, host: str, behaviour: Behaviour) -> None:
        self._server = _Server(host, behaviour)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def behave(self, behaviour: Behaviour) -> None:
        """Answer later requests with ``behaviour`` instead."""
        self._server.behaviour = behaviour

    @property
    def sent(self) -> int:
        return self._server.sent

    @property
    def paths(self) -> list[str]:
        return self._server.paths

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
