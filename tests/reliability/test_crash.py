"""kill -9 in the middle of a publish storm loses no acknowledged publish and leaves no
partial row, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from registrum.storage import engine as storage_engine
from registrum.storage.tables import changes, log_head, remote_urls, server_versions, servers
from tests.factories import server_json
from tests.processes import free_port
from tests.reliability.server import ANON, start


@pytest.mark.slow
def test_kill_9_during_a_publish_storm_loses_nothing_acknowledged(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path, database_url, port)
    token = httpx.post(f"{base}/v0.1/auth/none").json()["registry_token"]
    headers = {"Authorization": f"Bearer {token}"}
    acknowledged: list[tuple[str, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def storm(worker: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
            n = 0
            while not stop.is_set():
                name = f"{ANON}/crash-{worker}-{n % 7}"
                version = f"1.0.{n}"
                doc = server_json(
                    name,
                    version,
                    remotes=[{"type": "sse", "url": f"https://c{worker}-{n % 7}.example.com/sse"}],
                )
                n += 1
                try:
                    r = client.post("/v0.1/publish", json=doc)
                except httpx.HTTPError:
                    continue  # the server died mid-request: not acknowledged
                if r.status_code == 200:
                    with lock:
                        acknowledged.append((name, version))

    workers = [threading.Thread(target=storm, args=(w,)) for w in range(8)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9, mid-storm
    proc.wait()
    stop.set()
    for w in workers:
        w.join()
    assert len(acknowledged) >= 150

    # Restart on the same database: recovery (WAL replay on SQLite) happens here.
    proc = start(tmp_path, database_url, port)
    try:
        engine = storage_engine.create(database_url)
        with engine.connect() as conn:
            stored = set(conn.execute(select(server_versions.c.name, server_versions.c.version)))
            seqs = [r[0] for r in conn.execute(select(changes.c.seq).order_by(changes.c.seq))]
            head = conn.execute(select(log_head.c.seq)).scalar_one()
            published = select(changes.c.name, changes.c.version).where(
                changes.c.kind == "published"
            )
            logged = list(conn.execute(published))
            kinds = set(conn.execute(select(changes.c.kind).distinct()).scalars())
            empty_servers = conn.execute(
                select(func.count())
                .select_from(servers)
                .where(
                    ~select(server_versions.c.id)
                    .where(server_versions.c.server_id == servers.c.id)
                    .exists()
                )
            ).scalar_one()
            orphan_urls = conn.execute(
                select(func.count())
                .select_from(remote_urls)
                .where(
                    ~select(server_versions.c.id)
                    .where(server_versions.c.id == remote_urls.c.version_id)
                    .exists()
                )
            ).scalar_one()
            latest_per_server = conn.execute(
                select(server_versions.c.server_id, func.count())
                .where(server_versions.c.is_latest)
                .group_by(server_versions.c.server_id)
            ).all()
            server_count = conn.execute(select(func.count()).select_from(servers)).scalar_one()
        engine.dispose()
        assert set(acknowledged) <= stored  # nothing acknowledged is lost
        assert seqs == list(range(1, head + 1))  # the log is gap-free and matches its head
        # One publish entry per stored version, none for a lost one; the other entries are
        # the latest flag moving between a server's versions (ADR 0015).
        assert set(logged) == stored
        assert len(logged) == len(stored)
        assert kinds <= {"published", "latest-moved"}
        assert empty_servers == 0  # no partial rows
        assert orphan_urls == 0
        assert len(latest_per_server) == server_count
        assert all(count == 1 for _, count in latest_per_server)
        # And the restarted registry serves and accepts writes.
        name, _ = acknowledged[0]
        r = httpx.get(f"{base}/v0.1/servers/{name.replace('/', '%2F')}/versions/latest")
        assert r.status_code == 200
        after = server_json(
            f"{ANON}/after-crash", remotes=[{"type": "sse", "url": "https://after.example.com/s"}]
        )
        assert httpx.post(f"{base}/v0.1/publish", json=after, headers=headers).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
