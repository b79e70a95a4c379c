"""Registrum's extension endpoints: the change feed, look-ups by stable id, renames and
transfers. They live under ``/x/io.registrum/`` so that nothing the official API serves
changes. docs/guides/change-feed-ids-and-renames.md has request and response examples."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from registrum.api.bodies import read_json
from registrum.api.commands import move_command
from registrum.api.context import Caller, Context, decode_segment, query_text
from registrum.api.openapi import SECURED, responses
from registrum.core import wire
from registrum.services.query import DEFAULT_CHANGES, MAX_CHANGES

router = APIRouter()
X = "/x/io.registrum"
# A seq is a signed 64-bit integer on the wire. Bounding `since` here bounds it in the OpenAPI
# document too, and makes a larger one the same 422 as any other invalid parameter.
MAX_SEQ: Final = 2**63 - 1
_JSON = "application/json"

ServerId = Annotated[str, Path(alias=wire.SERVER_ID, description="A server's stable id")]
ServerName = Annotated[
    str, Path(alias="serverName", description='URL-encoded server name ("com.example%2Fx")')
]
OfferId = Annotated[str, Path(alias=wire.OFFER_ID, description="A transfer offer's id")]
IncludeDeleted = Annotated[bool | None, Query(description="Include deleted versions")]
_RENAME_BODY = {
    **SECURED,
    "requestBody": {
        "required": True,
        "content": {
            _JSON: {
                "schema": {
                    "type": "object",
                    "required": [wire.NEW_NAME],
                    "properties": {wire.NEW_NAME: {"type": "string"}},
                }
            }
        },
    },
}


_OFFER_SCHEMA = {
    "type": "object",
    "required": [
        wire.ID,
        wire.SERVER_ID,
        wire.NAME,
        wire.NEW_NAME,
        wire.OFFERED_BY,
        wire.CREATED_AT,
        wire.EXPIRES_AT_CAMEL,
    ],
    "properties": {
        wire.ID: {"type": "string", "description": "The offer's id, for .../transfers/{id}"},
        wire.SERVER_ID: {"type": "string"},
        wire.NAME: {"type": "string", "description": "The server's name now"},
        wire.NEW_NAME: {"type": "string", "description": "The name it moves to on acceptance"},
        wire.OFFERED_BY: {"type": "string"},
        wire.CREATED_AT: {"type": "string", "format": "date-time"},
        wire.EXPIRES_AT_CAMEL: {"type": "string", "format": "date-time"},
        wire.ACCEPTED_AT: {"type": "string", "format": "date-time"},
        wire.ACCEPTED_BY: {"type": "string"},
    },
}


def _offer_responses(ok: int, *errors: int) -> dict[int | str, dict[str, object]]:
    out = responses(ok, "ServerResponse", *errors)
    out[ok] = {
        "description": "The transfer offer",
        "content": {_JSON: {"schema": _OFFER_SCHEMA}},
    }
    return out


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=_JSON)


@router.get(
    f"{X}/changes",
    operation_id="registrum-changes",
    summary="Follow the change log",
    description="The changes after `since`, in seq order, each with the version as it now "
    "stands. A reader that calls again with `since = metadata.nextSince` misses nothing and "
    "sees nothing twice.",
    tags=["registrum"],
    response_class=Response,
)
async def changes(
    ctx: Context,
    since: Annotated[
        int, Query(ge=0, le=MAX_SEQ, description="The last seq already seen (0: none)")
    ] = 0,
    limit: Annotated[
        int, Query(ge=1, le=MAX_CHANGES, description="Most changes per page")
    ] = DEFAULT_CHANGES,
) -> Response:
    page = await ctx.read(ctx.query.changes, since, limit)
    return _json(wire.change_feed_bytes(page.entries, page.head, page.next_since))


@router.get(
    f"{X}/servers/{{serverId}}",
    operation_id="registrum-server-by-id",
    summary="The latest version of the server with this id",
    tags=["registrum"],
    response_class=Response,
    responses=responses(200, "ServerResponse", 404),
)
async def server_by_id(
    ctx: Context, server_id: ServerId, include_deleted: IncludeDeleted = None
) -> Response:
    view = await ctx.read(ctx.query.latest_by_id, server_id, include_deleted=bool(include_deleted))
    return _json(wire.server_response_bytes(view))


@router.get(
    f"{X}/servers/{{serverId}}/versions",
    operation_id="registrum-server-versions-by-id",
    summary="Every version of the server with this id",
    tags=["registrum"],
    response_class=Response,
    responses=responses(200, "ServerList", 404),
)
async def versions_by_id(
    ctx: Context, server_id: ServerId, include_deleted: IncludeDeleted = None
) -> Response:
    views = await ctx.read(
        ctx.query.versions_by_id, server_id, include_deleted=bool(include_deleted)
    )
    return _json(wire.server_list_bytes(views, None))


@router.post(
    f"{X}/servers/{{serverName}}/rename",
    operation_id="registrum-rename",
    summary="Rename a server (you hold both names)",
    description="Moves the server, its id and every version to `newName`. Needs permission to "
    "publish under both names; the old name then redirects (308) and is held for the server "
    "during a cool-off period.",
    tags=["registrum"],
    response_class=Response,
    responses=responses(200, "ServerResponse", 400, 401, 403, 404, 409),
    openapi_extra=_RENAME_BODY,
)
async def rename(
    request: Request, ctx: Context, caller: Caller, server_name: ServerName
) -> Response:
    name = decode_segment(server_name, "serverName")
    move = move_command(await read_json(request))
    view = await ctx.lanes.writes.run(None, ctx.renames.rename, name, move, caller)
    return _json(wire.server_response_bytes(view))


@router.post(
    f"{X}/servers/{{serverName}}/transfer",
    operation_id="registrum-transfer-offer",
    summary="Offer a server to the holder of another namespace",
    description="The first step of a transfer: the holder of `newName` accepts it with "
    "POST .../transfers/{offerId}/accept before the offer expires.",
    tags=["registrum"],
    response_class=Response,
    status_code=201,
    responses=_offer_responses(201, 400, 401, 403, 404, 409),
    openapi_extra=_RENAME_BODY,
)
async def transfer_offer(
    request: Request, ctx: Context, caller: Caller, server_name: ServerName
) -> Response:
    name = decode_segment(server_name, "serverName")
    move = move_command(await read_json(request))
    offer = await ctx.lanes.writes.run(None, ctx.renames.offer, name, move, caller)
    return _json(wire.offer_bytes(offer), status=201)


@router.get(
    f"{X}/transfers/{{offerId}}",
    operation_id="registrum-transfer-show",
    summary="Show a transfer offer",
    tags=["registrum"],
    response_class=Response,
    responses=_offer_responses(200, 404),
)
async def transfer_show(ctx: Context, offer_id: OfferId) -> Response:
    return _json(wire.offer_bytes(await ctx.read(ctx.renames.get_offer, offer_id)))


@router.post(
    f"{X}/transfers/{{offerId}}/accept",
    operation_id="registrum-transfer-accept",
    summary="Accept a transfer offer (you hold the new name)",
    tags=["registrum"],
    response_class=Response,
    responses=responses(200, "ServerResponse", 401, 403, 404, 409, 410),
    openapi_extra=SECURED,
)
async def transfer_accept(ctx: Context, caller: Caller, offer_id: OfferId) -> Response:
    view = await ctx.lanes.writes.run(None, ctx.renames.accept, offer_id, caller)
    return _json(wire.server_response_bytes(view))


@router.get(
    f"{X}/policy/explain",
    operation_id="registrum-policy-explain",
    summary="Why a name is shown or hidden",
    description="For each version every upstream serves under the name: whether the policy "
    "allows it, the deciding rule, and which upstream's entry is served; and whether local "
    "users may publish under the name.",
    tags=["registrum"],
    response_class=Response,
)
async def policy_explain(
    ctx: Context, name: Annotated[str, Query(description="A server name")]
) -> Response:
    explanation = await ctx.read(ctx.mirror.explain, query_text(name, "name") or "")
    return _json(wire.explanation_bytes(explanation, ctx.mirror.policy.describe()))
