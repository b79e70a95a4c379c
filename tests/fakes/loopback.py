"""A tiny real HTTP server on 127.0.0.1 for fakes of outside services.

Each fake is a function ``handle(request) -> Reply`` served by :class:`LoopbackServer` on a
free port, in a background thread, over real sockets::

    def handle(req: Request) -> Reply:
        return Reply.json({"hello": req.query_one("name")})

    with LoopbackServer(handle) as server:
        httpx.get(f"{server.url}/?name=x")

Connections are closed after every response (HTTP/1.0 style), so stopping a server never
leaves sockets open in clients' pools or in handler threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def query_one(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def bearer(self) -> str | None:
        """The token of ``Authorization: Bearer <t>`` (or GitHub's older ``token <t>``)."""
        value = self.header("authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() in {"bearer", "token"} and token.strip():
            return token.strip()
        return None

    def form(self) -> dict[str, str]:
        """Form fields, from a url-encoded or JSON body, and from the query string."""
        fields = {k: v[0] for k, v in self.query.items() if v}
        content_type = (self.header("content-type") or "").lower()
        if "json" in content_type:
            try:
                data = json.loads(self.body or b"{}")
            except ValueError:
                data = {}
            if isinstance(data, dict):
                fields.update({str(k): str(v) for k, v in data.items()})
        elif self.body:
            parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            fields.update({k: v[0] for k, v in parsed.items() if v})
        return fields


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(
            status,
            json.dumps(data).encode(),
            {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        )

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Reply:
        return cls(status, text.encode(), {"Content-Type": f"{content_type}; charset=utf-8"})


Handler = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: Handler) -> None:
        self.app = handler
        super().__init__(("127.0.0.1", 0), _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a size cap, a timeout) is a case under test, not an
        # error of the fake: keep the test output clean.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            reply = self.server.app(request)
        except Exception as exc:  # a bug in a fake must show up in the test, not hang it
            reply = Reply.text(f"fake server error: {exc!r}", status=500)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read the fakes' request logs instead


class StopsOnExit:
    """``with`` support for the fakes: leaving the block stops them."""

    def stop(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class LoopbackServer(StopsOnExit):
    """Serves ``handler`` on ``127.0.0.1:<free port>`` until :meth:`stop`."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running: call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        if self._server is None:
            self._server = _Server(self._handler)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-http-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
            self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()


class LoopbackFake(StopsOnExit):
    """Start/stop and ``with`` support for a fake served by one :class:`LoopbackServer`
    kept in ``self._server``."""

    _server: LoopbackServer

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()
