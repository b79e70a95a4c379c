"""Ranked search through the store's indexes (storage/search.py) gives exactly what the rules
applied in Python give (services.search.search_rows): the same items in the same order, the
same total and the same facet counts, on SQLite and PostgreSQL. Random registries (seeded)
are written through the store's write ports, changed the ways the services change them
(status, latest flag, edits, renames), then searched with random queries and filters."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import inspect

from registrum.core.records import NewVersion, VersionUpdate
from registrum.core.search import Filters, SearchQuery
from registrum.core.status import Status
from registrum.services.search import ReferenceSearch

NOW = datetime(2026, 12, 8, 12, 0, 0, 250_000)
NAMESPACES = [
    "io.github.alice",
    "com.example",
    "io.github.bob-x",
    "org.weather_tools",
    "Io.Strasse",
]
LAST = ["weather", "weather-tools", "forecast", "go", "ai-helper", "db", "tidal.charts", "ß-maps"]
WORDS = [
    "weather",
    "Forecast",
    "tools",
    "ai",
    "go",
    "DB",
    "tide",
    "maps",
    "STRASSE",
    "straße",
    "100%",
    "snake_case",
    'say "hi"',
    "ünïcödé",
    "x",
]
TYPES = ["npm", "pypi", "oci", " NPM ", "nuget", ""]
TRANSPORTS = ["stdio", "streamable-http", "sse", None, "SSE"]
REMOTES = ["streamable-http", "sse", ""]
STATUSES = [Status.ACTIVE, Status.ACTIVE, Status.DEPRECATED, Status.DELETED]
STATUS_NAMES = ["active", "deprecated", "deleted"]


def _words(rng: random.Random, most: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, most)))


def _when(rng: random.Random) -> datetime:
    choice = rng.random()
    if choice < 0.2:  # on a day boundary of freshness, to the microsecond
        return NOW - timedelta(days=rng.randint(0, 31))
    if choice < 0.25:
        return NOW + timedelta(hours=rng.randint(1, 50))  # an upstream's clock ahead
    return NOW - timedelta(seconds=rng.randint(0, 60 * 86400))


def _document(rng: random.Random, name: str) -> dict[str, object]:
    doc: dict[str, object] = {"name": name, "version": "1.0.0"}
    if rng.random() < 0.8:
        doc["description"] = _words(rng, 6)
    if rng.random() < 0.5:
        doc["title"] = _words(rng, 3)
    packages = []
    for _ in range(rng.randint(0, 2)):
        package: dict[str, object] = {"registryType": rng.choice(TYPES), "identifier": "p"}
        transport = rng.choice(TRANSPORTS)
        if transport is not None:
            package["transport"] = {"type": transport}
        packages.append(package)
    if packages or rng.random() < 0.5:
        doc["packages"] = packages
    remotes = [
        {"type": rng.choice(REMOTES), "url": f"https://r{rng.randint(0, 9**6)}.example.com/mcp"}
        for _ in range(rng.choice([0, 0, 1, 2]))
    ]
    if remotes:
        doc["remotes"] = remotes
    if rng.random() < 0.03:
        doc["packages"] = "not a list"
    return doc


def _populate(store, rng: random.Random, servers: int) -> None:
    names: set[str] = set()
    with store.write() as tx:
        for _ in range(servers):
            name = f"{rng.choice(NAMESPACES)}/{rng.choice(LAST)}"
            while name in names:
                name += rng.choice(["-2", "x", ".go"])
            names.add(name)
            server_id = str(uuid.uuid4())
            tx.servers.create(server_id, name, NOW)
            count = rng.randint(1, 3)
            latest = rng.randrange(count)
            for i in range(count):
                doc = _document(rng, name)
                body = "{not json" if rng.random() < 0.02 else json.dumps(doc)
                status = rng.choice(STATUSES)
                when = _when(rng)
                tx.versions.insert(
                    NewVersion(
                        server_id=server_id,
                        version_id=str(uuid.uuid4()),
                        name=name,
                        version=f"1.0.{i}",
                        description=str(doc.get("description", ""))[:100],
                        body=body,
                        status=status,
                        status_message=None,
                        status_changed_at=when,
                        published_at=when,
                        updated_at=when,
                        is_latest=i == latest,
                        origin_updated_at=_when(rng) if rng.random() < 0.2 else None,
                    )
                )


def _change(store, rng: random.Random, rounds: int) -> None:
    """What the services do to stored servers, in separate transactions."""
    for _ in range(rounds):
        with store.write() as tx:
            ids = list(tx.servers.by_ids(_server_ids(store)).items())
            server_id, (name, _) = rng.choice(ids)
            versions = tx.versions.of_server(server_id)
            action = rng.random()
            target = rng.choice(versions)
            if action < 0.3:
                tx.versions.update(
                    VersionUpdate(
                        version_id=target.version_id,
                        updated_at=_when(rng),
                        status=rng.choice(STATUSES),
                        status_changed_at=NOW,
                        write_status_message=True,
                    )
                )
            elif action < 0.5:
                tx.versions.set_latest(
                    server_id, rng.choice([*[v.version_id for v in versions], None])
                )
            elif action < 0.75:
                doc = _document(rng, name)
                tx.versions.update(
                    VersionUpdate(
                        version_id=target.version_id,
                        updated_at=_when(rng),
                        body=json.dumps(doc),
                        description=str(doc.get("description", "")),
                    )
                )
            else:
                new_name = f"{rng.choice(NAMESPACES)}/renamed-{rng.randint(0, 10**6)}"
                bodies = {}
                for v in versions:
                    doc = json.loads(v.body) if v.body.startswith('{"') else {}
                    doc["name"] = new_name
                    bodies[v.version_id] = json.dumps(doc)
                tx.names.rename_server(server_id, new_name, [name], bodies, _when(rng))


def _server_ids(store) -> list[str]:
    return sorted({v.server_id for v in store.versions.iter_all()})


def _query(rng: random.Random, names: list[str]) -> SearchQuery:
    kind = rng.random()
    if kind < 0.2:
        text = None
    elif kind < 0.35:
        text = rng.choice(names)  # an exact name, maybe cased otherwise
        text = text.upper() if rng.random() < 0.3 else text
    elif kind < 0.5:
        name = rng.choice(names)
        text = name[: rng.randint(1, len(name))]  # a prefix
    elif kind < 0.6:
        text = rng.choice(names).rsplit("/", 1)[-1]
    else:
        text = " ".join(
            rng.choice([*WORDS, *LAST, "git", "ex", "a", "weat", "%", "_", "ss", "ä", " "])
            for _ in range(rng.randint(1, 3))
        )
    filters = Filters(
        registry_type=rng.choice([None, None, "npm", "pypi", "oci", "NPM"]),
        transport=rng.choice([None, None, "stdio", "sse", "streamable-http"]),
        status=rng.choice([None, None, None, "active", "deprecated", "deleted"]),
        namespace=rng.choice([None, None, None, *NAMESPACES]),
        has_remote=rng.choice([None, None, True, False]),
    )
    return SearchQuery(
        text=text,
        filters=filters,
        limit=rng.choice([1, 5, 20, 100]),
        offset=rng.choice([0, 0, 0, 3, 20]),
    )


def _compare(store, rng: random.Random, queries: int) -> int:
    reference = ReferenceSearch(store, clock=lambda: NOW)
    names = [v.name for v in store.versions.iter_all()]
    found = 0
    # The blank query with each status filter: the kept counts (search_counts) answer them.
    kept = [SearchQuery(filters=Filters(status=s), limit=100) for s in (None, *STATUS_NAMES)]
    for query in [*kept, *(_query(rng, names) for _ in range(queries))]:
        want = reference.search(query)
        got = store.search.search(query, NOW)
        assert [v.version_id for v in got.items] == [v.version_id for v in want.items], query
        assert got.items == want.items, query
        assert (got.total, got.next_offset) == (want.total, want.next_offset), query
        assert got.facets == want.facets, query
        found += want.total
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_indexed_search_answers_as_the_rules_do(registry, seed: int) -> None:
    rng = random.Random(seed)
    store = registry.store
    _populate(store, rng, servers=80)
    assert _compare(store, rng, queries=120) > 0
    _change(store, rng, rounds=40)
    assert _compare(store, rng, queries=120) > 0


def test_migration_0012_backfills_what_the_store_writes_and_downgrades(blank_database_url):
    """Downgraded to 0011 and upgraded again, the search rows are rebuilt from the latest
    versions (each document parsed as the store parses it): the same answers as before."""
    from alembic import command

    from registrum.storage import engine as storage_engine
    from registrum.storage.store import SqlServerStore

    engine = storage_engine.create(blank_database_url)
    storage_engine.migrate(engine)
    store = SqlServerStore(engine)
    rng = random.Random(7)
    _populate(store, rng, servers=40)
    _change(store, rng, rounds=10)
    queries = [_query(random.Random(i), ["com.example/go"]) for i in range(40)]
    before = [store.search.search(q, NOW) for q in queries]
    assert sum(page.total for page in before) > 0
    store.close()
    config = storage_engine.alembic_config(engine)
    command.downgrade(config, "0011")
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert not {"search_entries", "search_facets", "search_text"} & tables
    command.upgrade(config, "head")
    store = SqlServerStore(engine)
    assert [store.search.search(q, NOW) for q in queries] == before
    store.close()
    engine.dispose()


def _kept(engine) -> list[tuple[str, str, str, int]]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT facet, status, value, n FROM search_counts").all()
    return sorted((r[0], r[1], r[2], int(r[3])) for r in rows)


def test_migration_0013_backfills_the_kept_counts_the_store_keeps_and_downgrades(
    blank_database_url,
):
    """The counts refresh kept through writes and changes are the counts 0013 backfills
    (downgraded to 0012, status_rank and search_counts gone; upgraded: the same rows, the
    same answers)."""
    from alembic import command

    from registrum.storage import engine as storage_engine
    from registrum.storage.store import SqlServerStore

    engine = storage_engine.create(blank_database_url)
    storage_engine.migrate(engine)
    store = SqlServerStore(engine)
    rng = random.Random(11)
    _populate(store, rng, servers=40)
    _change(store, rng, rounds=15)
    queries = [SearchQuery(filters=Filters(status=s)) for s in (None, *STATUS_NAMES)]
    queries += [_query(random.Random(i), ["com.example/go"]) for i in range(20)]
    before = [store.search.search(q, NOW) for q in queries]
    kept = _kept(engine)
    assert kept
    assert all(n > 0 for *_, n in kept)
    store.close()
    config = storage_engine.alembic_config(engine)
    command.downgrade(config, "0012")
    with engine.connect() as conn:
        assert "search_counts" not in inspect(conn).get_table_names()
        columns = {c["name"] for c in inspect(conn).get_columns("search_entries")}
    assert "status_rank" not in columns
    command.upgrade(config, "head")
    assert _kept(engine) == kept
    store = SqlServerStore(engine)
    assert [store.search.search(q, NOW) for q in queries] == before
    store.close()
    engine.dispose()
