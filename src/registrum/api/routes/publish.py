"""Publishing: ``POST /publish``, as the official registry serves it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from registrum.api.bodies import read_json
from registrum.api.context import Caller, Context, client_of
from registrum.api.openapi import body_schema, responses
from registrum.core import wire

router = APIRouter()


@router.post(
    "/publish",
    operation_id="publish-server",
    summary="Publish MCP server",
    description="Publish a new version of a server. The body is the server.json document. "
    "Needs a registry token with the `publish` permission on the name. Every package it names "
    "is checked against its package registry first: 400 when one does not belong to the "
    "server, 503 (with Retry-After) when a package registry cannot answer now, 502 when it "
    "answers something unusable.",
    tags=["publish"],
    response_class=Response,
    responses=responses(200, "ServerResponse", 400, 401, 403, 502, 503),
    openapi_extra=body_schema("ServerDetail", secured=True),
)
async def publish(request: Request, ctx: Context, caller: Caller) -> Response:
    raw = await read_json(request)
    if ctx.publish.asks_outside(raw):
        # Package checks wait on package registries: on their own lane, capped per client,
        # so slow ones never hold the threads that store versions.
        checked = await ctx.lanes.checks.run(client_of(request), ctx.publish.check, raw, caller)
        view = await ctx.lanes.writes.run(None, ctx.publish.store, checked, caller)
    else:
        view = await ctx.lanes.writes.run(None, ctx.publish.publish, raw, caller)
    return Response(wire.server_response_bytes(view), media_type="application/json")
