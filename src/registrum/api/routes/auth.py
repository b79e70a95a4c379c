"""Token exchange endpoints (SPEC §9). Only ``none`` so far; the others come with identity/."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from starlette.responses import Response

from registrum.api.context import Context
from registrum.api.openapi import responses
from registrum.core import wire
from registrum.core.permissions import ANONYMOUS_NAMESPACE, Action, Permission, Principal

router = APIRouter()
log = logging.getLogger("registrum.auth")


@router.post(
    "/auth/none",
    operation_id="get-anonymous-token",
    summary="Get an anonymous registry token",
    description=f"Grants `publish` on `{ANONYMOUS_NAMESPACE}/*`. Only served when anonymous "
    "authentication is enabled (MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH).",
    tags=["auth"],
    response_class=Response,
    responses=responses(200, "TokenResponse"),
)
def anonymous_token(ctx: Context) -> Response:
    principal = Principal(
        "none", "anonymous", (Permission(Action.PUBLISH, f"{ANONYMOUS_NAMESPACE}/*"),)
    )
    token, expires_at = ctx.tokens.issue(principal)
    return Response(wire.token_bytes(token, expires_at), media_type="application/json")
