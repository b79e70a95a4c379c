"""Ready client configurations of one version: ``.../servers/{name}/versions/{version}/install``.

The mapping itself is pure (``core/install``): this route finds the version, reads its stored
server.json and returns what ``install_configs`` writes, for one client, several
(``client=vscode,cursor``) or all of them. Like the other reads it is cached and ETagged
(api/cache.py), so the mapping runs once per version and change.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import orjson
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from registrum.api.context import Context, decode_segment, query_text
from registrum.api.openapi import responses
from registrum.api.routes.servers import redirect_if_moved
from registrum.core import wire
from registrum.core.errors import InvalidInputError, NotFoundError, Problem
from registrum.core.install import CLIENTS, install_configs

router = APIRouter()
X = "/x/io.registrum"
MAX_OPTION: Final = 1000  # far above any document's remotes and packages

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
_CONFIG = {
    "type": "object",
    "required": ["client", "title", "supported", "option", "key"],
    "properties": {
        "client": {"type": "string", "enum": list(CLIENTS)},
        "title": _STRING,
        "supported": {"type": "boolean"},
        "option": {"type": ["integer", "null"], "description": "The option written"},
        "key": {"type": "string", "description": "The entry's name in the client's file"},
        "reason": {"type": "string", "description": "Why nothing can be written (unsupported)"},
        "file": {"type": "string", "description": "The file the configuration goes in"},
        "config": {"type": "object", "description": "The configuration as it sits in the file"},
        "snippet": {"type": "string", "description": "The text to paste or run"},
        "command": {"type": "string", "description": "A command line (Claude Code)"},
        "argv": _STRINGS,
        "links": {"type": "object", "additionalProperties": _STRING},
        "warnings": {**_STRINGS, "description": "What the configuration cannot express"},
    },
}
_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["name", "version", "status", "option", "options", "inputs", "configs"],
    "properties": {
        "name": _STRING,
        "version": _STRING,
        "status": _STRING,
        wire.STATUS_MESSAGE: _STRING,
        "option": {"type": ["integer", "null"], "description": "The option written"},
        "options": {
            "type": "array",
            "description": "Every way to run the server (remotes, packages), best first",
            "items": {
                "type": "object",
                "required": ["index", "kind", "label", "transport", "supported"],
                "properties": {
                    "index": {"type": "integer"},
                    "kind": {"type": "string", "enum": ["remote", "package"]},
                    "label": _STRING,
                    "transport": _STRING,
                    "supported": {"type": "boolean"},
                    "registryType": _STRING,
                    "reason": _STRING,
                },
            },
        },
        "inputs": {
            "type": "array",
            "description": "The values a person supplies (secrets are never written)",
            "items": {"type": "object"},
        },
        "optional": {
            "type": "array",
            "description": "Optional settings left out (no value to give them)",
            "items": {"type": "object"},
        },
        "configs": {"type": "object", "additionalProperties": _CONFIG},
    },
}


def _responses() -> dict[int | str, dict[str, Any]]:
    out = responses(200, "ServerResponse", 400, 404)
    out[200] = {
        "description": "Configurations for each client asked for",
        "content": {"application/json": {"schema": _RESULT}},
    }
    return out


def _clients(raw: str | None) -> list[str] | None:
    text = query_text(raw, "client")
    if not text:
        return None
    wanted = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in CLIENTS]
    if unknown or not wanted:
        raise InvalidInputError(
            f"Unknown client {unknown[0] if unknown else text!r}: expected one or more of "
            f"{', '.join(CLIENTS)}, separated by commas",
            [Problem("client", f"expected one of {', '.join(CLIENTS)}", raw)],
            where="query",
        )
    return wanted


@router.get(
    f"{X}/servers/{{serverName}}/versions/{{version}}/install",
    operation_id="registrum-install",
    summary="Ready client configurations for a server version",
    description="The version's execution hints (packages, remotes) written as configurations "
    "for VS Code, Claude Desktop, Claude Code, Cursor and a generic form. `options` lists every "
    "way to run the server, best first; `option` picks one. Values a person supplies are "
    "prompts or placeholders, never literal secrets; `warnings` say what a client cannot "
    "express. The version 'latest' names the latest one.",
    tags=["registrum"],
    response_class=Response,
    responses=_responses(),
)
async def install(
    request: Request,
    ctx: Context,
    server_name: Annotated[
        str, Path(alias="serverName", description='URL-encoded server name ("com.example%2Fx")')
    ],
    version: Annotated[str, Path(alias="version", description='A version, or "latest"')],
    client: Annotated[
        str | None,
        Query(description=f"One or more of {', '.join(CLIENTS)}, comma-separated (default: all)"),
    ] = None,
    option: Annotated[
        int | None,
        Query(ge=0, le=MAX_OPTION, description="Index in `options` (default: the first usable)"),
    ] = None,
    key: Annotated[
        str | None,
        Query(description="The entry's name in the client's file (default: the name's last part)"),
    ] = None,
) -> Response:
    name = decode_segment(server_name, "serverName")
    ver = decode_segment(version, "version")
    clients = _clients(client)
    entry_key = query_text(key, "key")

    def answer() -> Response:
        try:
            view = ctx.query.get(name, ver)
        except NotFoundError:
            moved = redirect_if_moved(request, ctx, name)
            if moved is None:
                raise
            return moved
        document = orjson.loads(view.body)
        if not isinstance(document, dict):
            raise NotFoundError("Server not found")
        result = install_configs(document, clients=clients, option=option, key=entry_key)
        body = result.to_json()
        body["status"] = view.status.value
        if view.status_message:
            body[wire.STATUS_MESSAGE] = view.status_message
        return Response(orjson.dumps(_in_order(body)), media_type="application/json")

    return await ctx.read(answer)


def _in_order(body: dict[str, Any]) -> dict[str, Any]:
    """The summary members first, as a person reading the JSON would want them."""
    first = ("name", "version", wire.STATUS, wire.STATUS_MESSAGE, "option")
    return {**{k: body[k] for k in first if k in body}, **body}
