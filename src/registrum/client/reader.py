"""Reading a registry's ``/servers`` feed to the end, as raw ServerResponse items.

``registrum import`` uses it: it keeps each item exactly as the registry sent it. For typed
items use :meth:`RegistryClient.iter_servers`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from registrum.client._calls import transport_error
from registrum.client.errors import UnexpectedResponseError, response_error
from registrum.core import wire


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
        seen: set[str] = set()
        while True:
            if cursor:
                params["cursor"] = cursor
            request = http.build_request("GET", parsed.copy_with(query=None), params=params)
            try:
                response = http.send(request)
            except httpx.HTTPError as exc:
                raise transport_error(request, exc) from exc
            where = str(response.request.url)
            if response.status_code != 200:
                raise response_error(
                    response.status_code,
                    _problem(response),
                    url=where,
                    reason=response.reason_phrase,
                )
            try:
                data = response.json()
            except ValueError as exc:
                raise UnexpectedResponseError(f"{where} did not answer JSON", 200) from exc
            if not isinstance(data, dict) or not isinstance(data.get(wire.SERVERS), list):
                raise UnexpectedResponseError(f"{where} did not answer a server list", 200)
            yield from data[wire.SERVERS]
            metadata = data.get(wire.METADATA) or {}
            cursor = metadata.get(wire.NEXT_CURSOR) if isinstance(metadata, dict) else None
            if not cursor:
                return
            if cursor in seen:
                raise UnexpectedResponseError(f"{where} returned the cursor {cursor!r} twice")
            seen.add(cursor)
    finally:
        if own:
            http.close()
