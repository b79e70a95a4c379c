"""Wire names: every camelCase field and ``_meta`` key the API speaks, spelled once, here.

Responses are built from the stored server.json text without parsing it again: the stored
bytes are wrapped in :class:`orjson.Fragment` and spliced into the envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

import orjson

from registrum.core.status import Status

CURRENT_SCHEMA_URL: Final = (
    "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
)
SCHEMA_URL_PREFIX: Final = "https://static.modelcontextprotocol.io/schemas/"

OFFICIAL_META: Final = "io.modelcontextprotocol.registry/official"
PUBLISHER_META: Final = "io.modelcontextprotocol.registry/publisher-provided"
REGISTRUM_META: Final = "io.registrum/registry"
PUBLISHER_META_MAX_BYTES: Final = 4096

# ServerResponse / ServerList members.
SERVER: Final = "server"
META: Final = "_meta"
SERVERS: Final = "servers"
METADATA: Final = "metadata"
NEXT_CURSOR: Final = "nextCursor"
COUNT: Final = "count"
UPDATED_COUNT: Final = "updatedCount"

# Official registry metadata members.
STATUS: Final = "status"
STATUS_MESSAGE: Final = "statusMessage"
STATUS_CHANGED_AT: Final = "statusChangedAt"
PUBLISHED_AT: Final = "publishedAt"
UPDATED_AT: Final = "updatedAt"
IS_LATEST: Final = "isLatest"

# Registrum's own metadata members.
SERVER_ID: Final = "serverId"
VERSION_ID: Final = "versionId"
SEQ: Final = "seq"
PREVIOUS_NAMES: Final = "previousNames"
SOURCE: Final = "source"
# Members of ``source``, a mirrored version's provenance (services/mirror_merge.py); ``seq``
# and ``updatedAt`` there are the upstream's (SEQ, UPDATED_AT).
URL: Final = "url"
SYNCED_AT: Final = "syncedAt"
# Rules of today's publish that an imported or mirrored version breaks (core/ingest.py).
WARNINGS: Final = "warnings"

# The change feed and transfer offers (extension endpoints).
CHANGES: Final = "changes"
KIND: Final = "kind"
AT: Final = "at"
NAME: Final = "name"
VERSION: Final = "version"
TOMBSTONE: Final = "tombstone"
HEAD: Final = "head"
NEXT_SINCE: Final = "nextSince"
ID: Final = "id"
NEW_NAME: Final = "newName"
OFFERED_BY: Final = "offeredBy"
CREATED_AT: Final = "createdAt"
EXPIRES_AT_CAMEL: Final = "expiresAt"
PREVIOUS_NAME: Final = "previousName"
OFFER_ID: Final = "offerId"
ACCEPTED_AT: Final = "acceptedAt"
ACCEPTED_BY: Final = "acceptedBy"

# The detail a change-log entry keeps of a status change or an edit (not served by the
# feed, which shows only PREVIOUS_NAME, OFFER_ID, NEW_NAME and EXPIRES_AT_CAMEL of them).
PREVIOUS_STATUS: Final = "previousStatus"
PREVIOUS_MESSAGE: Final = "previousMessage"
PREVIOUS_BODY: Final = "previousBody"
MESSAGE: Final = "message"

# Policy explanations (the mirror's extension endpoint).
SERVED_FROM: Final = "servedFrom"
VERSIONS: Final = "versions"
UPSTREAM: Final = "upstream"
ALLOWED: Final = "allowed"
RULE: Final = "rule"
REASON: Final = "reason"
SERVED: Final = "served"
PUBLISH: Final = "publish"
RULES: Final = "rules"

# Token exchange members (snake_case on the wire, as the official registry has them).
REGISTRY_TOKEN: Final = "registry_token"  # noqa: S105 - a field name, not a secret
EXPIRES_AT: Final = "expires_at"

_DUMP_OPTIONS: Final = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


@dataclass(frozen=True, slots=True)
class VersionView:
    """What a read returns for one stored version: the stored JSON plus its registry metadata."""

    server_id: str
    version_id: str
    name: str
    version: str
    body: str  # the stored server.json text, served byte for byte
    status: Status
    status_message: str | None
    status_changed_at: datetime
    published_at: datetime
    updated_at: datetime
    is_latest: bool
    seq: int = 0  # of the last change-log entry about this version
    # The JSON members below are kept as stored and spliced into ``_meta`` unparsed, like
    # ``body``: reads never parse them, and the stored spelling is what clients have always
    # been served (earlier names written by a rename here are ``json.dumps``-spaced, those
    # taken from an upstream compact), so re-serialising them would change served bytes.
    # The server's earlier names (a JSON array of strings), or None: see ``previous_names``.
    previous_names_json: str | None = None
    source: str | None = None  # a mirrored version's provenance: a JSON object, or None
    warnings: str | None = None  # an ingested version's deviations: a JSON array, or None

    @property
    def previous_names(self) -> tuple[str, ...]:
        """The server's earlier names, oldest first (parsed on demand: writes need them,
        reads do not)."""
        if self.previous_names_json is None:
            return ()
        return tuple(orjson.loads(self.previous_names_json))


def parse_time(value: Any) -> datetime | None:
    """A wire timestamp (RFC 3339) as the naive UTC datetime storage keeps; None when it is
    missing or not one."""
    if not isinstance(value, str):
        return None
    return _parse_time(value)


@lru_cache(maxsize=4096)
def _parse_time(value: str) -> datetime | None:
    # Cached: an entry's timestamps are often the same, and a feed page's often close.
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def official_meta(view: VersionView) -> dict[str, Any]:
    meta: dict[str, Any] = {STATUS: view.status}
    if view.status_message is not None:
        meta[STATUS_MESSAGE] = view.status_message
    meta[STATUS_CHANGED_AT] = view.status_changed_at
    meta[PUBLISHED_AT] = view.published_at
    meta[UPDATED_AT] = view.updated_at
    meta[IS_LATEST] = view.is_latest
    return meta


def server_response(view: VersionView) -> dict[str, Any]:
    """The ServerResponse envelope, with the stored body spliced in unparsed."""
    return {
        SERVER: orjson.Fragment(view.body),
        META: {OFFICIAL_META: official_meta(view), REGISTRUM_META: registry_meta(view)},
    }


def registry_meta(view: VersionView) -> dict[str, Any]:
    meta: dict[str, Any] = {SERVER_ID: view.server_id, VERSION_ID: view.version_id, SEQ: view.seq}
    if view.previous_names_json is not None:
        meta[PREVIOUS_NAMES] = orjson.Fragment(view.previous_names_json)
    if view.source is not None:
        meta[SOURCE] = orjson.Fragment(view.source)
    if view.warnings is not None:
        meta[WARNINGS] = orjson.Fragment(view.warnings)
    return meta


def dumps(obj: Any) -> bytes:
    """Serialise a wire object: RFC 3339 UTC timestamps ending in ``Z``, compact."""
    return orjson.dumps(obj, option=_DUMP_OPTIONS)


def server_response_bytes(view: VersionView) -> bytes:
    return dumps(server_response(view))


def server_list_bytes(views: list[VersionView], next_cursor: str | None) -> bytes:
    metadata: dict[str, Any] = {COUNT: len(views)}
    if next_cursor:
        metadata = {NEXT_CURSOR: next_cursor, COUNT: len(views)}
    return dumps({SERVERS: [server_response(v) for v in views], METADATA: metadata})


def status_all_bytes(updated_count: int, views: list[VersionView]) -> bytes:
    return dumps({UPDATED_COUNT: updated_count, SERVERS: [server_response(v) for v in views]})


def token_bytes(token: str, expires_at: int) -> bytes:
    return dumps({REGISTRY_TOKEN: token, EXPIRES_AT: expires_at})


def change_entry(entry: Any) -> dict[str, Any]:
    """One change of the feed (``entry`` is a ``records.ChangeEntry``)."""
    out: dict[str, Any] = {
        SEQ: entry.seq,
        KIND: entry.kind,
        AT: entry.at,
        SERVER_ID: entry.server_id,
    }
    if entry.version_id is not None:
        out[VERSION_ID] = entry.version_id
    out[NAME] = entry.name
    if entry.version is not None:
        out[VERSION] = entry.version
    detail = orjson.loads(entry.detail) if entry.detail else {}
    if entry.kind == "renamed" and PREVIOUS_NAME in detail:
        out[PREVIOUS_NAME] = detail[PREVIOUS_NAME]
    if entry.kind == "transfer-offered":
        shown = (OFFER_ID, NEW_NAME, EXPIRES_AT_CAMEL)
        out.update({k: v for k, v in detail.items() if k in shown})
    if entry.view is not None:
        out[SERVER] = server_response(entry.view)
        if entry.view.status is Status.DELETED:
            out[TOMBSTONE] = True
    return out


def change_feed_bytes(entries: list[Any], head: int, next_since: int) -> bytes:
    return dumps(
        {
            CHANGES: [change_entry(e) for e in entries],
            METADATA: {COUNT: len(entries), HEAD: head, NEXT_SINCE: next_since},
        }
    )


def offer_bytes(offer: Any) -> bytes:
    """A transfer offer (``records.TransferOffer``)."""
    out: dict[str, Any] = {
        ID: offer.id,
        SERVER_ID: offer.server_id,
        NAME: offer.name,
        NEW_NAME: offer.new_name,
        OFFERED_BY: offer.offered_by,
        CREATED_AT: offer.created_at,
        EXPIRES_AT_CAMEL: offer.expires_at,
    }
    if offer.accepted_at is not None:
        out[ACCEPTED_AT] = offer.accepted_at
        out[ACCEPTED_BY] = offer.accepted_by
    return dumps(out)


def decision(decision: Any) -> dict[str, Any]:
    """A policy decision (``core.policy.Decision``)."""
    return {ALLOWED: decision.allowed, RULE: decision.rule, REASON: decision.reason}


def explanation_bytes(explanation: Any, rules: list[str]) -> bytes:
    """Why each version of a name is shown or hidden (``services.mirror.Explanation``)."""
    return dumps(
        {
            NAME: explanation.name,
            SERVED_FROM: explanation.served_from,
            PUBLISH: decision(explanation.publish),
            VERSIONS: [
                {UPSTREAM: v.upstream, VERSION: v.version, SERVED: v.served, **decision(v.decision)}
                for v in explanation.versions
            ],
            RULES: rules,
        }
    )
