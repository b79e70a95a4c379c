"""Slow outside servers cannot hold up publishing or reading.

A login waits on the domain's key host, needs no credentials, and anybody can start many:
against a real ``registrum serve``, sixty logins whose key host answers slowly are kept in
flight while publishes and reads are timed, and they must stay within twice their idle
latency. One address may have only a few logins in flight at once.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import server_json
from tests.processes import serving
from tests.signing import DomainKey

# How long the key host takes to answer: longer than the measurement below.
SLOW = 12.0


class _SlowKeyHost(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SlowHandler)
        self.seen = 0
        self.lock = threading.Lock()
        self.release = threading.Event()


class _SlowHandler(BaseHTTPRequestHandler):
    server: _SlowKeyHost

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.seen += 1
        self.server.release.wait(SLOW)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_key_host() -> Iterator[_SlowKeyHost]:
    host = _SlowKeyHost()
    thread = threading.Thread(target=host.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        host.release.set()
        host.shutdown()
        host.server_close()


def _env(host: _SlowKeyHost, **extra: str) -> dict[str, str]:
    port = host.server_address[1]
    return {
        "MCP_REGISTRY_HTTP_AUTH_URL_TEMPLATE": f"http://127.0.0.1:{port}/{{domain}}/key",
        "MCP_REGISTRY_HTTP_AUTH_ALLOW_PRIVATE": "true",
        "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true",
        "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION": "false",
        **extra,
    }


def _start_logins(base: str, count: int) -> tuple[list[threading.Thread], list[int]]:
    key = DomainKey.ed25519()
    statuses: list[int] = []

    def one(i: int) -> None:
        try:
            r = httpx.post(
                f"{base}/v0.1/auth/http",
                json=key.login_body(f"slow{i}.example.com"),
                timeout=SLOW + 20,
            )
            statuses.append(r.status_code)
        except httpx.HTTPError:
            statuses.append(0)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    return threads, statuses


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _latencies(base: str, token: str, tag: str) -> tuple[float, float]:
    """Median seconds of a publish and of an uncached read (each read follows a write, so
    no answer comes from the cache)."""
    publishes, reads = [], []
    with httpx.Client(base_url=base, timeout=30) as http:
        for i in range(7):
            doc = server_json(name="io.modelcontextprotocol.anonymous/timed", version=f"{tag}.{i}")

            def publish(doc: dict = doc) -> None:
                r = http.post(
                    "/v0.1/publish", json=doc, headers={"Authorization": f"Bearer {token}"}
                )
                assert r.status_code == 200, r.text

            def read() -> None:
                r = http.get("/v0.1/servers", params={"search": "timed", "version": "latest"})
                assert r.status_code == 200, r.text

            publishes.append(_timed(publish))
            reads.append(_timed(read))
    return statistics.median(publishes), statistics.median(reads)


def test_sixty_slow_logins_do_not_hold_up_publishing_or_reading(
    tmp_path: Path, slow_key_host: _SlowKeyHost
) -> None:
    # Every login of the sixty admitted: this measures the lanes, not the per-client cap or
    # the login rate limit (both of which would refuse most of them from one address).
    env = _env(
        slow_key_host, MCP_REGISTRY_OUTBOUND_PER_CLIENT="100", MCP_REGISTRY_RATE_LIMIT_AUTH=""
    )
    with serving(tmp_path, env) as (base, _log):
        token = httpx.post(f"{base}/v0.1/auth/none", timeout=10).json()["registry_token"]
        _latencies(base, token, "0")  # warm up
        idle_publish, idle_read = _latencies(base, token, "1")

        threads, statuses = _start_logins(base, 60)
        # The login lane's threads (16 by default) all wait on the key host.
        _wait_for(lambda: slow_key_host.seen >= 16)
        busy_publish, busy_read = _latencies(base, token, "2")
        still_waiting = sum(t.is_alive() for t in threads)
        slow_key_host.release.set()
        for t in threads:
            t.join(timeout=SLOW + 25)

    assert still_waiting == 60, "the logins must still be in flight while measuring"
    assert statuses.count(401) == 60, statuses  # each refused once its key host answered
    # Twice the idle median, plus 20 ms for a shared 2-core test machine's scheduling noise.
    assert busy_publish <= 2 * idle_publish + 0.02, (idle_publish, busy_publish)
    assert busy_read <= 2 * idle_read + 0.02, (idle_read, busy_read)


def test_one_address_may_have_only_a_few_logins_in_flight(
    tmp_path: Path, slow_key_host: _SlowKeyHost
) -> None:
    with serving(tmp_path, _env(slow_key_host)) as (base, _log):
        threads, statuses = _start_logins(base, 4)
        _wait_for(lambda: slow_key_host.seen >= 4)
        key = DomainKey.ed25519()
        refused = httpx.post(
            f"{base}/v0.1/auth/http", json=key.login_body("fifth.example.com"), timeout=5
        )
        slow_key_host.release.set()
        for t in threads:
            t.join(timeout=SLOW + 25)
        exposition = httpx.get(f"{base}/metrics", timeout=10).text

    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }
    # The four logins are counted as outside calls, each refused by its key host's answer;
    # the login lane's size and (now idle) threads are exposed for saturation alerts.
    proof = (("kind", "proof"), ("outcome", "refused"))
    assert samples[("registrum_outbound_call_duration_seconds_count", proof)] == 4
    assert samples[("registrum_pool_threads", (("pool", "login"),))] == 16
    assert samples[("registrum_pool_threads_in_use", (("pool", "login"),))] == 0
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) > 0
    assert "already have 4 logins in progress" in refused.json()["detail"]
    assert statuses == [401] * 4  # the first four were not disturbed
    assert slow_key_host.seen == 4  # the fifth never reached the key host
