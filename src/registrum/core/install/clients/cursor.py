"""Cursor: an entry of ``mcp.json``'s ``mcpServers`` and the one-click install link.

Shapes from Cursor's documentation, "Model Context Protocol (MCP)" (cursor.com/docs/context/mcp):
a stdio server is ``{"command", "args", "env"}``, a remote one ``{"url", "headers"}``; the
fields ``command``, ``args``, ``env``, ``url`` and ``headers`` expand ``${env:NAME}`` from
the environment Cursor runs in. The install link is
``cursor://anysphere.cursor-deeplink/mcp/install?name=NAME&config=BASE64`` where ``config`` is
the base64 of the entry's JSON.

Cursor cannot prompt, so a value the person supplies is read from their environment
(``${env:ID}``); one with a default (not a secret) gets its default.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

from registrum.core.install.clients.common import (
    default_or,
    headers_of,
    notes,
    start_first,
    stdio_entry,
    unfilled,
)
from registrum.core.install.model import ClientConfig, ClientFormat, Option, Ref, render

ID = "cursor"
TITLE = "Cursor"
FILE = ".cursor/mcp.json"


def _env(ref: Ref) -> str:
    return "${env:" + ref.id + "}"


def write(option: Option, key: str) -> ClientConfig:
    hole = default_or(option, _env)
    warnings = notes(option)
    entry: dict[str, Any]
    if option.launch is not None:
        entry = stdio_entry(option.launch, hole)
    else:
        assert option.endpoint is not None
        endpoint = option.endpoint
        entry = {"url": render(endpoint.url, hole)}
        headers = headers_of(endpoint, hole)
        if headers:
            entry["headers"] = headers
        if endpoint.start is not None:
            warnings.append(start_first(endpoint, entry["url"], TITLE))
    for prompt in unfilled(option):
        about = f" ({prompt.description})" if prompt.description else ""
        warnings.append(
            f"Cursor cannot ask for values: set {prompt.id}{about} in the environment Cursor "
            f"starts in; the configuration reads it as ${{env:{prompt.id}}}"
        )
    config = {"mcpServers": {key: entry}}
    encoded = base64.b64encode(
        json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()
    ).decode()
    link = (
        "cursor://anysphere.cursor-deeplink/mcp/install"
        f"?name={quote(key, safe='')}&config={quote(encoded, safe='')}"
    )
    return ClientConfig(
        client=ID,
        title=TITLE,
        option=option.index,
        key=key,
        file=FILE,
        config=config,
        snippet=json.dumps(config, indent=2, ensure_ascii=False),
        links={"install": link},
        warnings=tuple(warnings),
    )


CLIENT = ClientFormat(ID, TITLE, FILE, write)
