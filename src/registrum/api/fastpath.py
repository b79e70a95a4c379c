"""A fast path for the hottest uncached read: the list call (VS Code asks for its first page
again and again, and mirrors walk every page).

FastAPI's per-request work for that route — solving seven parameters and dependencies —
cost as much as the query and the serialisation together. This middleware answers a list
call whose query string is plainly well-formed (known parameters, each once, UTF-8, a limit
in range) by calling the same function the route calls (``routes.servers.list_body``), and
hands everything else to the route: anything unusual, invalid or failing gets the route's own
validation and error answers, so the two can never disagree on what is accepted.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from registrum.api.context import ApiContext
from registrum.api.routes.servers import list_body
from registrum.core.errors import RegistrumError
from registrum.services.query import MAX_LIMIT

_LIST_PATHS: Final = frozenset({"/v0.1/servers", "/v0/servers"})
# Parameters the fast path takes; others (updated_since, include_deleted, unknown ones) go
# to the route.
_TAKEN: Final = frozenset({"limit", "cursor", "search", "version"})
_LIMIT: Final = re.compile(r"^[1-9][0-9]{0,2}$")
_HEADERS: Final = [(b"content-type", b"application/json")]


def _plain(query: bytes) -> dict[str, str] | None:
    """The parameters, when the fast path may answer them; None sends the request on."""
    try:
        pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    params = dict(pairs)
    if len(params) != len(pairs) or not params.keys() <= _TAKEN:
        return None
    if any(ord(c) < 32 for value in params.values() for c in value):
        return None
    limit = params.get("limit")
    if limit is not None and (not _LIMIT.match(limit) or int(limit) > MAX_LIMIT):
        return None
    return params


class FastListMiddleware:
    def __init__(self, app: ASGIApp, ctx: ApiContext, default_limit: int) -> None:
        self.app = app
        self._ctx = ctx
        self._default_limit = default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in _LIST_PATHS:
            params = _plain(scope.get("query_string", b""))
            if params is not None:
                try:
                    body = await list_body(
                        self._ctx,
                        int(params.get("limit", self._default_limit)),
                        params.get("cursor"),
                        params.get("search"),
                        None,
                        params.get("version"),
                        None,
                    )
                except RegistrumError:
                    pass  # the route answers it, with its problem JSON
                else:
                    headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)
