"""Ranked search with facets (issue #16; the rules: :mod:`registrum.core.search`).

**Kept in step.** ``search_entries`` holds one row per server, for its latest version, and
``search_facets`` its registry types and transports (SQLite adds the FTS5 table
``search_text``). They are not written by the code paths that change versions: each of those
notes the server (or the version) it touched in the transaction's journal, and
:func:`refresh` rewrites the rows of every touched server just before commit, from the
version rows themselves. So a path that changes which version is latest, or the latest
version's name, status or document, cannot leave search behind as long as it goes through
``tx.versions`` or ``tx.names``, which every writer does.

**Searched** in one statement for the page (the score computed in SQL exactly as
:func:`registrum.core.search.rank` computes it) and one for the total and every facet count
(one ``UNION ALL``, over the matches computed once in a CTE). Text is matched through a
trigram index: FTS5 on SQLite (terms of three characters or more; shorter ones are checked on
the rows those leave, or on the ``search_entries`` rows, one per server, when there is no
longer term), pg_trgm GIN indexes on PostgreSQL. Nothing reads ``server_versions`` but the
page's rows, by primary key.
"""

# ruff: noqa: S608 - the SQL text here is built from constants and column names only;
# every value is a bound parameter.

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import orjson
from sqlalchemy import Connection, func, select

from registrum.core.search import (
    EXACT,
    FACETS,
    FRESH_DAYS,
    LAST_PART,
    MAX_LIMIT,
    NAME_WORD,
    NAMESPACE_FACET_SIZE,
    PREFIX,
    STATUS_SCORE,
    TERM_IN_DESCRIPTION,
    TERM_IN_NAME,
    TERM_IN_TITLE,
    WORD_BREAK,
    FacetCount,
    Facts,
    Filters,
    SearchPage,
    SearchQuery,
    facts_of,
    fold,
    sorted_counts,
    status_rank,
    terms_of,
)
from registrum.storage import bulk, search_counts
from registrum.storage.changelog import Journal
from registrum.storage.dialects import Dialect
from registrum.storage.reads import ReadLine, view_columns
from registrum.storage.servers import chunks
from registrum.storage.tables import search_entries, search_facets, search_text, server_versions

_sv = server_versions
_se = search_entries
TRIGRAM: Final = 3  # the shortest term a trigram index narrows down
_FTS_ROWS: Final = "e.text_rowid IN (SELECT rowid FROM search_text WHERE search_text MATCH :fts)"
_FOLDED_TEXTS: Final = ("name_folded", "title_folded", "description_folded")
_LAST_TEXT_ROWID = "SELECT rowid FROM search_text ORDER BY rowid DESC LIMIT 1"
_WORD: Final = "/"  # joins a name's words in name_words; a break character, so in no word


def name_words(folded_name: str) -> str:
    return _WORD + _WORD.join(WORD_BREAK.split(folded_name)) + _WORD


def entry_rows(
    server_id: str, version_id: str, name: str, facts: Facts, status: str, updated_at: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The search_entries row and the search_facets rows of one server's latest version."""
    folded = fold(facts.name)
    entry = {
        "server_id": server_id,
        "version_id": version_id,
        "name": name,
        "name_folded": folded,
        "last_folded": folded.rsplit("/", 1)[-1],
        "name_words": name_words(folded),
        "title_folded": fold(facts.title),
        "description_folded": fold(facts.description),
        "namespace": facts.namespace,
        "status": status,
        "updated_at": updated_at,
        "has_remote": facts.has_remote,
        "text_rowid": None,
    }
    facets = [
        {"server_id": server_id, "facet": facet, "value": value}
        for facet, values in (
            ("registryType", facts.registry_types),
            ("transport", facts.transports),
        )
        for value in values
    ]
    return entry, facets


def document_facts(body: str) -> Facts:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = {}
    return facts_of(document if isinstance(document, dict) else {})


def refresh(conn: Connection, dialect: Dialect, journal: Journal) -> None:
    """Before commit: rewrite the search rows of every server the transaction touched (the
    journal's ``servers_touched``, and the servers of its ``versions_touched``)."""
    ids = set(journal.servers_touched)
    for chunk in chunks(sorted(journal.versions_touched)):
        stmt = select(_sv.c.server_id).where(_sv.c.id.in_(chunk))
        ids.update(conn.execute(stmt).scalars())
    journal.servers_touched.clear()
    journal.versions_touched.clear()
    if not ids:
        return
    fts = dialect.writes_search_index
    next_rowid: list[int] = []
    counted: Counter[search_counts.Key] = Counter()
    for chunk in chunks(sorted(ids)):
        old = _old_rows(conn, chunk, counted)
        latest = conn.execute(
            select(
                _sv.c.server_id,
                _sv.c.id,
                _sv.c.name,
                _sv.c.body,
                _sv.c.status,
                func.coalesce(_sv.c.origin_updated_at, _sv.c.updated_at),
            ).where(_sv.c.server_id.in_(chunk), _sv.c.is_latest)
        ).all()
        conn.execute(search_facets.delete().where(search_facets.c.server_id.in_(chunk)))
        conn.execute(_se.delete().where(_se.c.server_id.in_(chunk)))
        if fts:
            gone = [r for r in old.values() if r is not None]
            if gone:
                conn.execute(search_text.delete().where(search_text.c.rowid.in_(gone)))
        entries: list[dict[str, Any]] = []
        facets: list[dict[str, Any]] = []
        texts: list[dict[str, Any]] = []
        for server_id, version_id, name, body, status, updated_at in latest:
            facts = document_facts(body)
            entry, rows = entry_rows(server_id, version_id, name, facts, status, updated_at)
            entry["status_rank"] = status_rank(status)
            counted.update(
                search_counts.contributions(
                    status,
                    facts.namespace,
                    facts.has_remote,
                    ((row["facet"], row["value"]) for row in rows),
                )
            )
            if fts:
                rowid = old.get(server_id)
                if rowid is None:
                    if not next_rowid:
                        last = conn.exec_driver_sql(_LAST_TEXT_ROWID).scalar()
                        next_rowid.append(int(last or 0) + 1)
                    rowid = next_rowid[0]
                    next_rowid[0] += 1
                entry["text_rowid"] = rowid
                texts.append(
                    {
                        "rowid": rowid,
                        "name": entry["name_folded"],
                        "title": entry["title_folded"],
                        "description": entry["description_folded"],
                    }
                )
            entries.append(entry)
            facets.extend(rows)
        bulk.insert_many(conn, dialect, _se, entries)
        bulk.insert_many(conn, dialect, search_facets, facets)
        if texts:
            bulk.insert_many(conn, dialect, search_text, texts)
    search_counts.apply(conn, dialect.mark, counted)


def _old_rows(
    conn: Connection, chunk: Sequence[str], counted: Counter[search_counts.Key]
) -> dict[str, int | None]:
    """The text rowids of these servers' search rows (None on PostgreSQL), by server; their
    kept counts' contributions are subtracted from ``counted``."""
    values: dict[str, list[tuple[str, str]]] = {}
    stmt = select(search_facets.c.server_id, search_facets.c.facet, search_facets.c.value)
    for server_id, facet, value in conn.execute(stmt.where(search_facets.c.server_id.in_(chunk))):
        values.setdefault(server_id, []).append((facet, value))
    rowids: dict[str, int | None] = {}
    columns = (_se.c.server_id, _se.c.text_rowid, _se.c.status, _se.c.namespace, _se.c.has_remote)
    for row in conn.execute(select(*columns).where(_se.c.server_id.in_(chunk))):
        server_id, status = str(row[0]), str(row[2])
        rowids[server_id] = row[1]
        found = values.get(server_id, ())
        counted.subtract(search_counts.contributions(status, str(row[3]), bool(row[4]), found))
    return rowids


# Reads ------------------------------------------------------------------------------------

_PAGE_COLUMNS: Final = view_columns("v")


def _freshness(params: dict[str, Any], now: datetime, time_param: Any) -> str:
    """Step 3 of the ranking in SQL: +30 for an update less than a day old, down to +1 for
    one less than 30 days old (``(now - updated_at).days``, as core.search computes it)."""
    params["fresh_0"] = time_param(now - timedelta(days=FRESH_DAYS))
    whens = []
    for days in range(1, FRESH_DAYS):
        params[f"fresh_{days}"] = time_param(now - timedelta(days=days))
        whens.append(f"WHEN e.updated_at > :fresh_{days} THEN {FRESH_DAYS - days + 1}")
    return f"CASE WHEN e.updated_at <= :fresh_0 THEN 0 {' '.join(whens)} ELSE 1 END"


_STATUS: Final = (
    "CASE e.status "
    + " ".join(f"WHEN '{status}' THEN {score}" for status, score in STATUS_SCORE.items())
    + " ELSE 0 END"
)


def _contains(dialect: Dialect, text: str, param: str) -> str:
    return dialect.contains_sql.format(text=text, param=param)


def _greatest(dialect: Dialect, values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else f"{dialect.greatest_sql}({', '.join(values)})"


def _phrase(term: str) -> str:
    """An FTS5 phrase matching ``term`` literally: with the trigram tokenizer, a substring."""
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    """A LIKE pattern matching ``term`` literally, anywhere (not lowered: folded already)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_matches(dialect: Dialect, terms: Sequence[str], params: dict[str, Any]) -> list[str]:
    """Conditions on ``search_entries e`` finding the rows whose folded name, title or
    description holds every term (parameter ``t<i>`` is ``terms[i]``), through the trigram
    index: SQLite's FTS5 table where the store writes one, else (PostgreSQL) LIKE, which
    the pg_trgm GIN indexes serve. FTS5's trigram tokenizer finds a phrase of three
    characters or more as a substring, exactly; a shorter term is checked on the rows the
    longer ones leave (or, with no longer term, on every search_entries row: one per
    server, never a version)."""
    if not dialect.writes_search_index:
        out = []
        for i, term in enumerate(terms):
            params[f"p{i}"] = _like(term)
            likes = (f"e.{c} LIKE :p{i} ESCAPE '\\'" for c in _FOLDED_TEXTS)
            out.append("(" + " OR ".join(likes) + ")")
        return out
    long = [t for t in terms if len(t) >= TRIGRAM]
    found = []
    if long:
        params["fts"] = " AND ".join(_phrase(t) for t in long)
        found.append(_FTS_ROWS)
    for i, term in enumerate(terms):
        if len(term) < TRIGRAM:
            each = (_contains(dialect, f"e.{c}", f"t{i}") for c in _FOLDED_TEXTS)
            found.append("(" + " OR ".join(each) + ")")
    return found


class SqlSearchReads:
    def __init__(self, reads: ReadLine) -> None:
        self._reads = reads

    def search(self, query: SearchQuery, now: datetime) -> SearchPage:
        dialect = self._reads.dialect
        terms = terms_of(query.text)
        params: dict[str, Any] = {}
        unique = list(dict.fromkeys(terms))
        for i, term in enumerate(unique):
            params[f"t{i}"] = term
        matched = text_matches(dialect, unique, params)
        filters = self._filters(query.filters, params, "e")
        params["limit"] = min(query.limit, MAX_LIMIT)
        params["offset"] = query.offset
        if terms:
            page_sql = self._ranked_page(terms, unique, [*matched, *filters], params, now)
        else:
            page_sql = _blank_page(query.filters, filters, params)
        items = self._reads.views(page_sql, params)
        if not terms and query.filters.without("status") == Filters():
            kept = self._reads.rows(search_counts.read_sql(query.filters.status, params), params)
            total, facets = search_counts.answer(kept)
        else:
            total, facets = self._facets(matched, query.filters, params)
        end = query.offset + query.limit
        return SearchPage(
            items=items,
            total=total,
            facets=facets,
            next_offset=end if end < total else None,
        )

    def _ranked_page(
        self,
        terms: tuple[str, ...],
        unique: list[str],
        conditions: list[str],
        params: dict[str, Any],
        now: datetime,
    ) -> str:
        """A text query's page: by the score of core.search.rank, then name."""
        dialect = self._reads.dialect
        score = " + ".join(
            (
                self._text_score(terms, unique, params),
                _STATUS,
                _freshness(params, now, dialect.time_param),
            )
        )
        return (
            f"SELECT {_PAGE_COLUMNS} FROM (SELECT e.version_id, {score} AS score, e.name "
            f"FROM search_entries e WHERE {' AND '.join(conditions)} "
            "ORDER BY score DESC, e.name LIMIT :limit OFFSET :offset) p "
            "JOIN server_versions v ON v.id = p.version_id ORDER BY p.score DESC, p.name"
        )

    def _text_score(self, terms: tuple[str, ...], unique: list[str], params: dict[str, Any]) -> str:
        if not terms:
            return ""
        dialect = self._reads.dialect
        whole = " ".join(terms)
        params["whole"] = whole
        params["whole_len"] = len(whole)
        best = [
            f"CASE WHEN {_contains(dialect, 'e.name_folded', f't{i}')} THEN {TERM_IN_NAME} "
            f"WHEN {_contains(dialect, 'e.title_folded', f't{i}')} THEN {TERM_IN_TITLE} "
            f"WHEN {_contains(dialect, 'e.description_folded', f't{i}')} "
            f"THEN {TERM_IN_DESCRIPTION} ELSE 0 END"
            for i in range(len(unique))
        ]
        word = ""
        if not WORD_BREAK.search(whole):
            params["word"] = _WORD + whole + _WORD
            word = f"WHEN {_contains(dialect, 'e.name_words', 'word')} THEN {NAME_WORD} "
        return (
            f"CASE WHEN e.name_folded = :whole THEN {EXACT} "
            f"WHEN e.last_folded = :whole THEN {LAST_PART} "
            "WHEN substr(e.name_folded, 1, :whole_len) = :whole "
            f"OR substr(e.last_folded, 1, :whole_len) = :whole THEN {PREFIX} "
            f"{word}ELSE {_greatest(dialect, best)} END"
        )

    @staticmethod
    def _filters(
        filters: Filters, params: dict[str, Any], alias: str, skip: str | None = None
    ) -> list[str]:
        """The filters (but the one on facet ``skip``) as conditions on ``alias``'s rows."""
        f = filters.without(skip) if skip is not None else filters
        out = []
        if f.status is None:
            out.append(f"{alias}.status != 'deleted'")
        else:
            params["f_status"] = f.status
            out.append(f"{alias}.status = :f_status")
        for facet, value, key in (
            ("registryType", f.registry_type, "f_registry_type"),
            ("transport", f.transport, "f_transport"),
        ):
            if value is not None:
                params[key] = value
                out.append(
                    f"{alias}.server_id IN (SELECT server_id FROM search_facets "
                    f"WHERE facet = '{facet}' AND value = :{key})"
                )
        if f.namespace is not None:
            params["f_namespace"] = f.namespace
            out.append(f"{alias}.namespace = :f_namespace")
        if f.has_remote is not None:
            params["f_has_remote"] = f.has_remote
            out.append(f"{alias}.has_remote = :f_has_remote")
        return out

    def _facets(
        self, matched: Sequence[str], filters: Filters, params: dict[str, Any]
    ) -> tuple[int, dict[str, list[FacetCount]]]:
        """The total and every facet's counts, in one statement over the matches."""
        counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        total = 0
        for facet, value, n in self._reads.rows(counts_sql(matched, filters, params), params):
            if facet == "total":
                total = int(n)
            else:
                counts[facet][value] = int(n)
        return total, {facet: sorted_counts(counts[facet], facet) for facet in FACETS}


def _blank_page(filters: Filters, conditions: list[str], params: dict[str, Any]) -> str:
    """A blank query's page, in the order of core.search.blank_key: a walk of
    ix_search_entries_blank_order (status_rank, updated_at DESC, name) that stops after the
    page (with a status filter, from that status's first entry)."""
    where = list(conditions)
    if filters.status is not None:
        params["f_rank"] = status_rank(filters.status)
        where.append("e.status_rank = :f_rank")
    order = "status_rank, {0}.updated_at DESC, {0}.name"
    return (
        f"SELECT {_PAGE_COLUMNS} FROM (SELECT e.version_id, e.status_rank, e.updated_at, "
        f"e.name FROM search_entries e{_where(where)} ORDER BY e.{order.format('e')} "
        "LIMIT :limit OFFSET :offset) p JOIN server_versions v ON v.id = p.version_id "
        f"ORDER BY p.{order.format('p')}"
    )


def _where(conditions: Iterable[str]) -> str:
    found = list(conditions)
    return f" WHERE {' AND '.join(found)}" if found else ""


def counts_sql(matched: Sequence[str], filters: Filters, params: dict[str, Any]) -> str:
    """One statement: the total, then (facet, value, count) rows of every facet. With text
    to match, the matches are found once (a CTE every count reads); without, the counts read
    the table itself, so its indexes can serve them."""
    source = "m" if matched else "search_entries m"
    every = _where(SqlSearchReads._filters(filters, params, "m"))
    parts = [f"SELECT 'total' AS facet, '' AS value, count(*) AS n FROM {source}{every}"]
    for facet in FACETS:
        cond = SqlSearchReads._filters(filters, params, "m", skip=facet)
        if facet in ("registryType", "transport"):
            # CROSS JOIN: SQLite then loops over the matches and looks each one's values
            # up by key, rather than over every server's values (PostgreSQL plans either).
            joined = ["f.server_id = m.server_id", f"f.facet = '{facet}'", *cond]
            parts.append(
                f"SELECT '{facet}', f.value, count(*) FROM {source} CROSS JOIN search_facets f"
                f"{_where(joined)} GROUP BY f.value"
            )
        elif facet == "status":
            parts.append(
                f"SELECT 'status', m.status, count(*) FROM {source}{_where(cond)} GROUP BY m.status"
            )
        elif facet == "hasRemote":
            parts.append(
                "SELECT 'hasRemote', CASE WHEN m.has_remote THEN 'true' ELSE 'false' END, "
                f"count(*) FROM {source}{_where(cond)} GROUP BY m.has_remote"
            )
        else:
            parts.append(
                "SELECT * FROM (SELECT 'namespace' AS facet, m.namespace AS value, "
                f"count(*) AS n FROM {source}{_where(cond)} GROUP BY m.namespace "
                f"ORDER BY n DESC, m.namespace LIMIT {NAMESPACE_FACET_SIZE}) ns"
            )
    union = " UNION ALL ".join(parts)
    if not matched:
        return union
    return (
        "WITH m AS (SELECT e.server_id, e.status, e.namespace, e.has_remote "
        f"FROM search_entries e{_where(matched)}) {union}"
    )
