"""Ranked search with facets over the latest version of every server: the rules, pure.

What a search returns is the latest version of each server that matches the text and the
filters, best first, with a count for every value of every facet. The rules live here so
that each storage backend implements the same thing and tests compare them to this module
(:func:`rank` is the reference; the SQL in ``storage/`` must order as it does).

**Matching.** The query is folded (``casefold``) and split on whitespace into terms; a
server matches when every term is found in its name, title or description. A blank query
matches every server.

**Ranking** of a query with text, highest first, ties by name:

1. how the whole query meets the name: the exact name (1000), the name's last part exactly
   (``weather`` for ``io.github.alice/weather``: 800), a prefix of the name or its last part
   (600), a word of the name (a part between ``.``, ``/``, ``-`` or ``_``: 400);
   else the best of the terms: a term in the name (300), in the title (200), in the
   description (100);
2. status: active +50, deprecated -300, deleted -600 (shown only when asked for);
3. freshness: up to +30 for an update in the last 30 days, one point a day.

**Order of a blank query** (no text: the home page, a namespace's servers, filters alone):
by status (active, then deprecated, then deleted: the status score above, highest first),
then the most recently updated first, then by name. No score: so an index on (status,
updated_at, name) serves the page without sorting every server (:func:`blank_key`).

**Facets**: ``registryType`` and ``transport`` (a server counts once per value its packages
and remotes have), ``status``, ``namespace`` (the part of the name before ``/``) and
``hasRemote`` (``true``/``false``). Counts are over the servers that match the text and
every *other* filter, so choosing ``npm`` still shows how many ``pypi`` servers there are.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

FACETS: Final = ("registryType", "transport", "status", "namespace", "hasRemote")
DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100
MAX_QUERY: Final = 200  # characters of query text
NAMESPACE_FACET_SIZE: Final = 20  # the most namespaces listed (by count)
FRESH_DAYS: Final = 30

EXACT, LAST_PART, PREFIX, NAME_WORD = 1000, 800, 600, 400
TERM_IN_NAME, TERM_IN_TITLE, TERM_IN_DESCRIPTION = 300, 200, 100
STATUS_SCORE: Final = {"active": 50, "deprecated": -300, "deleted": -600}

WORD_BREAK: Final = re.compile(r"[./\-_]+")


@dataclass(frozen=True, slots=True)
class Facts:
    """What search and facets read from one server's latest server.json."""

    name: str
    namespace: str
    title: str
    description: str
    registry_types: tuple[str, ...]
    transports: tuple[str, ...]
    has_remote: bool


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def facts_of(document: Mapping[str, Any]) -> Facts:
    """The searchable facts of a server.json, read leniently (imported documents may break
    today's rules)."""
    name = _text(document.get("name"))
    registry_types: list[str] = []
    transports: list[str] = []
    packages = document.get("packages")
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, Mapping):
            continue
        kind = _text(package.get("registryType")).strip().lower()
        if kind:
            registry_types.append(kind)
        transport = package.get("transport")
        kind = _text(transport.get("type")) if isinstance(transport, Mapping) else ""
        transports.append(kind.strip().lower() or "stdio")
    remotes = document.get("remotes")
    has_remote = False
    for remote in remotes if isinstance(remotes, list) else []:
        if isinstance(remote, Mapping):
            has_remote = True
            kind = _text(remote.get("type")).strip().lower()
            if kind:
                transports.append(kind)
    return Facts(
        name=name,
        namespace=name.split("/", 1)[0] if "/" in name else name,
        title=_text(document.get("title")),
        description=_text(document.get("description")),
        registry_types=tuple(dict.fromkeys(registry_types)),
        transports=tuple(dict.fromkeys(transports)),
        has_remote=has_remote,
    )


def fold(text: str) -> str:
    return text.casefold()


def terms_of(query: str | None) -> tuple[str, ...]:
    return tuple(fold(query or "").split())


@dataclass(frozen=True, slots=True)
class Filters:
    registry_type: str | None = None
    transport: str | None = None
    status: str | None = None  # None: active and deprecated (deleted only when asked for)
    namespace: str | None = None
    has_remote: bool | None = None

    def without(self, facet: str) -> Filters:
        """These filters but the one on ``facet`` (facet counts ignore their own filter)."""
        return Filters(
            registry_type=None if facet == "registryType" else self.registry_type,
            transport=None if facet == "transport" else self.transport,
            status=None if facet == "status" else self.status,
            namespace=None if facet == "namespace" else self.namespace,
            has_remote=None if facet == "hasRemote" else self.has_remote,
        )


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str | None = None
    filters: Filters = field(default_factory=Filters)
    limit: int = DEFAULT_LIMIT
    offset: int = 0  # decoded from the opaque cursor


def matches(facts: Facts, status: str, terms: Iterable[str], filters: Filters) -> bool:
    """Whether a server with these facts and status is in the result."""
    haystack = (fold(facts.name), fold(facts.title), fold(facts.description))
    if not all(any(term in field_ for field_ in haystack) for term in terms):
        return False
    if filters.status is None:
        if status == "deleted":
            return False
    elif status != filters.status:
        return False
    if filters.registry_type is not None and filters.registry_type not in facts.registry_types:
        return False
    if filters.transport is not None and filters.transport not in facts.transports:
        return False
    if filters.namespace is not None and facts.namespace != filters.namespace:
        return False
    return filters.has_remote is None or facts.has_remote == filters.has_remote


def text_score(facts: Facts, terms: tuple[str, ...]) -> int:
    """Step 1 of the ranking: how the query meets the name, title and description."""
    if not terms:
        return 0
    whole = " ".join(terms)
    name = fold(facts.name)
    last = name.rsplit("/", 1)[-1]
    if whole == name:
        return EXACT
    if whole == last:
        return LAST_PART
    if name.startswith(whole) or last.startswith(whole):
        return PREFIX
    if whole in WORD_BREAK.split(name):
        return NAME_WORD
    best = 0
    title, description = fold(facts.title), fold(facts.description)
    for term in terms:
        if term in name:
            best = max(best, TERM_IN_NAME)
        elif term in title:
            best = max(best, TERM_IN_TITLE)
        elif term in description:
            best = max(best, TERM_IN_DESCRIPTION)
    return best


def freshness(updated_at: datetime, now: datetime) -> int:
    """Step 3: up to +30 for an update in the last 30 days, a point a day."""
    days = (now - updated_at).days
    return max(0, FRESH_DAYS - max(days, 0))


def rank(
    facts: Facts, status: str, updated_at: datetime, terms: tuple[str, ...], now: datetime
) -> int:
    return text_score(facts, terms) + STATUS_SCORE.get(status, 0) + freshness(updated_at, now)


def status_rank(status: str) -> int:
    """A status's place in the order, lowest first: minus its score (active -50, deprecated
    300, deleted 600, an unknown status 0)."""
    return -STATUS_SCORE.get(status, 0)


def blank_key(status: str, updated_at: datetime, name: str) -> tuple[int, int, str]:
    """The order of a blank query's results as a sort key, ascending: status, then newest
    first (``updated_at`` in microseconds, negated), then name."""
    return status_rank(status), -_microseconds(updated_at), name


def _microseconds(when: datetime) -> int:
    delta = when.replace(tzinfo=None) - datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def facet_values(facts: Facts, status: str, facet: str) -> tuple[str, ...]:
    """The values one server counts under in one facet."""
    if facet == "registryType":
        return facts.registry_types
    if facet == "transport":
        return facts.transports
    if facet == "status":
        return (status,)
    if facet == "namespace":
        return (facts.namespace,)
    return ("true" if facts.has_remote else "false",)


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results: the versions (storage's own view type), how many match in all,
    the facet counts, and the offset of the next page (None after the last)."""

    items: list[Any]
    total: int
    facets: Mapping[str, list[FacetCount]]
    next_offset: int | None


def sorted_counts(counts: Mapping[str, int], facet: str) -> list[FacetCount]:
    """A facet's counts, largest first then by value; the namespace facet keeps its top 20."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if facet == "namespace":
        ordered = ordered[:NAMESPACE_FACET_SIZE]
    return [FacetCount(value, count) for value, count in ordered if count > 0]


def encode_offset(offset: int) -> str:
    """The opaque cursor of a ranked result's next page."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).rstrip(b"=").decode("ascii")


def decode_offset(cursor: str) -> int | None:
    """The offset a cursor holds, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    prefix, _, number = raw.partition(":")
    if prefix != "offset" or not number.isdigit() or len(number) > 9:
        return None
    return int(number)
