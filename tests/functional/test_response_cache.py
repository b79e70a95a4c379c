"""The read cache: repeated reads are answered from memory, any committed write (from any
process) invalidates them, and reads carry ETags that revalidate with 304. On both backends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from registrum.api.app import create_app
from registrum.core.permissions import SYSTEM
from registrum.core.status import Status, StatusChange
from registrum.server.settings import Settings
from registrum.server.wiring import Registry, build
from tests.factories import enc, server_json

LIST = "/v0.1/servers?limit=50&version=latest"
NAME = "io.github.alice/weather"


def _trace(dbapi_conn, seen: list[str]) -> None:
    """Record every statement a driver connection runs: the read path uses the driver
    directly, past SQLAlchemy's events. SQLite has a trace callback; psycopg a cursor
    class per connection."""
    if hasattr(dbapi_conn, "set_trace_callback"):
        dbapi_conn.set_trace_callback(seen.append)
        return
    import psycopg

    class Recording(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            seen.append(str(query))
            return super().execute(query, *args, **kwargs)

    dbapi_conn.cursor_factory = Recording


@pytest.fixture
def statements(registry: Registry) -> Iterator[list[str]]:
    """Every SQL statement the registry runs, through SQLAlchemy or on the driver."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    def on_checkout(dbapi_conn, record_, proxy) -> None:
        _trace(dbapi_conn, seen)

    event.listen(registry.engine, "before_cursor_execute", record)
    event.listen(registry.engine.pool, "checkout", on_checkout)
    # Connections the store opened before are dropped: the next ones are checked out traced.
    registry.store.close()
    yield seen
    event.remove(registry.engine.pool, "checkout", on_checkout)
    event.remove(registry.engine, "before_cursor_execute", record)


def reads_versions(statements: list[str]) -> bool:
    return any("server_versions" in s for s in statements)


def test_a_repeated_read_does_not_query_the_versions(
    client: TestClient, publish, statements: list[str]
) -> None:
    assert publish(server_json(NAME)).status_code == 200
    first = client.get(LIST)
    assert first.status_code == 200
    assert reads_versions(statements)
    statements.clear()
    again = client.get(LIST)
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert not reads_versions(statements)


@pytest.mark.parametrize(
    "path",
    [
        LIST,
        "/v0/servers?search=weather",
        f"/v0.1/servers/{enc(NAME)}/versions",
        f"/v0.1/servers/{enc(NAME)}/versions/latest",
        f"/v0.1/servers/{enc(NAME)}/versions/1.0.0",
    ],
)
def test_a_write_from_another_process_invalidates(
    client: TestClient, settings: Settings, publish, path: str
) -> None:
    assert publish(server_json(NAME)).status_code == 200
    before = client.get(path)
    assert before.status_code == 200
    assert client.get(path).content == before.content  # now cached
    # Another registry process on the same database writes; this one must notice.
    other = build(settings, migrate=False)
    try:
        other.context.moderation.set_version_status(
            NAME, "1.0.0", StatusChange(Status.DEPRECATED, "use 2"), SYSTEM
        )
    finally:
        other.close()
    after = client.get(path)
    assert after.status_code == 200
    assert after.content != before.content
    assert b"use 2" in after.content
    assert after.headers["etag"] != before.headers["etag"]


def test_etags_revalidate_with_304_until_something_changes(client: TestClient, publish) -> None:
    publish(server_json(NAME))
    first = client.get(LIST)
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    for _ in range(2):  # computed, then from the cache
        again = client.get(LIST, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
    # Another request has another ETag; a list of candidates and a weak form also match.
    assert client.get("/v0.1/servers?limit=49").headers["etag"] != etag
    assert client.get(LIST, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    publish(server_json(NAME, "1.1.0"))
    changed = client.get(LIST, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert b"1.1.0" in changed.content


def test_errors_are_not_cached_and_carry_no_etag(client: TestClient, publish) -> None:
    bad = client.get("/v0.1/servers?limit=1000")
    assert bad.status_code == 422
    assert "etag" not in bad.headers
    missing = f"/v0.1/servers/{enc(NAME)}/versions/latest"
    assert client.get(missing).status_code == 404
    assert "etag" not in client.get(missing).headers
    publish(server_json(NAME))
    assert client.get(missing).status_code == 200  # the cached 404 went with the write


def test_no_cache_still_answers_and_revalidates(settings: Settings, publish) -> None:
    registry = build(settings.model_copy(update={"response_cache_bytes": 0}))
    try:
        with TestClient(create_app(registry.context)) as client:
            first = client.get(LIST)
            assert first.status_code == 200
            etag = first.headers["etag"]
            assert client.get(LIST, headers={"If-None-Match": etag}).status_code == 304
    finally:
        registry.close()


def test_writes_and_other_routes_pass_through(client: TestClient, publish) -> None:
    r = publish(server_json(NAME))
    assert r.status_code == 200
    assert "etag" not in r.headers
    assert client.get("/v0.1/ping").json() == {"pong": True}
    assert "etag" not in client.get("/v0.1/health").headers


def test_a_dropped_database_connection_does_not_stall_invalidation(
    client: TestClient, registry: Registry, publish
) -> None:
    """PostgreSQL restarts or a proxy drops idle connections: the change token's own
    connection is lost, and the cache must still see the next write."""
    publish(server_json(NAME))
    assert b"1.1.0" not in client.get(LIST).content
    if registry.engine.dialect.name == "postgresql":
        with registry.engine.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    else:
        registry.store.log._token_conn.close()  # the same loss, as SQLite can have it
    publish(server_json(NAME, "1.1.0"))
    assert b"1.1.0" in client.get(LIST).content
    publish(server_json(NAME, "1.2.0"))
    assert b"1.2.0" in client.get(LIST).content  # and it reconnected


def test_etags_change_with_the_software() -> None:
    """The same data served by other code (an upgrade) must not revalidate: the page may
    name assets that are gone, an install configuration may come from an older mapping."""
    from registrum.api.cache import _etag, software_fingerprint

    key = b"/v0.1/servers?"
    assert _etag(7, key, software_fingerprint()) != _etag(7, key, b"another build")
    assert _etag(7, key, software_fingerprint()) == _etag(7, key, software_fingerprint())
