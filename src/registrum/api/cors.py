"""CORS for the read API, as GitHub documents it for an MCP registry its editors point at.

Every read (GET, HEAD) under ``/v0.1`` and ``/v0`` — the server list and look-ups, the
extension reads under ``x/io.registrum``, health, ping and version — answers with
``Access-Control-Allow-Origin: *``, ``Access-Control-Allow-Methods: GET, OPTIONS`` and
``Access-Control-Allow-Headers: Authorization, Content-Type``, whatever the answer is: a
route's, the response cache's (a repeat or a 304), the fast list path's, a 308 of a renamed
name, a problem. An ``OPTIONS`` preflight on those paths is answered here, before
authentication and routing, with the same headers and no body.

Writes get no CORS headers: the preflight allows only GET, so a browser never sends them
cross-origin with credentials, and answering them is left to the routes.

An operator may restrict the origins (``MCP_REGISTRY_CORS_ALLOWED_ORIGINS``): then the
request's ``Origin`` is echoed when it is listed and no ``Access-Control-Allow-Origin`` is sent
otherwise, and every answer says ``Vary: Origin`` so that a shared cache keeps one answer per
origin.

Installed outside everything else (api/app.py), so no answer can leave without these headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ANY_ORIGIN: Final = "*"
_ALLOW_METHODS: Final = (b"access-control-allow-methods", b"GET, OPTIONS")
_ALLOW_HEADERS: Final = (b"access-control-allow-headers", b"Authorization, Content-Type")
_READS: Final = frozenset({"GET", "HEAD"})
_PREFIXES: Final = ("/v0/", "/v0.1/")


class CorsMiddleware:
    """ASGI middleware. ``origins`` is ``("*",)`` for any origin, or the exact origins
    (``https://tools.example.com``) that may read; it is never empty (no CORS: do not
    install the middleware)."""

    def __init__(self, app: ASGIApp, *, origins: Iterable[str]) -> None:
        self.app = app
        allowed = tuple(origins)
        self._any = allowed == (ANY_ORIGIN,)
        # Browsers send the origin in its serialised form: scheme and host in lower case.
        self._allowed = frozenset(o.lower().encode("latin-1") for o in allowed)

    def _headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        if self._any:
            return [(b"access-control-allow-origin", b"*"), _ALLOW_METHODS, _ALLOW_HEADERS]
        origin = next((v for k, v in scope["headers"] if k == b"origin"), None)
        if origin is None or origin.lower() not in self._allowed:
            return [(b"vary", b"Origin")]
        return [
            (b"access-control-allow-origin", origin),
            _ALLOW_METHODS,
            _ALLOW_HEADERS,
            (b"vary", b"Origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(_PREFIXES):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            # A preflight: answered here, so it needs no credentials and reaches no route.
            headers = self._headers(scope)
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if method not in _READS:
            await self.app(scope, receive, send)
            return
        extra = self._headers(scope)

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=_merged(message.get("headers", []), extra))
            await send(message)

        await self.app(scope, receive, with_cors)


def _merged(
    headers: Iterable[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``extra`` added; a ``Vary`` already there is extended, not doubled."""
    out = list(headers)
    for name, value in extra:
        if name == b"vary":
            at = next((i for i, (k, _) in enumerate(out) if k.lower() == b"vary"), None)
            if at is not None:
                out[at] = (out[at][0], out[at][1] + b", " + value)
                continue
        out.append((name, value))
    return out
