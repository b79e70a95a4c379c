"""Claude Desktop: an entry of ``claude_desktop_config.json``'s ``mcpServers``.

Shape from the MCP documentation, "Connect to local MCP servers"
(modelcontextprotocol.io/docs/develop/connect-local-servers): ``{"command", "args", "env"}``
per server. The file has no way to prompt, so a value the person must supply is written as a
``<ID>`` placeholder to replace, and said in the warnings. A remote server is reached through
the ``mcp-remote`` bridge, the documented form for this file (its README, npm package
``mcp-remote``): ``npx -y mcp-remote URL [--transport http-only|sse-only] [--header
"Name:${ENV}"]``, each header's value passed in ``env`` so that spaces in it survive.
"""

from __future__ import annotations

import json
from typing import Any

from registrum.core.install.clients.common import (
    default_or,
    notes,
    placeholder,
    start_first,
    stdio_entry,
    unfilled,
)
from registrum.core.install.inputs import env_id
from registrum.core.install.model import ClientConfig, ClientFormat, Option, render

ID = "claude-desktop"
TITLE = "Claude Desktop"
FILE = "claude_desktop_config.json"
_BRIDGE_TRANSPORT = {"streamable-http": "http-only", "sse": "sse-only"}


def write(option: Option, key: str) -> ClientConfig:
    hole = default_or(option, placeholder)
    warnings = notes(option)
    entry: dict[str, Any]
    if option.launch is not None:
        entry = stdio_entry(option.launch, hole)
    else:
        assert option.endpoint is not None
        endpoint = option.endpoint
        url = render(endpoint.url, hole)
        args = ["-y", "mcp-remote", url, "--transport", _BRIDGE_TRANSPORT[endpoint.transport]]
        env: dict[str, str] = {}
        for name, value in endpoint.headers:
            variable = f"MCP_HEADER_{env_id(name).upper()}"
            args += ["--header", f"{name}:${{{variable}}}"]
            env[variable] = render(value, hole)
        entry = {"command": "npx", "args": args}
        if env:
            entry["env"] = env
        warnings.append(
            "Claude Desktop reaches this remote server through the mcp-remote bridge, which "
            "needs Node.js (npx); a plan that offers Connectors can add the URL there instead"
        )
        if endpoint.start is not None:
            warnings.append(start_first(endpoint, url, TITLE))
    for prompt in unfilled(option):
        what = "your secret value" if prompt.secret else "your value"
        about = f" ({prompt.description})" if prompt.description else ""
        warnings.append(
            f"Claude Desktop cannot ask for values: replace <{prompt.id}> in "
            f"{', '.join(prompt.used_in)} with {what}{about} before use"
        )
    config = {"mcpServers": {key: entry}}
    return ClientConfig(
        client=ID,
        title=TITLE,
        option=option.index,
        key=key,
        file=FILE,
        config=config,
        snippet=json.dumps(config, indent=2, ensure_ascii=False),
        warnings=tuple(warnings),
    )


CLIENT = ClientFormat(ID, TITLE, FILE, write)
