"""Ingest: taking in documents another registry already serves (an import, a mirror sync).

Publishing is strict; ingest is faithful. The official registry serves documents it accepted
under older rules (``"repository": {}``, ``"$schema": ""``, a package ``"version":
"latest"``, an argument ``"type": ""``, an environment variable ``"format": "integer"``),
and a mirror that drops them is not a mirror. So an ingested document is stored exactly as
it was served, and every rule of today's publish it breaks is recorded with it as a
*deviation* (served under Registrum's ``_meta`` key). Only what cannot be stored at all is
refused: a value that is not an object, a missing name or version, text that cannot be
encoded, and values too long for the columns that index them.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from registrum.core import wire
from registrum.core.errors import Problem
from registrum.core.names import NAME_MAX
from registrum.core.status import Status
from registrum.core.validation import MAX_DEPTH, too_deep, validate_server_json
from registrum.core.versioning import VERSION_MAX

# The indexed description (for search) is cut to the column's size; the document keeps it whole.
DESCRIPTION_INDEXED: Final = 400
_INDEX: Final = re.compile(r"\[\d+\]")
_STATUSES: Final = frozenset(s.value for s in Status)
_DEVIATION_MEMBERS: Final = ("rule", "path", "message")


@dataclass(frozen=True, slots=True)
class Deviation:
    """One rule of today's publish that an ingested document breaks."""

    rule: str
    path: str
    message: str

    @property
    def key(self) -> str:
        """What deviations are counted by: the rule, and for a schema rule (which names
        only the kind of mismatch) where in the document it applies."""
        if self.rule.startswith("schema:") and self.path:
            return f"{self.rule} at {_INDEX.sub('[]', self.path)}"
        return self.rule


@dataclass(frozen=True, slots=True)
class Ingested:
    """A document ready to be stored as it was served."""

    name: str
    version: str
    body: str  # the document's JSON text, members in the order they were served
    description: str  # for the search index, cut to DESCRIPTION_INDEXED characters
    remote_urls: tuple[str, ...]
    deviations: tuple[Deviation, ...] = ()


@dataclass(frozen=True, slots=True)
class Refusal:
    """A document that cannot be stored at all, and why."""

    name: str | None
    reason: str
    path: str = ""  # the member at fault ("" for the document itself)


def _string(raw: dict[str, Any], member: str) -> str | None:
    value = raw.get(member)
    return value if isinstance(value, str) and value else None


def remote_urls(raw: Any) -> tuple[str, ...]:
    """The remote URLs a document (valid or not) names, each once, in order."""
    remotes = raw.get("remotes") if isinstance(raw, dict) else None
    if not isinstance(remotes, list):
        return ()
    urls = (r.get("url") for r in remotes if isinstance(r, dict))
    # PostgreSQL text cannot hold NUL: such a URL is kept in the document only.
    return tuple(dict.fromkeys(u for u in urls if isinstance(u, str) and u and "\x00" not in u))


def indexed_description(raw: Any) -> str:
    """A document's description as the search index holds it: cut to the column's size,
    without NUL (which PostgreSQL text cannot hold; the document keeps it escaped)."""
    description = raw.get("description") if isinstance(raw, dict) else None
    if not isinstance(description, str):
        return ""
    return description.replace("\x00", "")[:DESCRIPTION_INDEXED]


def _problem_deviation(problem: Problem) -> Deviation:
    return Deviation(problem.rule or problem.kind, problem.path, problem.message)


def deviations_of(raw: dict[str, Any]) -> tuple[Deviation, ...]:
    """Every rule publishing this document today would refuse it for."""
    report = validate_server_json(raw, with_warnings=False)
    return tuple(_problem_deviation(p) for p in report.errors)


_TOO_DEEP: Final = "too-deep"


def ingest(raw: Any, known: tuple[Deviation, ...] | None = None) -> Ingested | Refusal:
    """``raw`` (a decoded server.json document) as it will be stored, or why it cannot be.
    ``known``: its deviations as a Registrum upstream already recorded them (validating
    again would find the same, at a cost that made a mirror's first sync read slower than it
    writes)."""
    if not isinstance(raw, dict):
        return Refusal(None, "not a JSON object")
    name, version = _string(raw, "name"), _string(raw, "version")
    if name is None:
        return Refusal(None, "it has no name (a non-empty string is needed)", "name")
    if version is None:
        return Refusal(name, "it has no version (a non-empty string is needed)", "version")
    if len(name) > NAME_MAX:
        return Refusal(name[:NAME_MAX], f"its name is longer than {NAME_MAX} characters", "name")
    if len(version) > VERSION_MAX:
        reason = f"its version is longer than {VERSION_MAX} characters"
        return Refusal(name, reason, "version")
    for member, value in (("name", name), ("version", version)):
        if "\x00" in value:
            return Refusal(name, f"its {member} contains the NUL character (\\u0000)", member)
    # Validation looks at the depth first (and stops there): deeper input would fail on its
    # way to storage, so it is refused.
    if known is None:
        deviations = deviations_of(raw)
        deep = deviations[0].path if deviations and deviations[0].rule == _TOO_DEEP else None
    else:
        deviations, deep = known, too_deep(raw)
    if deep is not None:
        return Refusal(name, f"it is nested more than {MAX_DEPTH} levels deep", deep)
    try:
        body = orjson.dumps(raw).decode()
    except (TypeError, orjson.JSONEncodeError) as exc:
        # A lone surrogate, say: no UTF-8 text can hold it, so neither database can.
        return Refusal(name, f"it cannot be stored as UTF-8 text ({exc})")
    return Ingested(
        name=name,
        version=version,
        body=body,
        description=indexed_description(raw),
        remote_urls=remote_urls(raw),
        deviations=deviations,
    )


@dataclass(frozen=True, slots=True)
class Served:
    """An item as another registry serves it: a ServerResponse envelope (or a bare
    server.json), its document taken in, and what its ``_meta`` says of it."""

    document: Ingested
    status: Status  # active when the item says none (or none we know)
    status_message: str | None
    published_at: datetime | None
    status_changed_at: datetime | None
    updated_at: datetime | None
    is_latest: bool | None
    # From a Registrum's own _meta: the stable ids and earlier names (a JSON array).
    server_id: str | None
    version_id: str | None
    previous_names: str | None


def _member(meta: Any, key: str) -> dict[str, Any]:
    value = meta.get(key) if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else {}


def _uuid(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _names(value: Any) -> str | None:
    if isinstance(value, list) and value and all(isinstance(n, str) for n in value):
        return orjson.dumps(value).decode()
    return None


def _recorded(ours: dict[str, Any]) -> tuple[Deviation, ...] | None:
    """The deviations a Registrum recorded on an item it serves (none listed: none found),
    or None when the item is not from a Registrum or the list is not well-formed."""
    if wire.SERVER_ID not in ours:
        return None
    listed = ours.get(wire.WARNINGS, [])
    if not isinstance(listed, list):
        return None
    found: list[Deviation] = []
    for item in listed:
        values = [item.get(k) if isinstance(item, dict) else None for k in _DEVIATION_MEMBERS]
        strings = [v for v in values if isinstance(v, str)]
        if len(strings) != len(values):
            return None
        found.append(Deviation(*strings))
    return tuple(found)


def ingest_item(item: Any) -> Served | Refusal:
    """An item of another registry's list, change feed or dump, as it will be stored."""
    inner = item.get(wire.SERVER) if isinstance(item, dict) else None
    meta = item.get(wire.META) if inner is not None else None
    official = _member(meta, wire.OFFICIAL_META)
    ours = _member(meta, wire.REGISTRUM_META)
    taken = ingest(inner if isinstance(inner, dict) else item, _recorded(ours))
    if isinstance(taken, Refusal):
        return taken
    status = official.get(wire.STATUS)
    message = official.get(wire.STATUS_MESSAGE)
    is_latest = official.get(wire.IS_LATEST)
    return Served(
        document=taken,
        status=Status(status) if status in _STATUSES else Status.ACTIVE,
        status_message=message if isinstance(message, str) else None,
        published_at=wire.parse_time(official.get(wire.PUBLISHED_AT)),
        status_changed_at=wire.parse_time(official.get(wire.STATUS_CHANGED_AT)),
        updated_at=wire.parse_time(official.get(wire.UPDATED_AT)),
        is_latest=is_latest if isinstance(is_latest, bool) else None,
        server_id=_uuid(ours.get(wire.SERVER_ID)),
        version_id=_uuid(ours.get(wire.VERSION_ID)),
        previous_names=_names(ours.get(wire.PREVIOUS_NAMES)),
    )


def deviations_json(deviations: Iterable[Deviation]) -> str | None:
    """The stored (and served) form: a JSON array of {rule, path, message}, or None."""
    items = [{"rule": d.rule, "path": d.path, "message": d.message} for d in deviations]
    return orjson.dumps(items).decode() if items else None


def count_deviations(counts: Counter[str], deviations: Iterable[Deviation]) -> None:
    """Add one to ``counts`` for each rule a document breaks (once per document)."""
    counts.update({d.key for d in deviations})


def count_stored(counts: Counter[str], stored: str | None) -> None:
    """``count_deviations`` for deviations in their stored form (``deviations_json``)."""
    if stored is None:
        return
    items = orjson.loads(stored)
    count_deviations(counts, (Deviation(i["rule"], i["path"], i["message"]) for i in items))
