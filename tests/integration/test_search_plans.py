"""Ranked search never reads server_versions but the page's rows, by primary key, and finds
text through the trigram index, on both backends: every statement a search runs is explained
(PostgreSQL with sequential scans discouraged, so that on a small test database a plan shows
what an index can serve, as it would on a large one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from registrum.core.search import Filters, SearchQuery
from registrum.services.importing import ImportService
from tests.factories import npm_package, server_json

QUERIES = [
    SearchQuery(),
    SearchQuery(text="weather"),
    SearchQuery(text="weather io.github", filters=Filters(registry_type="npm")),
    SearchQuery(filters=Filters(namespace="io.github.alice", has_remote=False, status="active")),
]


def _statements(store: Any, query: SearchQuery) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    rows = store.reads.rows

    def record(sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        seen.append((sql, dict(params or {})))
        return rows(sql, params)  # type: ignore[no-any-return]

    store.reads.rows = record
    try:
        store.search.search(query, datetime(2026, 12, 8))
    finally:
        store.reads.rows = rows
    return seen


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr(q.text))
def test_search_reads_versions_by_key_only(registry, query: SearchQuery) -> None:
    docs = [
        server_json(f"io.github.alice/weather-{i}", packages=[npm_package()]) for i in range(30)
    ]
    ImportService(registry.store).import_items(docs)
    store = registry.store
    dialect = store.dialect
    with store._engine.connect() as conn:
        if dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        for sql, params in _statements(store, query):
            rows = conn.exec_driver_sql(explain + dialect.driver_sql(sql), params).all()
            plan = "\n".join(str(r[-1] if dialect.name == "sqlite" else r[0]) for r in rows)
            for line in plan.splitlines():
                if "server_versions" in line:
                    assert "SCAN" not in line, plan
                    assert "Seq Scan" not in line, plan
            if query.text and query.filters == Filters():  # else a filter's index may lead
                assert "search_text" in plan or "trgm" in plan, plan
