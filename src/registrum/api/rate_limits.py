"""Rate limits, per client address and per token, as ASGI middleware.

Four groups of requests under ``/v0.1`` and ``/v0``, each with its own limits (the
``limits`` library's notation, ``"60/minute"``, ``"10/second;1000/hour"``; none = unlimited):

- ``auth``: the logins (``POST /auth/*``), limited by client address. Each login may call
  out to GitHub, a DNS resolver or a web site, so an unlimited login endpoint lends the
  registry's network to whoever floods it.
- ``publish``: ``POST /publish``; ``edit``: the other authenticated writes (edits, status
  changes, renames, transfers). Both limited by client address and, for a valid token, by
  the token's login method and subject, so a publisher cannot escape its limit by spreading
  over addresses, nor a crowd behind one address share a single publisher's allowance.
- ``read``: GET and HEAD (``/health`` excepted, so that a monitor never reads a 429).

A request over a limit is answered ``429 Too Many Requests`` with ``Retry-After`` and problem
JSON saying which limit it met; nothing inside runs. A group without limits costs one set
look-up per request (the method), which keeps the cached read path as fast as without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from limits import RateLimitItem
from starlette.types import ASGIApp, Receive, Scope, Send

from registrum.api.client_address import TrustedProxies, client_address
from registrum.api.limiter import MEMORY, Limiter, Refusal
from registrum.api.problems import problem_response

_PREFIXES: Final = ("/v0.1/", "/v0/")
_READS: Final = frozenset({"GET", "HEAD"})
_EDITS: Final = frozenset({"PUT", "PATCH", "DELETE"})
_BEARER: Final = re.compile(rb"^bearer\s+(\S+)\s*$", re.IGNORECASE)
_WHAT: Final = {
    "auth": "login requests",
    "publish": "publish requests",
    "edit": "edit requests",
    "read": "read requests",
}


@dataclass(frozen=True)
class RateLimitConfig:
    """The limits of each group (empty: unlimited), where counts are kept, and which peers
    are proxies whose forwarding headers name the client."""

    auth: tuple[RateLimitItem, ...] = ()
    publish: tuple[RateLimitItem, ...] = ()
    edit: tuple[RateLimitItem, ...] = ()
    read: tuple[RateLimitItem, ...] = ()
    storage_uri: str = MEMORY
    trusted_proxies: TrustedProxies = ()

    @property
    def active(self) -> bool:
        return bool(self.auth or self.publish or self.edit or self.read)


def request_group(method: str, path: str) -> str | None:
    """Which group a request is in, if any."""
    for prefix in _PREFIXES:
        if path.startswith(prefix):
            rest = path[len(prefix) - 1 :]
            break
    else:
        return None
    if method in _READS:
        return None if rest == "/health" else "read"
    if method == "POST":
        if rest.startswith("/auth/"):
            return "auth"
        if rest == "/publish":
            return "publish"
        if rest.startswith("/x/io.registrum/"):
            return "edit"  # renames, transfer offers and their acceptance
        return None  # /validate: no token, no write, bounded by the body limit
    if method in _EDITS and rest.startswith("/servers/"):
        return "edit"
    return None


class RateLimitMiddleware:
    """ASGI middleware. ``subject`` turns a bearer token into ``method:subject`` when the
    token is valid (None otherwise: the address's limit still applies, and the route answers
    401)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        config: RateLimitConfig,
        subject: Callable[[str], str | None],
        limiter: Limiter | None = None,
    ) -> None:
        self.app = app
        self._limits = {
            name: items
            for name, items in (
                ("auth", config.auth),
                ("publish", config.publish),
                ("edit", config.edit),
                ("read", config.read),
            )
            if items
        }
        methods: set[str] = set()
        if "read" in self._limits:
            methods |= _READS
        if self._limits.keys() & {"auth", "publish", "edit"}:
            methods.add("POST")
        if "edit" in self._limits:
            methods |= _EDITS
        self._methods = frozenset(methods)
        self._trusted = config.trusted_proxies
        self._subject = subject
        self._limiter = limiter or Limiter(config.storage_uri)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self._methods:
            await self.app(scope, receive, send)
            return
        group = request_group(scope["method"], scope["path"])
        limits = self._limits.get(group) if group else None
        if not limits or group is None:
            await self.app(scope, receive, send)
            return
        address = client_address(scope, self._trusted)
        refusal = None
        if group in ("publish", "edit"):
            who = self._token_subject(scope)
            if who is not None:
                refusal = await self._limiter.hit(limits, group, "token", who)
                if refusal is not None:
                    await self._refuse(scope, receive, send, refusal, group, "this token")
                    return
        refusal = await self._limiter.hit(limits, group, "address", address)
        if refusal is not None:
            await self._refuse(scope, receive, send, refusal, group, f"address {address}")
            return
        await self.app(scope, receive, send)

    def _token_subject(self, scope: Scope) -> str | None:
        for key, value in scope["headers"]:
            if key == b"authorization":
                match = _BEARER.match(value)
                return self._subject(match.group(1).decode("latin-1")) if match else None
        return None

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, refusal: Refusal, group: str, who: str
    ) -> None:
        wait = refusal.retry_after
        detail = (
            f"too many {_WHAT[group]} from {who}: the limit is {refusal.limit}; "
            f"retry after {wait} second{'s' if wait != 1 else ''}"
        )
        headers = {"Retry-After": str(wait)}
        response = problem_response(429, detail, headers=headers, type_uri="about:blank")
        await response(scope, receive, send)
