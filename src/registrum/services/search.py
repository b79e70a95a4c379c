"""Ranked search with facets over the latest version of every server (rules: core/search.py).

:class:`SearchService` checks the query and asks the store's search port, which answers
through indexes (storage/search.py). :class:`ReferenceSearch` reads every latest version and
applies the rules in Python (:func:`search_rows`): correct and slow, it is what tests
compare the store's answers to, item for item and count for count.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from registrum.core.errors import InvalidInputError, Problem
from registrum.core.ports import ServerStore
from registrum.core.records import ListQuery
from registrum.core.search import (
    FACETS,
    MAX_LIMIT,
    MAX_QUERY,
    Facts,
    SearchPage,
    SearchQuery,
    blank_key,
    facet_values,
    facts_of,
    matches,
    rank,
    sorted_counts,
    terms_of,
)
from registrum.core.wire import VersionView
from registrum.services.clock import Clock, utc_now

_PAGE = 1000


class SearchService:
    def __init__(self, store: ServerStore, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    def search(self, query: SearchQuery) -> SearchPage:
        check(query)
        return self._store.search.search(query, self._clock())


class ReferenceSearch:
    """The rules applied in Python to every latest version the store lists."""

    def __init__(self, store: ServerStore, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    def _latest(self) -> list[tuple[VersionView, Facts]]:
        out: list[tuple[VersionView, Facts]] = []
        cursor: tuple[str | None, str | None] = (None, None)
        while True:
            page = self._store.versions.page(
                ListQuery(
                    limit=_PAGE,
                    cursor_name=cursor[0],
                    cursor_version=cursor[1],
                    latest_only=True,
                    include_deleted=True,
                )
            )
            out.extend((view, facts_of_body(view.body)) for view in page)
            if len(page) < _PAGE:
                return out
            cursor = (page[-1].name, page[-1].version)

    def search(self, query: SearchQuery) -> SearchPage:
        check(query)
        return search_rows(self._latest(), query, self._clock())


def facts_of_body(body: str) -> Facts:
    try:
        document = json.loads(body)
    except ValueError:
        document = {}
    return facts_of(document if isinstance(document, dict) else {})


def search_rows(
    rows: Sequence[tuple[VersionView, Facts]], query: SearchQuery, now: datetime
) -> SearchPage:
    """A search over these latest versions, by the rules of core/search.py, in Python."""
    terms = terms_of(query.text)
    found = [(v, f) for v, f in rows if matches(f, v.status.value, terms, query.filters)]
    if terms:
        found.sort(
            key=lambda vf: (
                -rank(vf[1], vf[0].status.value, vf[0].updated_at, terms, now),
                vf[0].name,
            )
        )
    else:
        found.sort(key=lambda vf: blank_key(vf[0].status.value, vf[0].updated_at, vf[0].name))
    facets = {}
    for facet in FACETS:
        others = query.filters.without(facet)
        counts: Counter[str] = Counter()
        for view, facts in rows:
            if matches(facts, view.status.value, terms, others):
                counts.update(facet_values(facts, view.status.value, facet))
        facets[facet] = sorted_counts(counts, facet)
    end = query.offset + query.limit
    return SearchPage(
        items=[v for v, _ in found[query.offset : end]],
        total=len(found),
        facets=facets,
        next_offset=end if end < len(found) else None,
    )


def check(query: SearchQuery) -> None:
    if query.text is not None and len(query.text) > MAX_QUERY:
        raise InvalidInputError(
            f"Invalid q: at most {MAX_QUERY} characters",
            [Problem("q", f"shorten the query to {MAX_QUERY} characters", None)],
            where="query",
        )
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidInputError(
            f"Invalid limit: 1 to {MAX_LIMIT}",
            [Problem("limit", f"expected 1 to {MAX_LIMIT}", query.limit)],
            where="query",
        )
