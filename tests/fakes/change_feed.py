"""A Registrum change feed on 127.0.0.1 (``GET /v0.1/x/io.registrum/changes``) over an
in-memory list of changes whose seqs the test chooses (gaps included), with a page cap of
its own, counting the requests it answers.

    with FakeChangeFeed(changes_for(range(1, 3001))) as feed:
        feed.url, feed.requests
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request

OFFICIAL = "io.modelcontextprotocol.registry/official"
SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
AT = "2026-01-01T00:00:00Z"


def change(seq: int) -> dict[str, Any]:
    """A published change for seq ``seq``: its own server and version id."""
    name = f"com.example/feed-{seq:05d}"
    return {
        "seq": seq,
        "kind": "published",
        "at": AT,
        "serverId": f"server-{seq}",
        "versionId": f"version-{seq}",
        "name": name,
        "version": "1.0.0",
        "server": {
            "server": {
                "$schema": SCHEMA,
                "name": name,
                "description": f"Feed entry {seq}",
                "version": "1.0.0",
            },
            "_meta": {
                OFFICIAL: {
                    "status": "active",
                    "statusChangedAt": AT,
                    "publishedAt": AT,
                    "updatedAt": AT,
                    "isLatest": True,
                }
            },
        },
    }


class FakeChangeFeed(LoopbackFake):
    def __init__(self, seqs: Iterable[int], *, page_cap: int = 1000) -> None:
        self.changes = [change(seq) for seq in sorted(seqs)]
        self.page_cap = page_cap
        self.fail_from: int | None = None  # answer 500 to pages from this since on
        self.requests: list[tuple[int, int]] = []  # (since, limit) of each request
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handle)

    @property
    def url(self) -> str:
        return self._server.url

    def _handle(self, request: Request) -> Reply:
        if request.path != "/v0.1/x/io.registrum/changes":
            return Reply.json({"title": "Not Found", "status": 404}, status=404)
        since = int(request.query_one("since", "0") or 0)
        limit = min(int(request.query_one("limit", "100") or 100), self.page_cap)
        with self._lock:
            self.requests.append((since, limit))
        if self.fail_from is not None and since >= self.fail_from:
            return Reply.json({"title": "Internal Server Error", "status": 500}, status=500)
        page = [c for c in self.changes if c["seq"] > since][:limit]
        head = self.changes[-1]["seq"] if self.changes else 0
        next_since = page[-1]["seq"] if page else since
        return Reply.json({"changes": page, "metadata": {"nextSince": next_since, "head": head}})
