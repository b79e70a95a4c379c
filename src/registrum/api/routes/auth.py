"""Token exchange endpoints, as the official registry has them: ``POST /auth/<method>`` for
each enabled login method.

Each answers ``{"registry_token", "expires_at"}``; a method that is not enabled has no route.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from registrum.api.bodies import read_json
from registrum.api.context import Context, client_of
from registrum.api.openapi import responses
from registrum.core import wire

# Official operation ids and what each method's body carries (for the documentation).
_METHODS: Final[dict[str, tuple[str, str, str]]] = {
    "github-at": (
        "exchange-github-token",
        "Exchange a GitHub access token",
        'Body `{"github_token": "..."}`. Grants `publish` on `io.github.<login>/*` and on the '
        "namespaces of organisations the user owns.",
    ),
    "github-oidc": (
        "exchange-github-oidc-token",
        "Exchange a GitHub Actions OIDC token",
        'Body `{"oidc_token": "..."}`. Grants `publish` on `io.github.<repository_owner>/*`.',
    ),
    "dns": (
        "exchange-dns-token",
        "Prove a domain by DNS",
        'Body `{"domain", "timestamp", "signed_timestamp"}`, checked against the domain\'s '
        "`v=MCPv1` TXT records. Grants `publish` on `<reversed domain>/*` and its subdomains.",
    ),
    "http": (
        "exchange-http-token",
        "Prove a domain by HTTPS",
        'Body `{"domain", "timestamp", "signed_timestamp"}`, checked against '
        "`https://<domain>/.well-known/mcp-registry-auth`. Grants `publish` on "
        "`<reversed domain>/*`.",
    ),
    "oidc": (
        "exchange-oidc-token",
        "Exchange an operator OIDC token",
        'Body `{"oidc_token": "..."}` from the configured identity provider; grants the '
        "configured publish and edit patterns.",
    ),
    "none": (
        "get-anonymous-token",
        "Get an anonymous registry token",
        "Grants `publish` on `io.modelcontextprotocol.anonymous/*`. Only served when anonymous "
        "authentication is enabled (MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH).",
    ),
}


# The members each method's body must have, all strings; documented so that the OpenAPI
# document describes every operation's input (and tools that read it exercise them).
_BODY_MEMBERS: Final[dict[str, tuple[str, ...]]] = {
    "github-at": ("github_token",),
    "github-oidc": ("oidc_token",),
    "oidc": ("oidc_token",),
    "dns": ("domain", "timestamp", "signed_timestamp"),
    "http": ("domain", "timestamp", "signed_timestamp"),
}


def _body(method: str) -> dict[str, Any] | None:
    members = _BODY_MEMBERS.get(method)
    if members is None:
        return None
    schema = {
        "type": "object",
        "required": list(members),
        "properties": {m: {"type": "string"} for m in members},
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _endpoint(method: str) -> Any:
    async def exchange(request: Request, ctx: Context) -> Response:
        # `none` takes no body; the others a JSON object, read with the usual checks.
        body = None if method == "none" else await read_json(request)
        if method == "none":
            issued = ctx.auth.exchange(method, body)  # signs a token: nothing to wait on
        else:
            # On the login lane: proofs wait on outside servers, and must not hold up
            # writes; one address may have only a few in flight.
            issued = await ctx.lanes.logins.run(client_of(request), ctx.auth.exchange, method, body)
        return Response(
            wire.token_bytes(issued.token, issued.expires_at), media_type="application/json"
        )

    exchange.__name__ = f"exchange_{method.replace('-', '_')}"
    return exchange


def router_for(methods: tuple[str, ...]) -> APIRouter:
    router = APIRouter()
    for method in methods:
        operation_id, summary, description = _METHODS.get(
            method, (f"exchange-{method}-token", f"Log in with {method}", "")
        )
        router.add_api_route(
            f"/auth/{method}",
            _endpoint(method),
            methods=["POST"],
            operation_id=operation_id,
            summary=summary,
            description=description,
            tags=["auth"],
            response_class=Response,
            responses=responses(200, "TokenResponse", 400, 401, 403),
            openapi_extra=_body(method),
        )
    return router
