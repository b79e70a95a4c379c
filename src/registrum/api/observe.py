"""What each request leaves behind for operators: a request id, metrics and, when asked, one
JSON log line.

One pure ASGI middleware, installed outside everything else (api/app.py), so that it sees
every answer — a route's, the response cache's, the fast list path's, a 304, a problem, an
unexpected 500 — and stamps ``X-Request-Id`` on each.

Cheap by construction, since it runs on reads answered in a fraction of a millisecond: the
route template comes from one combined regular expression over the app's routes, remembered
per path (bounded); the metric children are looked up once per (method, route, status); the
clock is ``time.perf_counter``; the only locks are prometheus-client's own.

The request's id, and what the routes learn about it later (who the caller is, why an error
was raised), live in ``api/request_state.py``.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Final

from starlette.routing import BaseRoute, Mount, Route, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registrum import metrics
from registrum.api.client_address import TrustedProxies, client_address
from registrum.api.middleware import routing_path
from registrum.api.problems import title_for
from registrum.api.request_state import RequestState, current

REQUEST_ID_HEADER: Final = b"x-request-id"
# An incoming id is kept when it is printable ASCII without spaces and at most 128
# characters (what proxies and tracing systems send); anything else is replaced, so a log
# line can never be forged or blown up through it.
_SANE_ID: Final = re.compile(rb"^[\x21-\x7e]{1,128}$")
UNMATCHED: Final = "unmatched"
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A request the client abandoned before any answer: counted under nginx's code for it.
_NO_ANSWER: Final = 499

access_log = logging.getLogger("registrum.access")


_ids = itertools.count()
_id_prefix = os.urandom(8).hex().encode()


def _new_prefix() -> None:
    global _id_prefix
    _id_prefix = os.urandom(8).hex().encode()


# A forked child draws its own prefix, so two processes never hand out the same ids.
os.register_at_fork(after_in_child=_new_prefix)


def _new_id() -> bytes:
    """32 hex digits: a random prefix per process and a counter; as unique as a random id
    at a fraction of the cost (no system call per request)."""
    return _id_prefix + b"%016x" % (next(_ids) & 0xFFFFFFFFFFFFFFFF)


def route_templates(routes: Iterable[BaseRoute], prefix: str = "") -> list[str]:
    """The path templates of ``routes`` (a mount's as ``<path>/{path}``)."""
    found = []
    for route in routes:
        if isinstance(route, Route):
            found.append(prefix + route.path)
        elif isinstance(route, Mount):
            found.append(f"{prefix}{route.path}/{{path}}")
    return found


class RouteTemplates:
    """Path -> the first template that matches it (methods aside), or ``unmatched``."""

    def __init__(self, templates: Iterable[str], remember: int = 4096) -> None:
        self._templates = list(templates)
        parts = []
        for i, template in enumerate(self._templates):
            pattern = compile_path(template)[0].pattern
            # Anchors and group names out: each template becomes one numbered alternative.
            body = re.sub(r"\(\?P<\w+>", "(?:", pattern.removeprefix("^").removesuffix("$"))
            parts.append(f"(?P<r{i}>{body})")
        self._regex = re.compile("|".join(parts)) if parts else None
        self.resolve = lru_cache(maxsize=remember)(self._resolve)

    def _resolve(self, path: str) -> str:
        match = self._regex.fullmatch(path) if self._regex is not None else None
        if match is None or match.lastgroup is None:
            return UNMATCHED
        return self._templates[int(match.lastgroup[1:])]


class ObserveMiddleware:
    """Request id in and out, metrics for every answer, and (``log_requests``) one access
    log record per request. ``templates`` gives the app's route templates, asked at the first
    request (when every route is in place)."""

    def __init__(
        self,
        app: ASGIApp,
        templates: Callable[[], Iterable[str]],
        *,
        log_requests: bool = False,
        publish_paths: Iterable[str] = (),
        trusted_proxies: TrustedProxies = (),
    ) -> None:
        self.app = app
        self._trusted = trusted_proxies
        self._template_source = templates
        self._templates: RouteTemplates | None = None
        self._of_raw: Callable[[bytes], str] = lambda raw: UNMATCHED
        self._log = log_requests
        self._publish = frozenset(publish_paths)

    def _resolve(self, scope: Scope) -> str:
        if self._templates is None:
            self._templates = RouteTemplates(self._template_source())
            templates = self._templates
            # Remembered by the raw path, so that a repeated path costs one look-up; the
            # query string is not part of it.
            self._of_raw = lru_cache(maxsize=4096)(
                lambda raw: templates.resolve(
                    routing_path({"raw_path": raw, "path": raw.decode("latin-1")})
                )
            )
        raw = scope.get("raw_path")
        return self._of_raw(raw) if raw else self._templates.resolve(scope["path"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = None
        for key, value in scope["headers"]:
            if key == REQUEST_ID_HEADER:
                rid = value if _SANE_ID.match(value) else None
                break
        if rid is None:
            rid = _new_id()
        header = (REQUEST_ID_HEADER, rid)
        state = RequestState(rid.decode("ascii"))
        token = current.set(state)
        status = _NO_ANSWER
        size = 0

        async def stamped(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                message = dict(message, headers=[*message.get("headers", ()), header])
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, stamped)
        except Exception:
            if status == _NO_ANSWER:
                status = 500
            raise
        finally:
            seconds = time.perf_counter() - started
            self._record(scope, state, status, seconds, size)
            current.reset(token)

    def _record(
        self, scope: Scope, state: RequestState, status: int, seconds: float, size: int
    ) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = self._resolve(scope)
        metrics.observe_request(method, route, status, seconds)
        if status >= 400:
            metrics.count_refusal(route, status, state.reason or title_for(status))
        if method == "POST" and route in self._publish:
            outcome = "published" if status < 400 else "refused" if status < 500 else "failed"
            metrics.count_publish(outcome)
        if self._log:
            access_log.info(
                "%s %s %d",
                method,
                scope["path"],
                status,
                extra={
                    "access": {
                        "method": method,
                        "route": route,
                        "path": scope["path"],
                        "query": scope.get("query_string", b"").decode("latin-1") or None,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                        "client": client_address(scope, self._trusted),
                        "subject": state.subject,
                        "bytes": size,
                    }
                },
            )
