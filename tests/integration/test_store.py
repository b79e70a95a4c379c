"""The storage adapter on real databases (a SQLite file and a PostgreSQL database, through
the parametrised ``registry`` fixture): migrations, the change log, locking."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from registrum.core.errors import DuplicateVersionError
from registrum.core.permissions import SYSTEM
from registrum.core.status import Status, StatusChange
from registrum.services.moderation import ModerationService
from registrum.services.publish import PublishService
from registrum.storage import engine as storage_engine
from registrum.storage.tables import changes, in_models, metadata
from tests.factories import server_json


def _seqs(registry) -> list[int]:
    with registry.engine.connect() as conn:
        return [r[0] for r in conn.execute(select(changes.c.seq).order_by(changes.c.seq))]


def _kinds(registry) -> list[tuple[str, str | None]]:
    with registry.engine.connect() as conn:
        stmt = select(changes.c.kind, changes.c.version).order_by(changes.c.seq)
        return [(r[0], r[1]) for r in conn.execute(stmt)]


def test_migrations_match_the_table_models(registry):
    with registry.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": in_models}), metadata
        )
    assert diff == []


def test_migrating_twice_is_a_no_op(registry):
    storage_engine.migrate(registry.engine)
    storage_engine.migrate(registry.engine)
    with registry.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0013"


def test_sessions_are_set_up_for_durability_and_utc(registry):
    with registry.engine.connect() as conn:
        if registry.engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        else:
            assert conn.exec_driver_sql("SHOW timezone").scalar() == "UTC"
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"


def test_sqlite_writers_get_a_larger_cache_and_rarer_checkpoints(sqlite_registry):
    from registrum.storage.dialects import CHECKPOINT_PAGES, WRITE_CACHE_KIB

    with sqlite_registry.store.write() as tx:
        conn = tx.connection  # the write session's own connection
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -WRITE_CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == CHECKPOINT_PAGES


def test_timestamps_survive_a_database_in_another_time_zone(registry):
    """Timestamps are stored as UTC whatever the database's own default zone."""
    from datetime import UTC, datetime

    if registry.engine.dialect.name == "postgresql":
        with registry.engine.connect() as conn:
            database = conn.exec_driver_sql("SELECT current_database()").scalar()
            conn.exec_driver_sql(f"ALTER DATABASE {database} SET timezone = 'Asia/Kolkata'")
            conn.commit()
        registry.engine.dispose()  # new sessions pick the database default up
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    PublishService(registry.store, clock=lambda: at).publish(server_json(), SYSTEM)
    view = registry.store.versions.latest("io.github.alice/weather", include_deleted=False)
    assert view is not None
    assert view.published_at.replace(tzinfo=UTC) == at


def test_every_mutation_appends_one_change_with_the_next_seq(registry):
    publish = PublishService(registry.store)
    moderation = ModerationService(registry.store)
    publish.publish(server_json(version="1.0.0"), SYSTEM)
    publish.publish(server_json(version="1.1.0"), SYSTEM)
    moderation.set_version_status(
        "io.github.alice/weather", "1.1.0", StatusChange(Status.DEPRECATED, None), SYSTEM
    )
    moderation.set_all_status("io.github.alice/weather", StatusChange(Status.DELETED, None), SYSTEM)
    # 2 publishes (the second takes the latest flag from 1.0.0: a change of 1.0.0 too),
    # 1 single status change, 2 versions changed by the bulk change (the flag stays).
    assert _kinds(registry) == [
        ("published", "1.0.0"),
        ("published", "1.1.0"),
        ("latest-moved", "1.0.0"),
        ("status-changed", "1.1.0"),
        ("status-changed", "1.1.0"),
        ("status-changed", "1.0.0"),
    ]
    assert _seqs(registry) == [1, 2, 3, 4, 5, 6]
    assert registry.store.log.head() == 6
    # Each version carries the seq of its own last change.
    seqs = {v.version: v.seq for v in registry.store.versions.iter_all()}
    assert seqs == {"1.0.0": 6, "1.1.0": 5}


def test_a_refused_write_leaves_no_trace(registry):
    publish = PublishService(registry.store)
    publish.publish(server_json(), SYSTEM)
    before = (registry.store.log.head(), list(registry.store.versions.iter_all()))
    with pytest.raises(DuplicateVersionError):
        publish.publish(server_json(), SYSTEM)
    assert (registry.store.log.head(), list(registry.store.versions.iter_all())) == before


def test_concurrent_publishers_get_gap_free_seq_and_one_latest(registry):
    publish = PublishService(registry.store)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                publish.publish(server_json(version=f"{n}.{i}.0"), SYSTEM)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    head = registry.store.log.head()
    assert _seqs(registry) == list(range(1, head + 1))
    kinds = [kind for kind, _ in _kinds(registry)]
    assert kinds.count("published") == 80
    # The rest: the latest flag leaving a version as a greater one arrives.
    assert set(kinds) == {"published", "latest-moved"}
    views = registry.store.versions.by_name("io.github.alice/weather", include_deleted=True)
    assert len(views) == 80
    latest = [v for v in views if v.is_latest]
    assert [v.version for v in latest] == ["7.9.0"]


def test_32_writers_and_a_reader_see_a_gap_free_log_in_commit_order(registry):
    """32 writers publish to 32 servers at once while a reader polls the log: every time it
    reads the head N it finds exactly the changes 1..N (nothing later commits below N), and
    in the end every acknowledged publish is there."""
    publish = PublishService(registry.store)
    acknowledged: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    done = threading.Event()
    observations: list[tuple[int, list[int]]] = []

    def writer(n: int) -> None:
        try:
            for i in range(5):
                doc = server_json(name=f"io.github.alice/w{n:02d}", version=f"1.{i}.0")
                publish.publish(doc, SYSTEM)
                acknowledged.append((doc["name"], doc["version"]))
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        while not done.is_set():
            with registry.engine.connect() as conn:
                head = registry.store.log.head()
                seqs = [
                    r[0]
                    for r in conn.execute(
                        select(changes.c.seq).where(changes.c.seq <= head).order_by(changes.c.seq)
                    )
                ]
            observations.append((head, seqs))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(32)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    watcher.join()
    assert errors == []
    # 160 publishes; in each server, each of versions 1.1.0 to 1.4.0 takes the latest flag
    # from the one before, which is a change of that one too.
    kinds = [kind for kind, _ in _kinds(registry)]
    assert (kinds.count("published"), kinds.count("latest-moved"), len(kinds)) == (160, 128, 288)
    assert _seqs(registry) == list(range(1, 289))
    assert len(observations) > 1
    for head, seqs in observations:
        assert seqs == list(range(1, head + 1))
    stored = {(v.name, v.version) for v in registry.store.versions.iter_all()}
    assert stored == set(acknowledged)
    assert len(acknowledged) == 160


def test_racing_duplicate_publishes_give_exactly_one_success(registry):
    publish = PublishService(registry.store)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        try:
            publish.publish(server_json(version="3.0.0"), SYSTEM)
            outcomes.append("ok")
        except DuplicateVersionError:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate"] * 5 + ["ok"]
    assert registry.store.log.head() == 1


def test_upgrading_from_the_first_schema_keeps_the_data(blank_database_url):
    """Rows written under the first schema survive every migration, and the later ones
    fill in what they add (0005: the folded description and the search index)."""
    from datetime import datetime

    from alembic import command

    from registrum.core.records import ListQuery
    from registrum.storage.store import SqlServerStore

    engine = storage_engine.create(blank_database_url)
    command.upgrade(storage_engine.alembic_config(engine), "0001")
    at = datetime(2026, 1, 1)
    body = '{"name":"io.github.alice/meteo","description":"Prévisions MÉTÉO","version":"1.0.0"}'
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO servers (id, name, created_at) VALUES ('s1', :n, :at)"),
            {"n": "io.github.alice/meteo", "at": at},
        )
        conn.execute(
            text(
                "INSERT INTO server_versions (id, server_id, name, version, description, status,"
                " status_changed_at, published_at, updated_at, is_latest, body) VALUES"
                " ('v1', 's1', :n, '1.0.0', :d, 'active', :at, :at, :at, :latest, :b)"
            ),
            {
                "n": "io.github.alice/meteo",
                "d": "Prévisions MÉTÉO",
                "at": at,
                "latest": True,
                "b": body,
            },
        )
    store = SqlServerStore(engine)

    def rows() -> list[tuple[object, ...]]:
        # The columns of the first schema: the store itself reads the newest one.
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT id, server_id, name, version, body, status, is_latest"
                        " FROM server_versions"
                    )
                )
            )

    before = rows()
    storage_engine.migrate(engine)
    assert rows() == before
    [view] = list(store.versions.iter_all())
    assert (view.version_id, view.body, view.is_latest) == ("v1", body, True)
    assert (view.seq, view.previous_names_json) == (0, None)  # 0007: no change logged for it
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": in_models}), metadata
        )
    assert diff == []
    for term in ("météo", "MÉTÉO", "prévisions", "alice/met"):
        found = store.versions.page(ListQuery(limit=10, search=term))
        assert [v.version_id for v in found] == ["v1"], term
    store.close()
    engine.dispose()


def test_migration_0003_backfills_remote_urls_from_stored_documents(blank_database_url):
    from datetime import datetime

    import orjson
    from alembic import command

    from registrum.core.errors import RemoteUrlTakenError
    from registrum.storage.store import SqlServerStore

    engine = storage_engine.create(blank_database_url)
    command.upgrade(storage_engine.alembic_config(engine), "0002")
    body = server_json(remotes=[{"type": "sse", "url": "https://mcp.example.com/sse"}])
    at = datetime(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO servers (id, name, created_at) VALUES ('s1', :n, :at)"),
            {"n": body["name"], "at": at},
        )
        conn.execute(
            text(
                "INSERT INTO server_versions (id, server_id, name, version, description, status,"
                " status_changed_at, published_at, updated_at, is_latest, body) VALUES"
                " ('v1', 's1', :n, '1.0.0', 'd', 'active', :at, :at, :at, :latest, :b)"
            ),
            {"n": body["name"], "b": orjson.dumps(body).decode(), "at": at, "latest": True},
        )
    storage_engine.migrate(engine)
    other = server_json(
        name="io.github.bob/tools", remotes=[{"type": "sse", "url": "https://mcp.example.com/sse"}]
    )
    with pytest.raises(RemoteUrlTakenError):
        PublishService(SqlServerStore(engine)).publish(other, SYSTEM)
    engine.dispose()


def test_migration_0007_gives_each_version_the_seq_of_its_last_change(blank_database_url):
    from datetime import datetime

    from alembic import command

    from registrum.storage.store import SqlServerStore

    engine = storage_engine.create(blank_database_url)
    command.upgrade(storage_engine.alembic_config(engine), "0006")
    at = datetime(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO servers (id, name, created_at) VALUES ('s1', 'io.github.a/b', :at)"),
            {"at": at},
        )
        for vid, version, latest in (("v1", "1.0.0", False), ("v2", "2.0.0", True)):
            conn.execute(
                text(
                    "INSERT INTO server_versions (id, server_id, name, version, description,"
                    " status, status_changed_at, published_at, updated_at, is_latest, body)"
                    " VALUES (:id, 's1', 'io.github.a/b', :v, 'd', 'active', :at, :at, :at,"
                    " :latest, '{}')"
                ),
                {"id": vid, "v": version, "at": at, "latest": latest},
            )
        for seq, vid in ((1, "v1"), (2, "v2"), (3, "v1")):
            conn.execute(
                text(
                    "INSERT INTO changes (seq, at, kind, server_id, version_id, name, version,"
                    " actor, detail) VALUES (:seq, :at, 'published', 's1', :vid,"
                    " 'io.github.a/b', '1', 'test', '{}')"
                ),
                {"seq": seq, "vid": vid, "at": at},
            )
        conn.execute(text("UPDATE log_head SET seq = 3"))
    storage_engine.migrate(engine)
    store = SqlServerStore(engine)
    assert {v.version_id: v.seq for v in store.versions.iter_all()} == {"v1": 3, "v2": 2}
    store.close()
    engine.dispose()


def test_migration_0009_points_each_version_at_its_search_row(tmp_path):
    """SQLite: versions indexed by 0005's trigger get the rowid of their index row, and an
    edit afterwards replaces that row (no duplicate, nothing stale)."""
    from datetime import datetime

    import orjson
    from alembic import command

    from registrum.services.moderation import ModerationService
    from registrum.storage.store import SqlServerStore

    engine = storage_engine.create(f"sqlite:///{tmp_path / 'registry.db'}")
    command.upgrade(storage_engine.alembic_config(engine), "0008")
    at = datetime(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO servers (id, name, created_at) VALUES ('s1', :n, :at)"),
            {"n": "io.github.alice/weather", "at": at},
        )
        for vid, version in (("v1", "1.0.0"), ("v2", "2.0.0")):
            conn.execute(
                text(
                    "INSERT INTO server_versions (id, server_id, name, version, description,"
                    " description_folded, status, status_changed_at, published_at, updated_at,"
                    " is_latest, body) VALUES (:id, 's1', 'io.github.alice/weather', :v,"
                    " 'Tides', 'tides', 'active', :at, :at, :at, :latest, :b)"
                ),
                {
                    "id": vid,
                    "v": version,
                    "at": at,
                    "latest": version == "2.0.0",
                    "b": orjson.dumps(server_json(version=version)).decode(),
                },
            )
    storage_engine.migrate(engine)
    with engine.connect() as conn:
        pairs = conn.execute(
            text(
                "SELECT v.id, v.search_rowid, s.rowid FROM server_versions v"
                " JOIN search_index s ON s.version_id = v.id ORDER BY v.id"
            )
        ).all()
    assert [(p[0], p[1] == p[2]) for p in pairs] == [("v1", True), ("v2", True)]
    edited = server_json(version="1.0.0", description="Mountain passes")
    ModerationService(SqlServerStore(engine)).edit(
        "io.github.alice/weather", "1.0.0", edited, SYSTEM
    )
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT version_id, description FROM search_index ORDER BY 1")
        ).all()
    assert rows == [("v1", "mountain passes"), ("v2", "tides")]
    engine.dispose()


def test_migration_0010_downgrades_in_place_and_upgrades_again(blank_database_url):
    """0010's columns go and come back without touching the rows around them (both
    backends); a version's origin updatedAt is served in place of its own."""
    from datetime import datetime

    import orjson
    from alembic import command

    from registrum.core.records import NewVersion
    from registrum.core.status import Status
    from registrum.storage.store import SqlServerStore

    engine = storage_engine.create(blank_database_url)
    storage_engine.migrate(engine)
    store = SqlServerStore(engine)
    at, origin = datetime(2026, 3, 1), datetime(2025, 10, 1, 12, 30)
    with store.write() as tx:
        tx.servers.create("s1", "io.github.alice/weather", at)
        tx.versions.insert(
            NewVersion(
                server_id="s1",
                version_id="v1",
                name="io.github.alice/weather",
                version="1.0.0",
                description="Tides",
                body=orjson.dumps(server_json(version="1.0.0")).decode(),
                status=Status.ACTIVE,
                status_message=None,
                status_changed_at=at,
                published_at=at,
                updated_at=at,
                is_latest=True,
                warnings='[{"rule":"r","path":"p","message":"m"}]',
                origin_updated_at=origin,
            )
        )
    [view] = list(store.versions.iter_all())
    assert (view.updated_at, view.warnings) == (origin, '[{"rule":"r","path":"p","message":"m"}]')
    store.close()
    config = storage_engine.alembic_config(engine)
    command.downgrade(config, "0009")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, version, updated_at FROM server_versions")).one()
        columns = set(conn.execute(text("SELECT * FROM server_versions")).keys())
    assert (row[0], row[1]) == ("v1", "1.0.0")
    assert not {"warnings", "origin_updated_at"} & columns
    command.upgrade(config, "head")
    store = SqlServerStore(engine)
    [view] = list(store.versions.iter_all())
    assert (view.version_id, view.updated_at, view.warnings) == ("v1", at, None)
    store.close()
    engine.dispose()
