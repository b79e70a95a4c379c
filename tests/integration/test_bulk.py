"""Many-row inserts on the driver (storage/bulk.py) store exactly what SQLAlchemy's own
insert stores: timestamps, booleans, NULLs and text read back the same, and an upsert
replaces the row of a key it meets. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, select

from registrum.storage import bulk
from registrum.storage.dialects import COPY_FROM, dialect_of
from registrum.storage.tables import servers, upstream_entries, upstreams


def _entry(key: str, body: str, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "upstream": "root",
        "key": key,
        "name": "com.example/bulk",
        "version": key,
        "body": body,
        "status": "active",
        "status_message": None,
        "published_at": datetime(2026, 1, 2, 3, 4, 5),  # no microseconds: still ordered
        "status_changed_at": datetime(2026, 1, 2, 3, 4, 5, 678901),
        "upstream_updated_at": None,
        "upstream_seq": 7,
        "synced_at": datetime(2026, 2, 1),
    }
    row.update(changes)
    return row


def _add_upstream(conn) -> None:
    conn.execute(
        upstreams.insert(),
        {
            "name": "root",
            "url": "http://127.0.0.1:9/",
            "kind": "file",
            "priority": 0,
            "interval_seconds": 60,
            "checkpoint": "{}",
            "created_at": datetime(2026, 1, 1),
        },
    )


def _read(conn) -> list[tuple[object, ...]]:
    columns = [upstream_entries.c[c] for c in _entry("k", "")]
    return [tuple(r) for r in conn.execute(select(*columns).order_by(upstream_entries.c.key))]


# Few rows go through executemany; many through COPY on PostgreSQL (COPY_FROM).
SIZES = pytest.mark.parametrize("extra", [0, COPY_FROM], ids=["few", "many"])


def _extra(n: int, body: str) -> list[dict[str, object]]:
    return [_entry(f"x{i:04d}", body) for i in range(n)]


@SIZES
def test_rows_read_back_as_sqlalchemy_writes_them(registry, extra: int) -> None:
    rows = [
        _entry("a", '{"é": "ü", "tab": "\\t", "quote": "\\""}'),
        _entry("b", "{}", status_message="gone\ttab", upstream_updated_at=datetime(2026, 3, 1)),
        *_extra(extra, "body"),
    ]
    with registry.engine.begin() as conn:
        _add_upstream(conn)
        conn.execute(upstream_entries.insert(), rows)
        by_sqlalchemy = _read(conn)
        conn.execute(delete(upstream_entries))
        bulk.insert_many(conn, dialect_of(registry.engine), upstream_entries, rows)
        assert _read(conn) == by_sqlalchemy
        # Timestamps compare in time order whichever way they were written.
        later = conn.execute(
            select(upstream_entries.c.key).where(
                upstream_entries.c.published_at > datetime(2026, 1, 2, 3, 4, 4, 999999)
            )
        ).scalars()
        assert len(list(later)) == len(rows)


@SIZES
def test_an_upsert_replaces_the_rows_it_meets_and_adds_the_others(registry, extra: int) -> None:
    with registry.engine.begin() as conn:
        _add_upstream(conn)
        bulk.insert_many(
            conn,
            dialect_of(registry.engine),
            upstream_entries,
            [_entry("a", "old"), _entry("b", "old"), *_extra(extra, "old")],
        )
        bulk.insert_many(
            conn,
            dialect_of(registry.engine),
            upstream_entries,
            [_entry("b", "new", status="deleted"), _entry("c", "new"), *_extra(extra, "new")],
            conflict=("upstream", "key"),
        )
        got = {r[1]: (r[4], r[5]) for r in _read(conn)}
    expected = {"a": ("old", "active"), "b": ("new", "deleted"), "c": ("new", "active")}
    expected.update({f"x{i:04d}": ("new", "active") for i in range(extra)})
    assert got == expected
    # A later upsert (PostgreSQL reuses its temporary table, emptied at each commit).
    with registry.engine.begin() as conn:
        bulk.insert_many(
            conn,
            dialect_of(registry.engine),
            upstream_entries,
            _extra(extra, "again"),
            conflict=("upstream", "key"),
        )
        assert {r[4] for r in _read(conn) if str(r[1]).startswith("x")} <= {"again"}


def test_no_rows_and_nulls(registry) -> None:
    with registry.engine.begin() as conn:
        bulk.insert_many(
            conn, dialect_of(registry.engine), servers, []
        )  # nothing to do, no statement
        bulk.insert_many(
            conn,
            dialect_of(registry.engine),
            servers,
            [
                {
                    "id": "s1",
                    "name": "com.example/b",
                    "created_at": datetime(2026, 1, 1),
                    "upstream": None,
                }
            ],
        )
        assert conn.execute(select(servers.c.id, servers.c.upstream)).all() == [("s1", None)]
