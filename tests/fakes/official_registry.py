"""A registry on 127.0.0.1 that speaks only the official list API (no change feed, no
Registrum extensions): ``GET /v0.1/servers`` with ``cursor``, ``limit``, ``updated_since``
and ``include_deleted``, over an in-memory list of entries the test edits.

    with FakeOfficialRegistry() as upstream:
        upstream.put("com.example/tools", "1.0.0", description="Tools")
        upstream.put("com.example/tools", "1.0.0", status="deleted")   # later: a tombstone
        upstream.url
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request

OFFICIAL = "io.modelcontextprotocol.registry/official"
SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class FakeOfficialRegistry(LoopbackFake):
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        # A clock that moves forward a millisecond per write, so updatedAt orders writes.
        self._now = datetime(2026, 1, 1, tzinfo=UTC)
        self._server = LoopbackServer(self._handle)

    @property
    def url(self) -> str:
        return self._server.url

    def put(
        self,
        name: str,
        version: str,
        *,
        description: str = "A mirrored server.",
        status: str = "active",
        updated_at: datetime | None = None,
        **members: Any,
    ) -> dict[str, Any]:
        with self._lock:
            self._now += timedelta(milliseconds=1)
            at = updated_at or self._now
            old = self.entries.get((name, version))
            published = old["_meta"][OFFICIAL]["publishedAt"] if old else _iso(at)
            item = {
                "server": {
                    "$schema": SCHEMA,
                    "name": name,
                    "description": description,
                    "version": version,
                    **members,
                },
                "_meta": {
                    OFFICIAL: {
                        "status": status,
                        "statusChangedAt": _iso(at),
                        "publishedAt": published,
                        "updatedAt": _iso(at),
                        "isLatest": False,
                    }
                },
            }
            self.entries[(name, version)] = item
            return item

    def load(self, items: list[dict[str, Any]]) -> None:
        """Serve these ServerResponse items exactly as given (real-shaped data, defects and
        all), in place of what ``put`` made."""
        with self._lock:
            for item in items:
                self.entries[(item["server"]["name"], item["server"]["version"])] = item

    def _handle(self, request: Request) -> Reply:
        self.requests.append(request)
        if request.path != "/v0.1/servers":
            return Reply.json({"title": "Not Found", "status": 404}, status=404)
        limit = int(request.query_one("limit", "30") or 30)
        cursor = request.query_one("cursor")
        since = request.query_one("updated_since")
        include_deleted = request.query_one("include_deleted") == "true" or since is not None
        with self._lock:
            items = sorted(self.entries.items())
        rows = []
        for (name, version), item in items:
            meta = item["_meta"][OFFICIAL]
            if not include_deleted and meta["status"] == "deleted":
                continue
            if since is not None and _parse(meta["updatedAt"]) <= _parse(since):
                continue
            if cursor is not None and f"{name}:{version}" <= cursor:
                continue
            rows.append(item)
        page = rows[:limit]
        metadata: dict[str, Any] = {"count": len(page)}
        if len(page) == limit:
            last = page[-1]["server"]
            metadata["nextCursor"] = f"{last['name']}:{last['version']}"
        return Reply.json({"servers": page, "metadata": metadata})
