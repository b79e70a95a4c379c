"""Fifty identical publishes at once, through HTTP: exactly one is stored and acknowledged,
the others are told it is a duplicate; on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from tests.factories import server_json
from tests.processes import free_port
from tests.reliability.server import ANON, anonymous_headers, start, stop


def test_fifty_racing_duplicates_give_exactly_one_success(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path, database_url, port)
    try:
        headers = anonymous_headers(base)
        name = f"{ANON}/racing"
        doc = server_json(name, "1.0.0")
        barrier = threading.Barrier(50)
        answers: list[httpx.Response] = []
        lock = threading.Lock()

        def racer() -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                barrier.wait()
                r = client.post("/v0.1/publish", json=doc)
            with lock:
                answers.append(r)

        threads = [threading.Thread(target=racer) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

        statuses = sorted(r.status_code for r in answers)
        assert statuses == [200] + [400] * 49, statuses
        for r in answers:
            if r.status_code == 400:
                assert "duplicate version" in r.json()["detail"], r.text
        versions = httpx.get(f"{base}/v0.1/servers/{name.replace('/', '%2F')}/versions").json()
        assert [s["server"]["version"] for s in versions["servers"]] == ["1.0.0"]
        feed = httpx.get(f"{base}/v0.1/x/io.registrum/changes", params={"since": 0}).json()
        published = [c for c in feed["changes"] if c["name"] == name]
        assert [c["kind"] for c in published] == ["published"]
    finally:
        stop(proc)
