"""Test data: server.json documents built from a valid base, and registry tokens."""

from __future__ import annotations

import copy
from typing import Any

from registrum.core import wire

ANON = "io.modelcontextprotocol.anonymous"


def server_json(
    name: str = "io.github.alice/weather",
    version: str = "1.0.0",
    description: str = "Weather forecasts for MCP clients.",
    **members: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "$schema": wire.CURRENT_SCHEMA_URL,
        "name": name,
        "description": description,
        "version": version,
    }
    doc.update(copy.deepcopy(members))
    return doc


def npm_package(**members: Any) -> dict[str, Any]:
    pkg: dict[str, Any] = {
        "registryType": "npm",
        "identifier": "@example/weather-mcp",
        "version": "1.0.0",
        "transport": {"type": "stdio"},
    }
    pkg.update(members)
    return pkg


def remote(url: str = "https://mcp.example.com/mcp", **members: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"type": "streamable-http", "url": url}
    r.update(members)
    return r
