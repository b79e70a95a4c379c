"""ASGI middleware: routing on the still-encoded path, and a cap on request bodies."""

from __future__ import annotations

import re
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registrum.api.problems import problem_response

# A name sent without encoding its '/': /v0.1/servers/ns/name/versions/... Rewritten to the
# encoded form; a trailing member other than 'versions' keeps it unambiguous.
_UNENCODED_NAME: Final = re.compile(
    r"^(/v0(?:\.1)?/servers/)([^/]+)/([^/]+)/((?:versions(?:/[^/]+(?:/status)?)?)|status)$"
)


class RawPathMiddleware:
    """Route on the raw path so that ``%2F`` inside a server name does not split segments.

    Path parameters then reach the handlers still encoded; they decode them strictly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("raw_path"):
            scope = dict(scope, path=routing_path(scope))
        await self.app(scope, receive, send)


def routing_path(scope: Scope) -> str:
    """The path the routes see: the raw one (``%2F`` kept) under the API prefixes, with a
    name sent unencoded put in its encoded form."""
    raw = scope.get("raw_path")
    if not raw:
        return str(scope["path"])
    path = raw.decode("latin-1").split("?", 1)[0]
    if "%" in path and not path.startswith("/v0"):
        path = scope["path"]
    match = _UNENCODED_NAME.match(path)
    if match and match.group(3) not in ("versions", "status"):
        path = f"{match.group(1)}{match.group(2)}%2F{match.group(3)}/{match.group(4)}"
    return str(path)


class BodyLimitMiddleware:
    """Refuse request bodies larger than ``limit`` bytes with 413 problem JSON."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            f"request body exceeds the limit of {self.limit} bytes",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.limit + 1
                if declared > self.limit:
                    await self._too_large(scope, receive, send)
                    return
        # Read the body up front (it is small by construction) so an over-long chunked body
        # is refused before the application sees any of it.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
