"""Test data: server.json documents built from a valid base, and registry tokens."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from urllib.parse import quote

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


# --- API helpers for the functional tests -------------------------------------------------

PREFIXES = ("/v0.1", "/v0")


def enc(segment: str) -> str:
    """One URL path segment, fully encoded: ``io.github.alice%2Fweather``, ``1.0.0%2Bb``."""
    return quote(segment, safe="")


def official(item: dict[str, Any]) -> dict[str, Any]:
    """The official registry metadata block of one ServerResponse."""
    meta: dict[str, Any] = item["_meta"][wire.OFFICIAL_META]
    return meta


def assert_problem(response: Any, status: int, detail: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem answer with ``status`` (and exactly ``detail`` when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if detail is not None:
        assert body["detail"] == detail
    return body


def ts(value: str) -> datetime:
    """An RFC 3339 timestamp from a response, comparable (text order is not time order)."""
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed
