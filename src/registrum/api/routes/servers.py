"""Read endpoints and the moderation endpoints of one server, as the official
registry serves them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from registrum.api.bodies import read_json
from registrum.api.commands import DELETE, status_command
from registrum.api.context import (
    ApiContext,
    Caller,
    Context,
    client_of,
    decode_segment,
    query_text,
)
from registrum.api.openapi import SECURED, body_schema, responses
from registrum.core import wire
from registrum.core.errors import InvalidInputError, NotFoundError, Problem
from registrum.services.query import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter()

_RFC3339: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_JSON = "application/json"

ServerName = Annotated[
    str,
    Path(
        alias="serverName",
        description='URL-encoded server name (e.g. "com.example%2Fmy-server")',
    ),
]
VersionParam = Annotated[
    str,
    Path(
        alias="version",
        description='URL-encoded version (e.g. "1.0.0"), or "latest" for the latest version',
    ),
]
IncludeDeleted = Annotated[
    bool | None,
    Query(description="Include deleted versions (default false)"),
]


def _json(body: bytes) -> Response:
    return Response(body, media_type=_JSON)


def parse_updated_since(value: str) -> datetime:
    fail = InvalidInputError(
        "Invalid updated_since format: expected RFC3339 timestamp (e.g., 2025-08-07T13:15:04.280Z)",
        [Problem("updated_since", "expected an RFC 3339 timestamp", value)],
        where="query",
    )
    if not _RFC3339.match(value):
        raise fail
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        # A time at the edge of the calendar can fall outside it once moved to UTC.
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError) as exc:
        raise fail from exc


# The read routes query through ctx.read: inline on SQLite, where a read is a fraction of a
# millisecond of indexed work on a local file and a hop to a thread (with the GIL handed
# between dozens of threads) cost several times that under load; on the bounded read pool
# where reads cross a network (PostgreSQL), so that a slow query never stalls the event loop.
# Writes, which may wait on locks and on package registries, always run in threads.
@router.get(
    "/servers",
    operation_id="list-servers",
    summary="List MCP servers",
    description="Every server version, ordered by name then version, in pages.",
    tags=["servers"],
    response_class=Response,
    responses=responses(200, "ServerList"),
)
async def list_servers(
    ctx: Context,
    cursor: Annotated[
        str | None, Query(description="Opaque cursor from metadata.nextCursor")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    search: Annotated[
        str | None, Query(description="Case-insensitive substring of name or description")
    ] = None,
    updated_since: Annotated[
        str | None, Query(description="Only versions updated after this RFC 3339 time")
    ] = None,
    version: Annotated[
        str | None, Query(description="'latest', or an exact version such as '1.2.3'")
    ] = None,
    include_deleted: IncludeDeleted = None,
) -> Response:
    body = await list_body(ctx, limit, cursor, search, updated_since, version, include_deleted)
    return _json(body)


async def list_body(
    ctx: ApiContext,
    limit: int,
    cursor: str | None,
    search: str | None,
    updated_since: str | None,
    version: str | None,
    include_deleted: bool | None,
) -> bytes:
    """The list call's answer, for the route and for the fast path (api/fastpath.py)."""
    since = parse_updated_since(updated_since) if updated_since else None
    if since is not None and include_deleted is False:
        raise InvalidInputError(
            "Cannot set include_deleted=false when using updated_since "
            "(incremental sync requires deleted servers)",
            [Problem("include_deleted", "omit it, or set it to true, with updated_since", False)],
            where="query",
        )
    # Only the query goes where reads belong; the answer is written here, on the event loop,
    # so a pool thread and the loop do not take turns at the interpreter over serialising.
    page = await ctx.read(
        ctx.query.list_servers,
        limit=limit,
        cursor=query_text(cursor, "cursor"),
        search=query_text(search, "search"),
        updated_since=since,
        version=query_text(version, "version"),
        include_deleted=bool(include_deleted),
    )
    return wire.server_list_bytes(page.items, page.next_cursor)


@router.get(
    "/servers/{serverName}/versions",
    operation_id="get-server-versions",
    summary="List all versions of an MCP server",
    description="Every version of one server, newest publication first.",
    tags=["servers"],
    response_class=Response,
    responses=responses(200, "ServerList", 404),
)
async def list_versions(
    request: Request, ctx: Context, server_name: ServerName, include_deleted: IncludeDeleted = None
) -> Response:
    name = decode_segment(server_name, "serverName")

    def answer() -> Response:
        try:
            views = ctx.query.versions(name, include_deleted=bool(include_deleted))
        except NotFoundError:
            moved = redirect_if_moved(request, ctx, name)
            if moved is None:
                raise
            return moved
        return _json(wire.server_list_bytes(views, None))

    return await ctx.read(answer)


def redirect_if_moved(request: Request, ctx: ApiContext, name: str) -> Response | None:
    """For a name a server left by a rename: a 308 to the same path under its current name
    (the official read paths keep working for clients that follow redirects); else None."""
    current = ctx.query.moved_to(name)
    if current is None:
        return None
    # The path as routed: still percent-encoded, the name one segment (RawPathMiddleware).
    prefix, _, rest = str(request.scope["path"]).partition("/servers/")
    _, _, suffix = rest.partition("/")
    location = f"{prefix}/servers/{quote(current, safe='')}/{suffix}"
    query = request.scope.get("query_string", b"").decode("latin-1")
    if query:
        location += f"?{query}"
    return Response(status_code=308, headers={"Location": location})


@router.get(
    "/servers/{serverName}/versions/{version}",
    operation_id="get-server-version",
    summary="Get specific MCP server version",
    description="One version; the version 'latest' names the latest one.",
    tags=["servers"],
    response_class=Response,
    responses=responses(200, "ServerResponse", 404),
)
async def get_version(
    request: Request,
    ctx: Context,
    server_name: ServerName,
    version: VersionParam,
    include_deleted: IncludeDeleted = None,
) -> Response:
    name = decode_segment(server_name, "serverName")
    ver = decode_segment(version, "version")

    def answer() -> Response:
        try:
            view = ctx.query.get(name, ver, include_deleted=bool(include_deleted))
        except NotFoundError:
            moved = redirect_if_moved(request, ctx, name)
            if moved is None:
                raise
            return moved
        return _json(wire.server_response_bytes(view))

    return await ctx.read(answer)


@router.put(
    "/servers/{serverName}/versions/{version}",
    operation_id="update-server-version",
    summary="Edit a server version (admin)",
    description="Replace a version's server.json. Needs the `edit` permission; the name and "
    "version cannot change.",
    tags=["admin"],
    response_class=Response,
    responses=responses(200, "ServerResponse", 400, 401, 403, 404),
    openapi_extra=body_schema("ServerDetail", secured=True),
)
async def edit_version(
    request: Request, ctx: Context, caller: Caller, server_name: ServerName, version: VersionParam
) -> Response:
    name = decode_segment(server_name, "serverName")
    ver = decode_segment(version, "version")
    raw = await read_json(request)
    # An edit re-checks the document's packages: the checks lane, like a publish.
    view = await ctx.lanes.checks.run(
        client_of(request), ctx.moderation.edit, name, ver, raw, caller
    )
    return _json(wire.server_response_bytes(view))


@router.delete(
    "/servers/{serverName}/versions/{version}",
    operation_id="delete-server-version",
    summary="Delete a server version",
    description="Marks the version deleted (the same as setting its status to 'deleted'); "
    "it stays restorable. Needs the `publish` or `edit` permission.",
    tags=["publish"],
    response_class=Response,
    responses=responses(200, "ServerResponse", 400, 401, 403, 404),
    openapi_extra=SECURED,
)
async def delete_version(
    ctx: Context, caller: Caller, server_name: ServerName, version: VersionParam
) -> Response:
    name = decode_segment(server_name, "serverName")
    ver = decode_segment(version, "version")
    view = await ctx.lanes.writes.run(
        None, ctx.moderation.set_version_status, name, ver, DELETE, caller
    )
    return _json(wire.server_response_bytes(view))


@router.patch(
    "/servers/{serverName}/versions/{version}/status",
    operation_id="update-server-version-status",
    summary="Update server version status",
    description="Set one version's status. Needs the `publish` or `edit` permission.",
    tags=["publish"],
    response_class=Response,
    responses=responses(200, "ServerResponse", 400, 401, 403, 404),
    openapi_extra=body_schema("StatusUpdateRequest", secured=True),
)
async def set_version_status(
    request: Request, ctx: Context, caller: Caller, server_name: ServerName, version: VersionParam
) -> Response:
    name = decode_segment(server_name, "serverName")
    ver = decode_segment(version, "version")
    change = status_command(await read_json(request))
    view = await ctx.lanes.writes.run(
        None, ctx.moderation.set_version_status, name, ver, change, caller
    )
    return _json(wire.server_response_bytes(view))


@router.patch(
    "/servers/{serverName}/status",
    operation_id="update-server-status",
    summary="Update status for all server versions",
    description="Set the status of every version at once, atomically.",
    tags=["publish"],
    response_class=Response,
    responses=responses(200, "AllVersionsStatusResponse", 400, 401, 403, 404),
    openapi_extra=body_schema("StatusUpdateRequest", secured=True),
)
async def set_all_status(
    request: Request, ctx: Context, caller: Caller, server_name: ServerName
) -> Response:
    name = decode_segment(server_name, "serverName")
    change = status_command(await read_json(request))
    result = await ctx.lanes.writes.run(None, ctx.moderation.set_all_status, name, change, caller)
    return _json(wire.status_all_bytes(result.updated_count, result.versions))
