"""A real ``registrum serve --workers 2``: /metrics adds up both workers' counts, and the
JSON log has one parseable line per request with its fields."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_SEED
from tests.factories import server_json
from tests.processes import serving

ANON = "io.modelcontextprotocol.anonymous"
REQUESTS = 60


def version_count(base: str) -> float:
    r = httpx.get(f"{base}/metrics", timeout=10)
    assert r.status_code == 200
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            if s.name == "registrum_http_request_duration_seconds_count" and s.labels == {
                "method": "GET",
                "route": "/v0.1/version",
                "status": "200",
            }:
                return float(s.value)
    return 0.0


@pytest.mark.slow
def test_two_workers_add_up_and_log_json(tmp_path: Path) -> None:
    multiproc = tmp_path / "multiproc"
    env = {
        "MCP_REGISTRY_WORKERS": "2",
        "MCP_REGISTRY_LOG_FORMAT": "json",
        "MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED,
        "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
    }
    multiproc.mkdir()
    (multiproc / "histogram_1.db").write_bytes(b"left by an earlier run")
    with serving(tmp_path, env=env) as (base, log):
        assert not (multiproc / "histogram_1.db").exists()  # emptied at start

        def ask(i: int) -> str:
            # A new connection each time, several at once: both workers get some.
            r = httpx.get(f"{base}/v0.1/version", headers={"X-Request-Id": f"t-{i}"})
            assert r.status_code == 200
            return r.headers["x-request-id"]

        # The kernel spreads connections over the workers as it likes: on a busy machine one
        # may take a whole batch. Ask in batches until both have answered some.
        asked = 0
        for _batch in range(20):
            with ThreadPoolExecutor(8) as pool:
                ids = [f"t-{i}" for i in range(asked, asked + REQUESTS)]
                assert sorted(pool.map(ask, range(asked, asked + REQUESTS))) == sorted(ids)
            asked += REQUESTS
            writers = {p.stem.rsplit("_", 1)[1] for p in multiproc.glob("histogram_*.db")}
            if len(writers) >= 2:
                break
        assert len(writers) >= 2, "one worker answered everything; the sum is not tested"
        # Whichever worker answers the scrape, it reports the sum of both.
        assert {version_count(base) for _ in range(6)} == {asked}

        token = httpx.post(f"{base}/v0.1/auth/none").json()["registry_token"]
        r = httpx.post(
            f"{base}/v0.1/publish",
            json=server_json(name=f"{ANON}/observed"),
            headers={"Authorization": f"Bearer {token}", "X-Request-Id": "publish-1"},
        )
        assert r.status_code == 200, r.text
        assert httpx.get(f"{base}/readyz").status_code == 200
        text = log.read_text()

    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    access = {x.get("request_id"): x for x in lines if x["logger"] == "registrum.access"}
    line = access["t-7"]
    assert line["method"] == "GET"
    assert line["route"] == "/v0.1/version"
    assert line["path"] == "/v0.1/version"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["client"] == "127.0.0.1"
    assert line["bytes"] > 0
    assert line["subject"] is None
    assert line["timestamp"].endswith("+00:00")
    published = access["publish-1"]
    assert published["status"] == 200
    assert published["subject"].startswith("none:")  # the token's login method and subject
    # uvicorn's own access log is off in JSON mode: each request is logged once.
    assert not [x for x in lines if x["logger"] == "uvicorn.access"]
    assert any(x["logger"] == "uvicorn.error" for x in lines)
