"""The blank query's facet counts, kept rather than counted (migration 0013).

A search with no text and no filter but (maybe) a status is the home page; counting its
facets means reading every server five times. ``search_counts`` holds those counts instead:
for each (facet, value), how many servers of each status count under it, and (status
``LIVE``) how many among every server but the deleted ones, which is the default view.
:func:`contributions` says which rows one server counts in; storage/search.py:refresh
subtracts the touched servers' old contributions and adds their new ones (:func:`apply`) in
the same transaction as it rewrites their search rows, so the counts never disagree with
``search_entries``. :func:`read` answers the total and every facet from ~50 rows.
"""

# ruff: noqa: S608 - the SQL text here is built from constants only; values are bound.

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Final

from sqlalchemy import Connection

from registrum.core.search import FACETS, NAMESPACE_FACET_SIZE, FacetCount, sorted_counts

LIVE: Final = "*"  # the status of the default view's counts: every server but the deleted
DELETED: Final = "deleted"

Key = tuple[str, str, str]  # (facet, status, value)

_UPSERT: Final = (
    "INSERT INTO search_counts (facet, status, value, n) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (facet, status, value) DO UPDATE SET n = search_counts.n + excluded.n"
)
_DROP_EMPTY: Final = (
    "DELETE FROM search_counts WHERE facet = ? AND status = ? AND value = ? AND n <= 0"
)


def contributions(
    status: str, namespace: str, has_remote: bool, facets: Iterable[tuple[str, str]]
) -> list[Key]:
    """The counts one server adds 1 to: each of its facet values (``facets``: its
    registryType and transport rows), under its status and, unless deleted, under LIVE."""
    values = [
        *facets,
        ("status", status),
        ("namespace", namespace),
        ("hasRemote", "true" if has_remote else "false"),
    ]
    scopes = (status,) if status == DELETED else (status, LIVE)
    return [(facet, scope, value) for scope in scopes for facet, value in values]


def apply(conn: Connection, mark: str, delta: Mapping[Key, int]) -> None:
    """Add ``delta`` to the kept counts (keys in order, so concurrent writers on PostgreSQL
    take row locks in one order), then drop the counts that fell to zero."""
    changed = sorted((key, n) for key, n in delta.items() if n != 0)
    if not changed:
        return
    upsert, drop = (_UPSERT, _DROP_EMPTY) if mark == "?" else _marked(mark)
    conn.exec_driver_sql(upsert, [(*key, n) for key, n in changed])
    fallen = [key for key, n in changed if n < 0]
    if fallen:
        conn.exec_driver_sql(drop, fallen)


def _marked(mark: str) -> tuple[str, str]:
    return _UPSERT.replace("?", mark), _DROP_EMPTY.replace("?", mark)


def delta_of(old: Iterable[Key], new: Iterable[Key]) -> Counter[Key]:
    delta: Counter[Key] = Counter(new)
    delta.subtract(old)
    return delta


def read_sql(status: str | None, params: dict[str, Any]) -> str:
    """The kept counts of a blank query with this status filter (None: the default view):
    every facet but status and namespace under that status, the status facet under LIVE
    (a facet's counts ignore its own filter), the namespace facet's top 20 (through
    ix_search_counts_top)."""
    params["c_scope"] = LIVE if status is None else status
    return (
        "SELECT facet, value, n FROM search_counts WHERE facet IN "
        "('registryType', 'transport', 'hasRemote') AND status = :c_scope "
        f"UNION ALL SELECT facet, value, n FROM search_counts WHERE facet = 'status' "
        f"AND status = '{LIVE}' "
        "UNION ALL SELECT * FROM (SELECT facet, value, n FROM search_counts "
        "WHERE facet = 'namespace' AND status = :c_scope "
        f"ORDER BY n DESC, value LIMIT {NAMESPACE_FACET_SIZE}) ns"
    )


def answer(rows: Iterable[tuple[str, str, int]]) -> tuple[int, dict[str, list[FacetCount]]]:
    """The total and the facets from :func:`read_sql`'s rows."""
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for facet, value, n in rows:
        counts[facet][value] = int(n)
    # Every server counts once under hasRemote (true or false), in the filter's status.
    total = sum(counts["hasRemote"].values())
    return total, {facet: sorted_counts(counts[facet], facet) for facet in FACETS}
