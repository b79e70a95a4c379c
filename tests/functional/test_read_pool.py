"""On PostgreSQL, database reads run on a bounded pool of threads and the response cache
awaits its change token on the event loop: a slow query holds up only its own request,
and cached answers keep coming. (SQLite reads a local file: inline, by design.)"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from tests.factories import server_json

NAME = "io.github.alice/weather"


@pytest.fixture
def postgres_only(registry):
    if registry.store.dialect.local_reads:
        pytest.skip("SQLite reads a local file on the event loop: nothing to hold it up")
    assert registry.context.read_pool is not None


def test_sqlite_reads_run_inline(sqlite_registry):
    assert sqlite_registry.store.dialect.local_reads
    assert sqlite_registry.context.read_pool is None


def test_a_blocked_read_holds_up_only_its_own_request(postgres_only, registry, client, publish):
    assert publish(server_json(NAME)).status_code == 200
    cached = client.get(f"/v0.1/servers/{NAME.replace('/', '%2F')}/versions/latest")
    assert cached.status_code == 200
    blocked: dict[str, object] = {}
    with registry.engine.connect() as locker:
        locker.begin()
        # Every read of the versions now waits for this transaction.
        locker.execute(text("LOCK TABLE server_versions IN ACCESS EXCLUSIVE MODE"))

        def slow_read() -> None:
            started = time.monotonic()
            response = client.get("/v0.1/servers?search=weather&limit=7")
            blocked["status"] = response.status_code
            blocked["seconds"] = time.monotonic() - started

        reader = threading.Thread(target=slow_read)
        reader.start()
        time.sleep(0.5)  # the list call is now waiting on the lock, in a pool thread
        assert reader.is_alive()
        others: dict[str, object] = {}

        def other_requests() -> None:
            others["ping"] = client.get("/v0.1/ping").status_code
            others["cached"] = client.get(
                f"/v0.1/servers/{NAME.replace('/', '%2F')}/versions/latest"
            ).content

        other = threading.Thread(target=other_requests)
        try:
            other.start()
            other.join(timeout=5)
            # Answered while the list call still waits: the event loop was free.
            assert not other.is_alive(), "requests stalled behind a blocked read"
            assert others["ping"] == 200
            assert others["cached"] == cached.content  # the token read did not wait either
            assert reader.is_alive()
        finally:
            locker.rollback()
    other.join(timeout=30)
    reader.join(timeout=30)
    assert blocked["status"] == 200
    assert blocked["seconds"] >= 0.5


def test_a_blocked_change_token_read_does_not_stall_the_event_loop(
    postgres_only, registry, client, publish
):
    """The cache's token read awaits PostgreSQL on the event loop (psycopg's async
    interface): while it waits, other requests are served."""
    assert publish(server_json(NAME)).status_code == 200
    path = f"/v0.1/servers/{NAME.replace('/', '%2F')}/versions/latest"
    assert client.get(path).status_code == 200
    answers: dict[str, int] = {}
    with registry.engine.connect() as locker:
        locker.begin()
        locker.execute(text("LOCK TABLE log_head IN ACCESS EXCLUSIVE MODE"))
        waiting = threading.Thread(target=lambda: answers.update(read=client.get(path).status_code))
        waiting.start()
        time.sleep(0.5)
        pinger = threading.Thread(
            target=lambda: answers.update(ping=client.get("/v0.1/ping").status_code)
        )
        try:
            assert waiting.is_alive()  # its token read waits on the lock
            pinger.start()
            pinger.join(timeout=5)
            assert not pinger.is_alive(), "the event loop was blocked by the token read"
            assert answers["ping"] == 200
        finally:
            locker.rollback()
    waiting.join(timeout=30)
    pinger.join(timeout=30)
    assert answers["read"] == 200


def test_token_reads_share_rounds_but_never_answer_with_a_read_sent_before_the_ask(
    postgres_only, registry
):
    """Askers while a read is in flight share the next read, not the one in flight: a
    value written after that read began is seen by everyone who asked after the write."""
    import asyncio

    from registrum.storage.async_reads import PostgresScalar

    with registry.engine.begin() as conn:
        conn.execute(text("CREATE TABLE token_probe (n int)"))
        conn.execute(text("INSERT INTO token_probe VALUES (1)"))
        conn.execute(text("CREATE SEQUENCE token_reads"))
    # The snapshot is taken before the sleep: a read in flight answers what was there when
    # it began. Each read also counts itself.
    sql = (
        "SELECT (SELECT n FROM token_probe) * 1000 + nextval('token_reads') "
        "FROM (SELECT pg_sleep(0.4)) AS pause"
    )
    scalar = PostgresScalar(registry.engine)

    def write(n: int) -> None:
        with registry.engine.begin() as conn:
            conn.execute(text("UPDATE token_probe SET n = :n"), {"n": n})

    async def scenario() -> tuple[int, list[int]]:
        first = asyncio.ensure_future(scalar(sql))
        await asyncio.sleep(0.15)  # the first read is in flight, its snapshot taken
        await asyncio.to_thread(write, 2)
        later = await asyncio.gather(*(scalar(sql) for _ in range(20)))
        return await first, later

    try:
        first, later = asyncio.run(scenario())
    finally:
        scalar.close()
    assert first == 1001  # begun before the write
    # Everyone who asked after the write sees it, and they shared one read between them.
    assert later == [2002] * 20
