"""What the routes need, handed to the app by the composition root."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Annotated, Final, ParamSpec, TypeVar
from urllib.parse import unquote, unquote_to_bytes

from fastapi import Depends, Header, Request

from registrum.api.client_address import client_address
from registrum.api.lanes import Lanes
from registrum.api.rate_limits import RateLimitConfig
from registrum.api.request_state import note_subject
from registrum.core.errors import AuthenticationError, InvalidInputError, Problem
from registrum.core.permissions import Principal
from registrum.services.auth import TokenExchange
from registrum.services.importing import ImportService
from registrum.services.mirror import MirrorService
from registrum.services.moderation import ModerationService
from registrum.services.publish import PublishService
from registrum.services.query import QueryService
from registrum.services.renames import RenameService
from registrum.services.search import SearchService
from registrum.services.tokens import TokenService

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class BuildInfo:
    version: str = "dev"
    git_commit: str = "unknown"
    build_time: str = "unknown"


@dataclass(frozen=True)
class ApiContext:
    query: QueryService
    publish: PublishService
    moderation: ModerationService
    tokens: TokenService
    importer: ImportService
    auth: TokenExchange
    renames: RenameService
    mirror: MirrorService
    search: SearchService
    github_client_id: str = ""
    build: BuildInfo = field(default_factory=BuildInfo)
    max_body_bytes: int = 1024 * 1024
    response_cache_bytes: int = 64 * 1024 * 1024
    cache_max_age: int = 0
    # ("*",): any origin may read; a tuple of origins restricts it; (): no CORS headers.
    cors_origins: tuple[str, ...] = ("*",)
    # Where database reads run: None inline on the event loop (local reads, SQLite), else
    # a bounded pool of threads (reads over a network, PostgreSQL).
    read_pool: Executor | None = None
    # Operations: GET /metrics (off, or guarded by a bearer token), one JSON access log
    # record per request, and what keeps the database from being ready (api/routes/operations.py).
    metrics_enabled: bool = True
    metrics_token: str = ""
    log_requests: bool = False
    readiness: Callable[[], list[tuple[str, str]]] | None = None
    # Where blocking work other than reads runs: logins, package checks and writes each on
    # threads of their own (api/lanes.py).
    lanes: Lanes = field(default_factory=Lanes.build)
    # Rate limits per client address and token (api/rate_limits.py); none by default here,
    # the server's settings turn the login limit on.
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    # Anonymous auth on only because the server listens on loopback (not set explicitly):
    # then /auth/none refuses requests relayed by a proxy on the same host.
    anonymous_by_default: bool = False

    async def read(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn``, which reads the database, where reads belong (``read_pool``)."""
        if self.read_pool is None:
            return fn(*args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.read_pool, functools.partial(fn, *args, **kwargs))


def client_of(request: Request) -> str:
    """The address a request came from, seen through trusted proxies: the key of per-client
    caps, as it is of the rate limits."""
    ctx: ApiContext = request.app.state.context
    return client_address(request.scope, ctx.rate_limits.trusted_proxies)


async def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


Context = Annotated[ApiContext, Depends(context)]

_BAD_ESCAPE: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BEARER: Final = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)


def decode_segment(raw: str, what: str) -> str:
    """Decode one URL path segment strictly: a broken escape or bad UTF-8 is a 400."""
    label = "server name" if what == "serverName" else what
    fail = InvalidInputError(
        f"Invalid {label} encoding",
        [Problem(what, "percent-escapes must be '%' and two hex digits, encoding UTF-8")],
        where="path",
    )
    if _BAD_ESCAPE.search(raw):
        raise fail
    try:
        value = unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise fail from exc
    if any(ord(c) < 32 for c in value):
        raise InvalidInputError(
            f"Invalid {label} encoding: control characters are not allowed",
            [Problem(what, "remove control characters")],
            where="path",
        )
    return value


def query_text(value: str | None, field: str) -> str | None:
    """A text query parameter, refused (400) when it holds control characters: nothing a
    client means contains them, and a NUL cannot even reach PostgreSQL's text."""
    if value is not None and any(ord(c) < 32 for c in value):
        raise InvalidInputError(
            f"Invalid {field}: control characters are not allowed",
            [Problem(field, "remove control characters", None)],
            where="query",
        )
    return value


async def strict_query(request: Request) -> None:
    """Refuse a query string whose escapes do not decode to UTF-8.

    The framework would put U+FFFD in their place and go on to search for (or page from)
    something the client never sent.
    """
    for pair in request.scope.get("query_string", b"").split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            unquote_to_bytes(name).decode()
            unquote_to_bytes(value).decode()
        except UnicodeDecodeError as exc:
            field = unquote(name.decode("latin-1"), errors="replace")
            raise InvalidInputError(
                f"Invalid query string encoding in {field!r}: escapes must encode UTF-8 text",
                [Problem(field, "percent-escapes must encode UTF-8 text")],
                where="query",
            ) from exc


async def principal(
    ctx: Context,
    # Documented as the bearerAuth security scheme instead (see api/openapi.py).
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    if not authorization:
        raise AuthenticationError(
            "Authorization header is required: send 'Authorization: Bearer <registry token>'"
        )
    match = _BEARER.match(authorization)
    if match is None:
        raise AuthenticationError("Invalid Authorization header format. Expected 'Bearer <token>'")
    caller = ctx.tokens.verify(match.group(1))
    note_subject(caller.actor)
    return caller


Caller = Annotated[Principal, Depends(principal)]
