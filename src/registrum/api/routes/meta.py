"""Health, ping and version, answered as the official registry answers them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from registrum.api.context import Context
from registrum.api.openapi import responses
from registrum.core import wire

router = APIRouter()


def _json(obj: Any) -> Response:
    return Response(wire.dumps(obj), media_type="application/json")


@router.get(
    "/health",
    operation_id="get-health",
    summary="Health check",
    tags=["health"],
    response_class=Response,
    responses=responses(200, "HealthResponse"),
)
async def health(ctx: Context) -> Response:
    body: dict[str, Any] = {"status": "ok"}
    if ctx.github_client_id:
        body["github_client_id"] = ctx.github_client_id
    return _json(body)


@router.get(
    "/ping",
    operation_id="ping",
    summary="Liveness",
    tags=["health"],
    response_class=Response,
    responses=responses(200, "PingResponse"),
)
async def ping() -> Response:
    return _json({"pong": True})


@router.get(
    "/version",
    operation_id="get-version",
    summary="Build information",
    tags=["health"],
    response_class=Response,
    responses=responses(200, "VersionResponse"),
)
async def version(ctx: Context) -> Response:
    b = ctx.build
    return _json({"version": b.version, "git_commit": b.git_commit, "build_time": b.build_time})
