"""Shared checks for the robustness and fuzz tests: the problem JSON shape, and a snapshot of
stored data that abuse must leave exactly as it was."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select

from registrum.server.wiring import Registry
from registrum.storage.tables import changes
from tests.conftest import auth
from tests.factories import remote, server_json

PROBLEM_JSON = "application/problem+json"
PREFIXES = ("/v0.1", "/v0")

WEATHER = "io.github.alice/weather"
TOOLS = "com.example/tools"
GONE = "io.github.alice/gone"
SEEDED_NAMES = (WEATHER, TOOLS, GONE)


def enc(name: str) -> str:
    """A server name as one URL path segment."""
    return quote(name, safe="")


def assert_problem(
    r: Any,
    status: int | tuple[int, ...] | None = None,
    location: str | None = None,
    case: str = "",
) -> dict[str, Any]:
    """``r`` is a 4xx RFC 9457 problem: title, status, detail and well-formed errors[].

    With ``location``, some error points at it (or inside it: ``body.packages[0]`` is inside
    ``body.packages``). ``case`` names the input in failure messages.
    """
    __tracebackhide__ = True
    where = f"[{case}] " if case else ""
    where += f"{r.request.method} {str(r.request.url)[:200]}"
    assert 400 <= r.status_code < 500, f"{where} -> {r.status_code}: {r.text[:500]}"
    if status is not None:
        wanted = (status,) if isinstance(status, int) else status
        assert r.status_code in wanted, f"{where} -> {r.status_code}: {r.text[:500]}"
    content_type = r.headers.get("content-type", "")
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, f"{where}: {content_type!r}"
    body = r.json()
    assert isinstance(body, dict), body
    assert body["status"] == r.status_code, body
    assert body["title"] == HTTPStatus(r.status_code).phrase, body
    assert isinstance(body["detail"], str), body
    assert body["detail"].strip(), body
    errors = body.get("errors", [])
    assert isinstance(errors, list), body
    for error in errors:
        assert isinstance(error, dict), body
        assert isinstance(error.get("message"), str), body
        assert isinstance(error.get("location"), str), body
    if location is not None:
        locations = [e["location"] for e in errors]
        assert any(
            loc == location or loc.startswith((f"{location}.", f"{location}[")) for loc in locations
        ), f"{where}: no error at {location!r}, only {locations} ({body['detail']})"
    return body


def assert_not_server_error(r: Any) -> None:
    """Anything but a 5xx; an error status must come as problem JSON."""
    __tracebackhide__ = True
    assert r.status_code < 500, f"{r.request.method} {r.request.url} -> {r.text[:500]}"
    if r.status_code >= 400:
        assert_problem(r)


class Seeded:
    """A few servers published through the API (active, deprecated and deleted versions),
    and the means to check that nothing since has changed them."""

    def __init__(self, client: TestClient, registry: Registry, admin: str) -> None:
        self.client = client
        self.registry = registry
        self.admin = admin
        self.headers = auth(admin)
        docs = [
            server_json(name=WEATHER, version="1.0.0"),
            server_json(name=WEATHER, version="1.1.0", title="Weather"),
            server_json(name=WEATHER, version="2.0.0-beta.1"),
            server_json(name=TOOLS, version="0.1.0", remotes=[remote()]),
            server_json(name=GONE, version="1.0.0"),
        ]
        for doc in docs:
            r = client.post("/v0.1/publish", json=doc, headers=self.headers)
            assert r.status_code == 200, r.text
        self._status(TOOLS, "0.1.0", {"status": "deprecated", "statusMessage": "use v2"})
        self._status(GONE, "1.0.0", {"status": "deleted", "statusMessage": "withdrawn"})
        self.docs = {(d["name"], d["version"]): d for d in docs}
        self.before = self.snapshot()

    def _status(self, name: str, version: str, body: dict[str, Any]) -> None:
        r = self.client.patch(
            f"/v0.1/servers/{enc(name)}/versions/{version}/status", json=body, headers=self.headers
        )
        assert r.status_code == 200, r.text

    def change_log(self) -> list[tuple[Any, ...]]:
        with self.registry.engine.connect() as conn:
            rows = conn.execute(select(changes).order_by(changes.c.seq)).all()
        return [tuple(row) for row in rows]

    def snapshot(self) -> dict[str, Any]:
        """Everything a reader sees of the seeded servers, plus the whole change log."""
        out: dict[str, Any] = {}
        for prefix in PREFIXES:
            r = self.client.get(f"{prefix}/servers?include_deleted=true&limit=100")
            assert r.status_code == 200, r.text
            out[f"{prefix} list"] = [
                item for item in r.json()["servers"] if item["server"]["name"] in SEEDED_NAMES
            ]
            for name in SEEDED_NAMES:
                r = self.client.get(f"{prefix}/servers/{enc(name)}/versions?include_deleted=true")
                assert r.status_code == 200, r.text
                out[f"{prefix} {name} versions"] = r.json()
                latest = self.client.get(f"{prefix}/servers/{enc(name)}/versions/latest")
                out[f"{prefix} {name} latest"] = (latest.status_code, latest.json())
        out["change log"] = [row for row in self.change_log() if row[5] in SEEDED_NAMES]
        return out

    def assert_intact(self) -> None:
        """The seeded data reads back exactly as before, and the log is consistent."""
        __tracebackhide__ = True
        after = self.snapshot()
        for key, value in self.before.items():
            assert after[key] == value, f"{key} changed"
        for (name, version), doc in self.docs.items():
            r = self.client.get(
                f"/v0.1/servers/{enc(name)}/versions/{version}?include_deleted=true"
            )
            assert r.status_code == 200, r.text
            assert r.json()["server"] == doc
        assert_log_consistent(self.client, self.registry)


def assert_log_consistent(client: TestClient, registry: Registry) -> None:
    """The change log is gap-free, its head is its last record, and every stored version
    has exactly one ``published`` record (and there is no record for a version not stored)."""
    __tracebackhide__ = True
    with registry.engine.connect() as conn:
        rows = conn.execute(select(changes).order_by(changes.c.seq)).mappings().all()
    seqs = [row["seq"] for row in rows]
    assert seqs == list(range(1, len(seqs) + 1)), "change log has gaps"
    assert registry.store.log.head() == len(seqs)
    published = [(row["name"], row["version"]) for row in rows if row["kind"] == "published"]
    assert len(published) == len(set(published)), "a version was published twice"
    stored = []
    cursor = None
    while True:
        url = "/v0.1/servers?include_deleted=true&limit=100"
        r = client.get(url, params={"cursor": cursor} if cursor else None)
        assert r.status_code == 200, r.text
        page = r.json()
        stored += [(i["server"]["name"], i["server"]["version"]) for i in page["servers"]]
        cursor = page["metadata"].get("nextCursor")
        if not cursor:
            break
    assert sorted(stored) == sorted(published)
