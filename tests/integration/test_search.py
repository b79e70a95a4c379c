"""Search (a case-insensitive substring of the name or the description) through the backends'
indexes gives exactly the scan's answers: selective terms (the trigram index), common terms
(walking the list), edits and imports keeping the index in step. On SQLite and PostgreSQL."""

from __future__ import annotations

import orjson
from sqlalchemy import text

from registrum.core.names import MoveCommand
from registrum.core.permissions import SYSTEM
from registrum.core.records import ListQuery
from registrum.services.importing import ImportService
from registrum.services.moderation import ModerationService
from registrum.services.publish import PublishService
from registrum.services.renames import RenameService
from registrum.storage.dialects import SELECTIVE
from tests.factories import server_json


def _all(store, term: str, **filters) -> list[tuple[str, str]]:
    """Every match, page by page."""
    out: list[tuple[str, str]] = []
    cursor: tuple[str, str] | None = None
    while True:
        page = store.versions.page(
            ListQuery(
                limit=30,
                search=term,
                cursor_name=cursor[0] if cursor else None,
                cursor_version=cursor[1] if cursor else None,
                **filters,
            )
        )
        out += [(v.name, v.version) for v in page]
        if len(page) < 30:
            return out
        cursor = (page[-1].name, page[-1].version)


def test_common_and_rare_terms_give_the_scan_answers(registry) -> None:
    # More matches of "forecast" than the index path takes, a handful of "tidal".
    docs = []
    for n in range(SELECTIVE + 100):
        description = "Tidal charts" if n % 500 == 0 else "Weather FORECASTS for agents"
        docs.append(server_json(f"io.github.alice/s{n:05d}", "1.0.0", description))
    result = ImportService(registry.store).import_items(docs)
    assert result.added == len(docs)
    expected_common = sorted(
        (d["name"], d["version"]) for d in docs if "forecast" in d["description"].lower()
    )
    expected_rare = sorted(
        (d["name"], d["version"]) for d in docs if "tidal" in d["description"].lower()
    )
    assert len(expected_common) >= SELECTIVE
    assert _all(registry.store, "Forecast") == expected_common
    assert _all(registry.store, "TIDAL") == expected_rare
    assert _all(registry.store, "s0001") == sorted(
        (d["name"], d["version"]) for d in docs if "s0001" in d["name"]
    )
    assert _all(registry.store, "no such words") == []


def test_an_edit_moves_the_version_in_the_index(registry) -> None:
    PublishService(registry.store).publish(server_json(description="Sea tides"), SYSTEM)
    assert _all(registry.store, "tides") == [("io.github.alice/weather", "1.0.0")]
    edited = server_json(description="Mountain passes")
    ModerationService(registry.store).edit("io.github.alice/weather", "1.0.0", edited, SYSTEM)
    assert _all(registry.store, "tides") == []
    assert _all(registry.store, "mountain pass") == [("io.github.alice/weather", "1.0.0")]


def test_quotes_and_operators_in_a_term_are_literal(registry) -> None:
    publish = PublishService(registry.store)
    publish.publish(server_json("io.github.alice/aa", description='Say "hello" OR NOT'), SYSTEM)
    publish.publish(server_json("io.github.alice/bb", description="hello world"), SYSTEM)
    assert _all(registry.store, '"hello"') == [("io.github.alice/aa", "1.0.0")]
    assert _all(registry.store, "or not") == [("io.github.alice/aa", "1.0.0")]
    assert _all(registry.store, "hello*") == []
    assert _all(registry.store, "hello") == [
        ("io.github.alice/aa", "1.0.0"),
        ("io.github.alice/bb", "1.0.0"),
    ]


def test_mirrored_versions_are_found(registry, tmp_path) -> None:
    # A mirror's first sync writes versions in bulk (WriteSession.add_versions).
    dump = tmp_path / "dump.json"
    docs = [
        server_json(f"com.example/m{i}", "1.0.0", description=f"Harbour pilot {i}")
        for i in range(5)
    ]
    dump.write_bytes(orjson.dumps(docs))
    registry.context.mirror.add("dump", str(dump), "file")
    assert registry.context.mirror.sync("dump").changed == 5
    assert _all(registry.store, "harbour pilot 3") == [("com.example/m3", "1.0.0")]
    assert len(_all(registry.store, "HARBOUR")) == 5


def test_the_sqlite_index_holds_every_version_once_as_stored(sqlite_registry, tmp_path) -> None:
    """SQLite's FTS5 index is written by the store (inserts) and by triggers (edits, renames,
    deletes): after each kind of write it holds exactly one row per version, with the
    version's folded texts."""
    registry = sqlite_registry  # PostgreSQL searches through trigram indexes on the table

    def in_step() -> None:
        with registry.engine.connect() as conn:
            index = conn.execute(
                text("SELECT rowid, version_id, name, description FROM search_index ORDER BY 2")
            ).all()
            table = conn.execute(
                text(
                    "SELECT search_rowid, id, lower(name), description_folded"
                    " FROM server_versions ORDER BY 2"
                )
            ).all()
        assert index == table
        assert len(table) > 0

    publish = PublishService(registry.store)
    publish.publish(server_json(description="Überall TIDES"), SYSTEM)
    publish.publish(server_json(version="1.1.0", description="Second"), SYSTEM)
    in_step()
    edited = server_json(description="Mountain passes")
    ModerationService(registry.store).edit("io.github.alice/weather", "1.0.0", edited, SYSTEM)
    in_step()
    RenameService(registry.store).rename(
        "io.github.alice/weather", MoveCommand("io.github.alice/climate"), SYSTEM
    )
    in_step()
    ImportService(registry.store).import_items(
        [server_json("io.github.bob/imported", description="Imported ÉTÉ")]
    )
    in_step()
    dump = tmp_path / "dump.json"
    dump.write_bytes(orjson.dumps([server_json("com.example/m", description="Mirrored")]))
    registry.context.mirror.add("dump", str(dump), "file")
    registry.context.mirror.sync("dump")
    in_step()
    assert _all(registry.store, "été") == [("io.github.bob/imported", "1.0.0")]
    with registry.engine.begin() as conn:  # a version removed outright (no API does this)
        conn.execute(text("DELETE FROM server_versions WHERE name = 'io.github.bob/imported'"))
    in_step()
    assert _all(registry.store, "été") == []
