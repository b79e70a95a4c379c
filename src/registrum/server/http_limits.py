"""Limits on what a client may send to ``registrum serve``: the size of a request's headers
and the time it may take to send them, and its body.

uvicorn's httptools protocol caps neither: a client could send a 30 MB header, or keep a
socket open by sending a header one byte every two seconds (each byte cancels the
keep-alive timer), and 200 such sockets stayed open indefinitely. This subclass keeps
httptools' parser and adds, per request, one timer and a byte count while the headers
arrive:

- headers larger than the cap get ``431`` and the connection is closed;
- headers not complete within the header timeout (counted from the connection, or from
  the request's first byte on a kept-alive connection) get ``408`` and a close;
- a body not complete within the body timeout after its headers gets ``408`` (when no
  answer has started) and a close; the application sees a disconnect.

The body timeout does not count time the server itself spends not reading (uvicorn pauses
reading while the application has not taken what it was sent): the timer is simply
re-armed while reading is paused.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_MAX_HEADER_BYTES: Final = 64 * 1024
DEFAULT_HEADER_TIMEOUT: Final = 10.0
DEFAULT_BODY_TIMEOUT: Final = 30.0


@dataclass(frozen=True)
class HttpLimits:
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT


def _answer(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


_431: Final = _answer(b"431 Request Header Fields Too Large")
_408: Final = _answer(b"408 Request Timeout")


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above; pass it to uvicorn as
    ``http=functools.partial(LimitedHttpToolsProtocol, limits=...)``."""

    def __init__(self, *args: Any, limits: HttpLimits = HttpLimits(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._timer: asyncio.TimerHandle | None = None
        self._in_headers = True  # between requests, or receiving a request's headers
        self._header_bytes = 0
        self._body_deadline = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            if self._timer is None:  # the first byte of a request on a kept-alive connection
                self._arm(self.limits.header_timeout)
            self._header_bytes += len(data)
        super().data_received(data)
        # Counted before parsing, judged after: a chunk holding small headers and a large
        # body has completed the headers by now.
        if self._in_headers and self._header_bytes > self.limits.max_header_bytes:
            self._refuse(_431)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._header_bytes = 0
        self._body_deadline = self.loop.time() + self.limits.body_timeout
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        # What arrives next is the next request's headers (perhaps pipelined before this
        # answer is out); its timer starts with its first byte.
        self._disarm()
        self._in_headers = True
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if not self._in_headers:
            left = self._body_deadline - self.loop.time()
            if left > 0:
                self._arm(left)  # the headers came in: the body's own deadline applies
                return
            if self.flow.read_paused:
                # The server is not reading (the application has not taken what it was
                # sent): not the client's delay, so the body gets a new deadline.
                self._body_deadline = self.loop.time() + self.limits.body_timeout
                self._arm(self.limits.body_timeout)
                return
        self._refuse(_408)

    def _refuse(self, answer: bytes) -> None:
        self._disarm()
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(answer)
        self.transport.close()
