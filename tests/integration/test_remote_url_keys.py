"""Remote URLs compared by their normalised key, on SQLite and PostgreSQL: the migration that
rewrites the keys of an existing database, clashes included."""

from __future__ import annotations

import hashlib

import pytest
from alembic import command
from sqlalchemy import text

from registrum.core.errors import RemoteUrlTakenError
from registrum.core.permissions import SYSTEM
from registrum.services.publish import PublishService
from registrum.storage import engine as storage_engine
from registrum.storage.store import SqlServerStore
from tests.factories import remote, server_json

ALICE, BOB, CAROL = "io.github.alice/weather", "io.github.bob/weather", "io.github.carol/weather"


def _raw_rows(conn, name: str, urls: list[str]) -> None:
    """Give ``name``'s version the rows an older Registrum wrote: the URLs as typed."""
    vid, sid = conn.execute(
        text("SELECT id, server_id FROM server_versions WHERE name = :n"), {"n": name}
    ).one()
    conn.execute(text("DELETE FROM remote_urls WHERE version_id = :v"), {"v": vid})
    for url in urls:
        conn.execute(
            text(
                "INSERT INTO remote_urls (version_id, url_hash, server_id, url)"
                " VALUES (:v, :h, :s, :u)"
            ),
            {"v": vid, "h": hashlib.sha256(url.encode()).hexdigest(), "s": sid, "u": url},
        )


def test_migration_0011_rewrites_keys_and_the_first_publisher_keeps_a_clashing_url(
    blank_database_url,
):
    engine = storage_engine.create(blank_database_url)
    storage_engine.migrate(engine)
    store = SqlServerStore(engine)
    publish = PublishService(store)
    # Alice first, naming one address twice; then Bob, whom the raw comparison let in.
    spellings = ["https://VICTIM.example.com/mcp/", "https://victim.example.com/mcp"]
    publish.publish(server_json(ALICE, remotes=[remote(u) for u in spellings]), SYSTEM)
    publish.publish(server_json(BOB, remotes=[remote("https://elsewhere.example.com/")]), SYSTEM)
    store.close()
    command.downgrade(storage_engine.alembic_config(engine), "0010")
    with engine.begin() as conn:
        _raw_rows(conn, ALICE, spellings)
        _raw_rows(conn, BOB, ["https://victim.example.com:443/mcp"])

    storage_engine.migrate(engine)  # two servers on one key, two rows on one key: no failure

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT v.name, r.url FROM remote_urls r"
                " JOIN server_versions v ON v.id = r.version_id"
            )
        ).all()
    assert sorted(rows) == [(ALICE, "https://victim.example.com/mcp")]
    store = SqlServerStore(engine)
    publish = PublishService(store)
    with pytest.raises(RemoteUrlTakenError, match=ALICE):
        publish.publish(
            server_json(BOB, "1.1.0", remotes=[remote("https://victim.example.com/mcp")]), SYSTEM
        )
    with pytest.raises(RemoteUrlTakenError, match=ALICE):
        publish.publish(
            server_json(CAROL, remotes=[remote("https://Victim.Example.COM:443/%6Dcp/#x")]),
            SYSTEM,
        )
    publish.publish(server_json(ALICE, "1.1.0", remotes=[remote(spellings[1])]), SYSTEM)
    store.close()
    engine.dispose()
