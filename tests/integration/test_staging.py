"""What an upstream staged, as the mirror's readers ask for it: every key (a dump file finds
its removals) or only keys updated in a poll's overlap window, found through an index
however many entries the upstream has. On both backends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from registrum.core.records import Upstream, UpstreamEntry
from registrum.core.status import Status
from registrum.storage import mirroring


def _entry(key: str, updated: datetime | None) -> UpstreamEntry:
    at = datetime(2026, 1, 1)
    return UpstreamEntry(key, "com.example/s", key, "{}", Status.ACTIVE, None, at, at, updated)


def test_staged_keys_all_or_since_a_time(registry) -> None:
    entries = [
        _entry("old", datetime(2026, 1, 1, 9)),
        _entry("edge", datetime(2026, 1, 1, 10)),
        _entry("new", datetime(2026, 1, 1, 11)),
        _entry("undated", None),
    ]
    with registry.store.write() as tx:
        for name in ("up", "other"):
            at = datetime(2026, 1, 1)
            tx.upstreams.add(Upstream(name, "http://127.0.0.1:9/", "official", 0, 60, "{}", at))
        tx.staging.stage("up", entries, datetime(2026, 2, 1))
        tx.staging.stage("other", [_entry("new", datetime(2026, 1, 1, 12))], datetime(2026, 2, 1))
        assert tx.staging.keys("up") == {e.key: e.upstream_updated_at for e in entries}
        assert tx.staging.keys("up", datetime(2026, 1, 1, 10)) == {
            "edge": datetime(2026, 1, 1, 10),
            "new": datetime(2026, 1, 1, 11),
        }
        assert tx.staging.keys("other", datetime(2026, 1, 1, 10)) == {
            "new": datetime(2026, 1, 1, 12)
        }


def test_the_window_is_an_index_range_on_sqlite(sqlite_registry) -> None:
    stmt = mirroring.keys_query("up", datetime(2026, 1, 1))
    sql = str(stmt.compile(sqlite_registry.engine, compile_kwargs={"literal_binds": True}))
    with sqlite_registry.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_upstream_entries_updated" in plan
