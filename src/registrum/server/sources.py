"""Where ``registrum import`` reads from: a JSON file, a URL of one, or a registry's
``/servers`` endpoint paged to the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from registrum.client import iter_server_items


class SourceError(Exception):
    """The import source cannot be read; the message says why and what is expected."""


def _items_of(data: Any, where: str) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("servers"), list):
        return list(data["servers"])
    raise SourceError(
        f"{where}: expected a JSON array of server.json documents or ServerResponse items "
        '(or an object with a "servers" array)'
    )


def _decode(content: bytes, where: str) -> list[Any]:
    try:
        return _items_of(orjson.loads(content), where)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"{where}: not valid JSON ({exc})") from exc


def is_registry_url(source: str) -> bool:
    return source.startswith(("http://", "https://")) and httpx.URL(source).path.rstrip(
        "/"
    ).endswith("/servers")


def open_source(source: str) -> tuple[Iterator[Any], int | None]:
    """The items of ``source`` and, when known up front, how many there are."""
    if is_registry_url(source):
        return iter_server_items(source), None
    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, timeout=60.0, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise SourceError(f"{source}: cannot fetch ({exc})") from exc
        if response.status_code != 200:
            raise SourceError(f"{source}: answered HTTP {response.status_code}")
        items = _decode(response.content, source)
        return iter(items), len(items)
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"{source}: no such file")
    items = _decode(path.read_bytes(), source)
    return iter(items), len(items)
