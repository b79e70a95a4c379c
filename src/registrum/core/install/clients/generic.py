"""The generic form, for any client or script: ``{"command", "args", "env"}`` for a local
server; ``{"url", "transport", "headers"}`` for a remote one (with ``start``, the command to
start first, for a package that serves HTTP itself). A value the person supplies is written
``${ID}``; the result's ``inputs`` say what each one is."""

from __future__ import annotations

import json
from typing import Any

from registrum.core.install.clients.common import headers_of, notes, stdio_entry
from registrum.core.install.model import ClientConfig, ClientFormat, Option, Ref, render

ID = "generic"
TITLE = "Any client (command or URL)"


def _hole(ref: Ref) -> str:
    return "${" + ref.id + "}"


def write(option: Option, key: str) -> ClientConfig:
    if option.launch is not None:
        config: dict[str, Any] = stdio_entry(option.launch, _hole, transport="stdio")
    else:
        assert option.endpoint is not None
        endpoint = option.endpoint
        config = {"transport": endpoint.transport, "url": render(endpoint.url, _hole)}
        headers = headers_of(endpoint, _hole)
        if headers:
            config["headers"] = headers
        if endpoint.start is not None:
            config["start"] = stdio_entry(endpoint.start, _hole)
    return ClientConfig(
        client=ID,
        title=TITLE,
        option=option.index,
        key=key,
        config=config,
        snippet=json.dumps(config, indent=2, ensure_ascii=False),
        warnings=tuple(notes(option)),
    )


CLIENT = ClientFormat(ID, TITLE, None, write)
