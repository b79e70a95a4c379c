"""What operators read: /metrics, request ids, /livez and /readyz, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.engine import make_url

from registrum.api.app import create_app
from registrum.server.wiring import Registry
from registrum.storage import engine as storage_engine
from tests.conftest import _admin
from tests.factories import assert_problem, server_json

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def sample(client: TestClient, name: str, **labels: str) -> float:
    """The value of one sample of /metrics (0 when absent), read with Prometheus's parser."""
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_request_counts_move_by_route_template_not_path(client: TestClient, publish) -> None:
    doc = server_json(version="1.0.0")
    assert publish(doc).status_code == 200
    route = "/v0.1/servers/{serverName}/versions/{version}"
    labels = {"method": "GET", "route": route, "status": "200"}
    before = sample(client, "registrum_http_request_duration_seconds_count", **labels)
    slow = sample(client, "registrum_http_request_duration_seconds_bucket", le="+Inf", **labels)
    for version in ("1.0.0", "latest", "1.0.0"):
        r = client.get(f"/v0.1/servers/io.github.alice%2Fweather/versions/{version}")
        assert r.status_code == 200
    assert sample(client, "registrum_http_request_duration_seconds_count", **labels) == before + 3
    after = sample(client, "registrum_http_request_duration_seconds_bucket", le="+Inf", **labels)
    assert after == slow + 3
    # The raw path never becomes a label: its series cannot grow with the names asked for.
    assert "io.github.alice" not in client.get("/metrics").text


def test_refusals_publishes_and_cache_lookups_are_counted(client: TestClient, publish) -> None:
    refused = {"route": "/v0.1/publish", "status": "401", "reason": "AuthenticationError"}
    before = {
        "refusals": sample(client, "registrum_http_refusals_total", **refused),
        "published": sample(client, "registrum_publishes_total", outcome="published"),
        "refused": sample(client, "registrum_publishes_total", outcome="refused"),
        "hit": sample(client, "registrum_read_cache_lookups_total", result="hit"),
        "miss": sample(client, "registrum_read_cache_lookups_total", result="miss"),
    }
    assert client.post("/v0.1/publish", json=server_json()).status_code == 401
    assert publish(server_json(version="2.0.0")).status_code == 200
    assert client.get("/v0.1/servers?limit=7").status_code == 200  # computed
    assert client.get("/v0.1/servers?limit=7").status_code == 200  # answered from memory
    assert sample(client, "registrum_http_refusals_total", **refused) == before["refusals"] + 1
    assert sample(client, "registrum_publishes_total", outcome="refused") == before["refused"] + 1
    published = sample(client, "registrum_publishes_total", outcome="published")
    assert published == before["published"] + 1
    assert sample(client, "registrum_read_cache_lookups_total", result="miss") >= before["miss"] + 1
    assert sample(client, "registrum_read_cache_lookups_total", result="hit") == before["hit"] + 1


def test_mirror_lag_is_read_from_the_stored_upstreams(client: TestClient, registry) -> None:
    registry.context.mirror.add("upstream-a", "https://registry.example.com", "official")
    assert sample(client, "registrum_mirror_last_sync_failed", upstream="upstream-a") == 0
    # Never synced: no last success, so no lag to report (an alert sees it absent).
    assert sample(client, "registrum_mirror_lag_seconds", upstream="upstream-a") == 0
    assert "registrum_mirror_lag_seconds{" not in client.get("/metrics").text


def test_request_id_is_kept_when_sane_and_made_otherwise(client: TestClient, publish) -> None:
    assert publish(server_json()).status_code == 200
    path = "/v0.1/servers/io.github.alice%2Fweather/versions/latest"
    first = client.get(path, headers={"X-Request-Id": "trace-1/abc"})
    assert first.headers["x-request-id"] == "trace-1/abc"
    cached = client.get(path, headers={"X-Request-Id": "trace-2"})
    assert cached.headers["x-request-id"] == "trace-2"
    etag = cached.headers["etag"]
    not_modified = client.get(path, headers={"If-None-Match": etag, "X-Request-Id": "trace-3"})
    assert not_modified.status_code == 304
    assert not_modified.headers["x-request-id"] == "trace-3"
    problem = client.get("/v0.1/servers/nobody%2Fhere/versions/latest")
    assert_problem(problem, 404)
    assert GENERATED_ID.match(problem.headers["x-request-id"])
    for bad in (b"has space", b"x" * 129, "caf\u00e9".encode(), b"", b"a\tb"):
        r = client.get("/v0.1/ping", headers={"X-Request-Id": bad})
        assert GENERATED_ID.match(r.headers["x-request-id"]), bad
    ids = {client.get("/v0.1/ping").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_livez_and_readyz_answer_when_ready(client: TestClient) -> None:
    for path in ("/livez", "/readyz"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.json() == {"status": "ok"}
    # The official shape stays for existing clients.
    assert client.get("/v0.1/health").json()["status"] == "ok"


def _previous_revision() -> str:
    cfg = storage_engine.alembic_config(None)  # type: ignore[arg-type]
    script = ScriptDirectory.from_config(cfg)
    head = script.get_revision(script.get_current_head())
    assert isinstance(head.down_revision, str)
    return head.down_revision


def test_readyz_is_503_when_the_schema_is_behind(client: TestClient, registry: Registry) -> None:
    older = _previous_revision()
    with registry.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
    r = client.get("/readyz")
    body = assert_problem(r, 503)
    assert r.headers["retry-after"]
    assert [e["location"] for e in body["errors"]] == ["migrations"]
    assert older in body["detail"]
    assert client.get("/livez").status_code == 200  # alive all the same: no restart helps


@pytest.fixture
def unreachable(registry: Registry, tmp_path: Path) -> Registry:
    """The registry's database gone from under it: a PostgreSQL database dropped, a SQLite
    file replaced by a folder."""
    url = make_url(registry.settings.database)
    registry.engine.dispose()
    if url.get_backend_name() == "postgresql":
        _admin(f"DROP DATABASE IF EXISTS {url.database} WITH (FORCE)")
    else:
        path = Path(str(url.database))
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        path.mkdir()
    return registry


def test_readyz_is_503_when_the_database_cannot_be_reached(unreachable: Registry) -> None:
    with TestClient(create_app(unreachable.context), raise_server_exceptions=False) as c:
        r = c.get("/readyz")
        body = assert_problem(r, 503)
        assert [e["location"] for e in body["errors"]] == ["database"]
        assert "cannot be reached" in body["detail"]
        assert c.get("/livez").status_code == 200
        # The process's own metrics are still served; only what the database says is missing.
        scraped = c.get("/metrics")
        assert scraped.status_code == 200
        assert "registrum_http_request_duration_seconds_count" in scraped.text
        assert "registrum_mirror_lag_seconds" not in scraped.text


def test_metrics_token_and_switch(registry: Registry) -> None:
    guarded = dataclasses.replace(registry.context, metrics_token="s3cret-token")
    with TestClient(create_app(guarded)) as c:
        assert_problem(c.get("/metrics"), 401)
        bad = c.get("/metrics", headers={"Authorization": "Bearer wrong"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"] == "Bearer"
        ok = c.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200
        assert "registrum_http_request_duration_seconds_count" in ok.text
    off = dataclasses.replace(registry.context, metrics_enabled=False)
    with TestClient(create_app(off)) as c:
        assert_problem(c.get("/metrics"), 404)
