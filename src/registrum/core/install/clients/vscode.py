"""VS Code: an entry of ``mcp.json``'s ``servers``, the ``inputs`` VS Code prompts for, and
the ``vscode:mcp/install`` link.

Shapes from VS Code's documentation, "MCP configuration reference"
(code.visualstudio.com/docs/copilot/reference/mcp-configuration): a stdio server is
``{"type": "stdio", "command", "args", "env"}``, an HTTP one ``{"type": "http" | "sse",
"url", "headers"}``; ``inputs`` are ``promptString`` (``id``, ``description``, ``password``,
``default``) or ``pickString`` (with ``options``), referred to as ``${input:id}`` in any
string of the entry. The install link is ``vscode:mcp/install?`` followed by the URL-encoded
JSON of the entry with its ``name`` (and its ``inputs``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from registrum.core.install.clients.common import (
    headers_of,
    notes,
    start_first,
    stdio_entry,
    used_prompts,
)
from registrum.core.install.model import ClientConfig, ClientFormat, Option, Prompt, Ref, render

ID = "vscode"
TITLE = "VS Code"
FILE = ".vscode/mcp.json"


def _hole(ref: Ref) -> str:
    return "${input:" + ref.id + "}"


def vscode_input(prompt: Prompt) -> dict[str, Any]:
    described = prompt.description or prompt.id
    if prompt.choices and not prompt.secret:  # a pick list would show a secret's choices
        out: dict[str, Any] = {
            "type": "pickString",
            "id": prompt.id,
            "description": described,
            "options": list(prompt.choices),
        }
    else:
        out = {
            "type": "promptString",
            "id": prompt.id,
            "description": described,
            "password": prompt.secret,
        }
    if prompt.default is not None and not prompt.secret:
        out["default"] = prompt.default
    return out


def write(option: Option, key: str) -> ClientConfig:
    warnings = notes(option)
    if option.launch is not None:
        entry = stdio_entry(option.launch, _hole, type="stdio")
    else:
        assert option.endpoint is not None
        endpoint = option.endpoint
        kind = "sse" if endpoint.transport == "sse" else "http"
        entry = {"type": kind, "url": render(endpoint.url, _hole)}
        headers = headers_of(endpoint, _hole)
        if headers:
            entry["headers"] = headers
        if endpoint.start is not None:
            warnings.append(start_first(endpoint, entry["url"], TITLE))
    inputs = [vscode_input(p) for p in used_prompts(option)]
    config: dict[str, Any] = {"servers": {key: entry}}
    if inputs:
        config["inputs"] = inputs
    link: dict[str, Any] = {"name": key, **entry}
    if inputs:
        link["inputs"] = inputs
    payload = quote(json.dumps(link, separators=(",", ":"), ensure_ascii=False), safe="")
    return ClientConfig(
        client=ID,
        title=TITLE,
        option=option.index,
        key=key,
        file=FILE,
        config=config,
        snippet=json.dumps(config, indent=2, ensure_ascii=False),
        links={
            "install": f"vscode:mcp/install?{payload}",
            "installInsiders": f"vscode-insiders:mcp/install?{payload}",
        },
        warnings=tuple(warnings),
    )


CLIENT = ClientFormat(ID, TITLE, FILE, write)
