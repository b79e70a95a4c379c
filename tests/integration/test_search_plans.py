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


# With no filter but status (the home page): with other filters, the planner may rightly
# prefer a filter's index and sort what it finds (a small namespace, say).
BLANK = [
    SearchQuery(),
    SearchQuery(filters=Filters(status="deprecated")),
    SearchQuery(offset=20),
]


def _plan(store: Any, sql: str, params: dict[str, Any]) -> str:
    dialect = store.dialect
    with store._engine.connect() as conn:
        if dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + dialect.driver_sql(sql), params).all()
            return "\n".join(str(r[0]) for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
        return "\n".join(str(r[-1]) for r in rows)


@pytest.mark.parametrize("query", BLANK, ids=lambda q: f"{q.filters.status}-{q.offset}")
def test_a_blank_query_walks_the_order_index_and_sorts_nothing(registry, query) -> None:
    """No text: the page is a walk of ix_search_entries_blank_order that stops after the
    page, never a sort of every match; with no filter but status, the total and the facets
    are read from search_counts, not counted over search_entries."""
    docs = [
        server_json(f"io.github.alice/weather-{i}", packages=[npm_package()]) for i in range(30)
    ]
    ImportService(registry.store).import_items(docs)
    store = registry.store
    (page_sql, params), counts = _statements(store, query)
    # The page's own rows (then joined to their versions and put in order: 20 rows).
    inner = page_sql[page_sql.index("FROM (") + 6 : page_sql.index(") p JOIN")]
    plan = _plan(store, inner, params)
    assert "ix_search_entries_blank_order" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
    assert "Sort" not in plan, plan
    plan = _plan(store, *counts)
    assert "search_entries" not in plan, plan
    assert "search_facets" not in plan, plan
    assert "search_counts" in plan or "ix_search_counts" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
    assert "Sort" not in plan, plan
