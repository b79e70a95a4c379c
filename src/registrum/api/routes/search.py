"""Ranked search with facets (issue #16): ``GET /x/io.registrum/search``.

The official list's ``search`` parameter keeps its meaning (a substring, in name order);
this is the registry's own search: the latest version of each server that matches, best
first, with a count for every value of every facet (rules: core/search.py). Items are
written exactly as the list writes them.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from registrum.api.context import Context, query_text
from registrum.api.openapi import REF
from registrum.core import search, wire
from registrum.core.errors import InvalidInputError, Problem

router = APIRouter()
X: Final = "/x/io.registrum"
_JSON: Final = "application/json"
# Wire names of this endpoint (the facets' own names are core.search.FACETS).
FACETS_KEY: Final = "facets"
TOTAL: Final = "total"
VALUE: Final = "value"
COUNT: Final = "count"
MAX_FILTER: Final = 200  # characters of a filter value
MAX_CURSOR: Final = 64

_FACET_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "required": [VALUE, COUNT],
        "properties": {VALUE: {"type": "string"}, COUNT: {"type": "integer", "minimum": 1}},
    },
}
_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": [wire.SERVERS, FACETS_KEY, wire.METADATA],
    "properties": {
        wire.SERVERS: {"type": "array", "items": {"$ref": REF.format(model="ServerResponse")}},
        FACETS_KEY: {
            "type": "object",
            "required": list(search.FACETS),
            "properties": dict.fromkeys(search.FACETS, _FACET_LIST),
        },
        wire.METADATA: {
            "type": "object",
            "required": [wire.COUNT, TOTAL],
            "properties": {
                wire.COUNT: {"type": "integer", "description": "Items in this page"},
                TOTAL: {"type": "integer", "description": "Servers that match, in all"},
                wire.NEXT_CURSOR: {
                    "type": "string",
                    "description": "The next page's cursor; absent on the last page",
                },
            },
        },
    },
}


def _responses() -> dict[int | str, dict[str, Any]]:
    problem = {"application/problem+json": {"schema": {"$ref": REF.format(model="ErrorModel")}}}
    return {
        200: {"description": "OK", "content": {_JSON: {"schema": _SCHEMA}}},
        400: {"description": "Bad Request", "content": problem},
        422: {"description": "Unprocessable Content", "content": problem},
    }


def page_bytes(page: search.SearchPage) -> bytes:
    metadata: dict[str, Any] = {wire.COUNT: len(page.items), TOTAL: page.total}
    if page.next_offset is not None:
        metadata[wire.NEXT_CURSOR] = search.encode_offset(page.next_offset)
    facets = {
        facet: [{VALUE: c.value, COUNT: c.count} for c in page.facets.get(facet, [])]
        for facet in search.FACETS
    }
    return wire.dumps(
        {
            wire.SERVERS: [wire.server_response(v) for v in page.items],
            FACETS_KEY: facets,
            wire.METADATA: metadata,
        }
    )


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    offset = search.decode_offset(cursor)
    if offset is None:
        raise InvalidInputError(
            "Invalid cursor: pass metadata.nextCursor of the previous page as it was",
            [Problem("cursor", "use metadata.nextCursor as given", None)],
            where="query",
        )
    return offset


def _text(max_length: int, description: str) -> Any:
    return Query(max_length=max_length, description=description)


@router.get(
    f"{X}/search",
    operation_id="registrum-search",
    summary="Search servers, ranked, with facet counts",
    description="The latest version of each server whose name, title or description holds "
    "every word of `q` (case-insensitive), best first: the exact name, its last part, a "
    "prefix, a word of the name, then a word in the name, title or description; an active, "
    "recently updated server before a deprecated one. `facets` counts the matches by each "
    "filter's values, each facet ignoring its own filter. Deleted servers appear only with "
    "`status=deleted`.",
    tags=["registrum"],
    response_class=Response,
    responses=_responses(),
)
async def search_servers(
    ctx: Context,
    q: Annotated[str | None, _text(search.MAX_QUERY, "Words to find (blank: every server)")] = None,
    registry_type: Annotated[
        str | None,
        Query(alias="registryType", max_length=MAX_FILTER, description="e.g. npm, pypi, oci"),
    ] = None,
    transport: Annotated[
        str | None, _text(MAX_FILTER, "stdio, streamable-http or sse (packages and remotes)")
    ] = None,
    status: Annotated[
        Literal["active", "deprecated", "deleted"] | None,
        Query(description="Default: active and deprecated"),
    ] = None,
    namespace: Annotated[
        str | None, _text(MAX_FILTER, "The part of the name before '/', e.g. io.github.alice")
    ] = None,
    has_remote: Annotated[
        Literal["true", "false"] | None,
        Query(alias="hasRemote", description="Only servers with (true) or without remotes"),
    ] = None,
    cursor: Annotated[
        str | None, _text(MAX_CURSOR, "Opaque cursor from metadata.nextCursor")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=search.MAX_LIMIT, description="Page size")
    ] = search.DEFAULT_LIMIT,
) -> Response:
    query = search.SearchQuery(
        text=query_text(q, "q"),
        filters=search.Filters(
            registry_type=query_text(registry_type, "registryType"),
            transport=query_text(transport, "transport"),
            status=status,
            namespace=query_text(namespace, "namespace"),
            has_remote=None if has_remote is None else has_remote == "true",
        ),
        limit=limit,
        offset=_offset(query_text(cursor, "cursor")),
    )
    page = await ctx.read(ctx.search.search, query)
    return Response(page_bytes(page), media_type=_JSON)
