"""What operators' machinery asks the process: metrics, liveness and readiness.

Served at the root, outside ``/v0.1`` and ``/v0`` and outside the OpenAPI document: they are
questions about this process, not the registry API, and a reverse proxy that forwards only
the API's prefixes keeps them private without further configuration.

- ``GET /livez``: the process answers (200 ``{"status":"ok"}``); nothing else is checked, so
  a restart is never triggered by a database outage a restart would not cure.
- ``GET /readyz``: the database answers and its schema is at this release's newest
  migration; otherwise 503 problem JSON naming each check that failed (``errors[].location``
  is ``database`` or ``migrations``).
- ``GET /metrics``: Prometheus text exposition (``registrum.metrics``); optionally guarded
  by a bearer token.

``/health`` (under the API prefixes) keeps the official registry's shape for its clients.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import FastAPI, Request
from starlette.responses import Response

from registrum import metrics
from registrum.api.context import ApiContext
from registrum.api.problems import problem_response
from registrum.core import wire

_OK = wire.dumps({"status": "ok"})
log = logging.getLogger("registrum.api")


def _context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


async def livez() -> Response:
    return Response(_OK, media_type="application/json")


async def readyz(request: Request) -> Response:
    ctx = _context(request)
    problems = await ctx.read(ctx.readiness) if ctx.readiness is not None else []
    if not problems:
        return Response(_OK, media_type="application/json")
    return problem_response(
        503,
        "not ready: " + "; ".join(problem for _, problem in problems),
        [{"message": problem, "location": check} for check, problem in problems],
        headers={"Retry-After": "5"},
    )


def _authorised(ctx: ApiContext, request: Request) -> bool:
    if not ctx.metrics_token:
        return True
    sent = request.headers.get("authorization", "")
    scheme, _, value = sent.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), ctx.metrics_token.encode()
    )


async def metrics_text(request: Request) -> Response:
    ctx = _context(request)
    if not _authorised(ctx, request):
        return problem_response(
            401,
            "GET /metrics needs 'Authorization: Bearer <token>' with the token set in "
            "MCP_REGISTRY_METRICS_TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        upstreams = await ctx.read(ctx.mirror.upstreams)
    except Exception as exc:  # the database is down: the process's own metrics still count
        log.warning("metrics: cannot read the mirror's upstreams: %s", exc)
        families = []
    else:
        families = metrics.mirror_families(upstreams)
    body = metrics.render(families)
    return Response(body, media_type=metrics.CONTENT_TYPE)


def install(app: FastAPI, ctx: ApiContext) -> None:
    app.add_api_route("/livez", livez, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    if ctx.metrics_enabled:
        app.add_api_route("/metrics", metrics_text, methods=["GET"], include_in_schema=False)
