"""A short mixed soak against a real ``registrum serve``: publishes, reads of every kind,
status changes, bad input and misses, from several clients at once. No answer is a 5xx,
every acknowledged publish reads back whole, the feed is gap-free, and the server's memory
after the second half is where it was after the first."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import server_json
from tests.processes import free_port
from tests.reliability.server import ANON, anonymous_headers, rss_mib, start, stop

CLIENTS = 6
HALF = 6.0  # seconds of each half


def _load(
    base: str,
    headers: dict[str, str],
    seconds: float,
    worker: int,
    round_: int,
    acknowledged: list[tuple[str, str]],
    statuses: list[int],
) -> None:
    rng = random.Random(worker * 100 + round_)
    deadline = time.monotonic() + seconds
    n = 0
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        while time.monotonic() < deadline:
            n += 1
            pick = rng.random()
            name = f"{ANON}/soak-{worker}-{n % 5}"
            path_name = name.replace("/", "%2F")
            if pick < 0.2:
                version = f"{round_}.{n}.0"
                doc = server_json(name, version, description=f"soak {worker} {n} " * 3)
                r = http.post("/v0.1/publish", json=doc)
                if r.status_code == 200:
                    acknowledged.append((name, version))
            elif pick < 0.25:
                r = http.post("/v0.1/publish", content=b'{"name": 1, "version": [')
            elif pick < 0.3 and acknowledged:
                done_name, done_version = rng.choice(acknowledged)
                status = rng.choice(["deprecated", "active"])
                r = http.patch(
                    f"/v0.1/servers/{done_name.replace('/', '%2F')}/versions/{done_version}/status",
                    json={"status": status},
                )
            elif pick < 0.55:
                r = http.get("/v0.1/servers", params={"limit": rng.choice([5, 30, 100])})
            elif pick < 0.7:
                r = http.get("/v0.1/servers", params={"search": f"soak-{rng.randrange(6)}"})
            elif pick < 0.8:
                r = http.get(f"/v0.1/servers/{path_name}/versions/latest")
            elif pick < 0.9:
                r = http.get("/v0.1/x/io.registrum/changes", params={"since": rng.randrange(50)})
            else:
                r = http.get(f"/v0.1/servers/{ANON}%2Fmissing-{n}/versions")
            statuses.append(r.status_code)


def _round(
    base: str,
    headers: dict[str, str],
    round_: int,
    acknowledged: list[tuple[str, str]],
    statuses: list[int],
) -> None:
    threads = [
        threading.Thread(
            target=_load, args=(base, headers, HALF, w, round_, acknowledged, statuses)
        )
        for w in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HALF + 60)


@pytest.mark.slow
def test_a_mixed_soak_leaves_no_errors_and_no_growth(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # A small read cache, so that a full cache is reached in the first half, not mistaken
    # for growth in the second.
    proc = start(tmp_path, database_url, port, MCP_REGISTRY_RESPONSE_CACHE_BYTES="2097152")
    acknowledged: list[tuple[str, str]] = []
    statuses: list[int] = []
    try:
        headers = anonymous_headers(base)
        _round(base, headers, 1, acknowledged, statuses)
        after_first = rss_mib(proc)
        _round(base, headers, 2, acknowledged, statuses)
        after_second = rss_mib(proc)

        assert len(statuses) > 500, len(statuses)
        assert not [s for s in statuses if s >= 500], sorted(set(statuses))
        assert set(statuses) <= {200, 400, 404, 422}, sorted(set(statuses))
        with httpx.Client(base_url=base, timeout=30) as http:
            for name, version in acknowledged:
                r = http.get(f"/v0.1/servers/{name.replace('/', '%2F')}/versions/{version}")
                assert r.status_code == 200, (name, version, r.text)
                assert r.json()["server"]["version"] == version
            seqs, since = [], 0
            while True:
                page = http.get(
                    "/v0.1/x/io.registrum/changes", params={"since": since, "limit": 1000}
                ).json()
                if not page["changes"]:
                    break
                seqs += [c["seq"] for c in page["changes"]]
                since = seqs[-1]
        assert seqs == list(range(1, len(seqs) + 1))  # gap-free
        # Steady state: the second half adds no more than noise to what the first reached.
        assert after_second - after_first < 16, (after_first, after_second)
    finally:
        stop(proc)
