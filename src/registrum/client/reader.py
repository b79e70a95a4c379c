"""Reading a registry's ``/servers`` feed to the end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from registrum.client.errors import RegistryError


def _problem(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def iter_server_items(
    url: str,
    *,
    client: httpx.Client | None = None,
    page_size: int = 100,
) -> Iterator[dict[str, Any]]:
    """Yield every ServerResponse item of a ``.../servers`` URL, following ``nextCursor``.

    Query parameters already in ``url`` (``version=latest``, ``search=...``) are kept; the
    cursor is sent properly escaped.
    """
    own = client is None
    http = client or httpx.Client(timeout=30.0, follow_redirects=True)
    try:
        parsed = httpx.URL(url)
        params = dict(parsed.params)
        params.setdefault("limit", str(page_size))
        cursor: str | None = None
        while True:
            if cursor:
                params["cursor"] = cursor
            try:
                response = http.get(parsed.copy_with(query=None), params=params)
            except httpx.HTTPError as exc:
                raise RegistryError(f"cannot reach {parsed.host}: {exc}") from exc
            if response.status_code != 200:
                raise RegistryError(
                    f"{response.request.url} answered {response.status_code}",
                    response.status_code,
                    _problem(response),
                )
            try:
                data = response.json()
            except ValueError as exc:
                raise RegistryError(f"{response.request.url} did not answer JSON") from exc
            if not isinstance(data, dict) or not isinstance(data.get("servers"), list):
                raise RegistryError(f"{response.request.url} did not answer a server list")
            yield from data["servers"]
            metadata = data.get("metadata") or {}
            cursor = metadata.get("nextCursor") if isinstance(metadata, dict) else None
            if not cursor:
                return
    finally:
        if own:
            http.close()
