"""What the client returns: small typed views over the registry's JSON.

Every view keeps the JSON it came from (``raw`` / ``server`` / ``meta``), so members another
registry adds are never lost; the typed attributes are read leniently, because the client talks
to any compliant registry and not only to Registrum.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from registrum.core import wire


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp, or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class OfficialMeta:
    """The registry's metadata about one version (``_meta[...official]``)."""

    status: str
    status_message: str | None
    status_changed_at: datetime | None
    published_at: datetime | None
    updated_at: datetime | None
    is_latest: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OfficialMeta:
        return cls(
            status=_str(data.get(wire.STATUS)) or "active",
            status_message=_str(data.get(wire.STATUS_MESSAGE)),
            status_changed_at=parse_time(data.get(wire.STATUS_CHANGED_AT)),
            published_at=parse_time(data.get(wire.PUBLISHED_AT)),
            updated_at=parse_time(data.get(wire.UPDATED_AT)),
            is_latest=data.get(wire.IS_LATEST) is True,
        )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class RegistryMeta:
    """Registrum's own metadata about one version (``_meta["io.registrum/registry"]``): the
    server's stable id, the version's id, the change-log ``seq`` of its last change and the
    server's earlier names. Other registries do not send it."""

    server_id: str | None
    version_id: str | None
    seq: int | None
    previous_names: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RegistryMeta:
        names = data.get(wire.PREVIOUS_NAMES)
        return cls(
            server_id=_str(data.get(wire.SERVER_ID)) or None,
            version_id=_str(data.get(wire.VERSION_ID)) or None,
            seq=_int(data.get(wire.SEQ)),
            previous_names=tuple(n for n in names if isinstance(n, str))
            if isinstance(names, list)
            else (),
        )


@dataclass(frozen=True, slots=True)
class ServerItem:
    """One server version as a registry returns it (a ``ServerResponse``)."""

    server: dict[str, Any]
    """The server.json document, exactly as the registry returned it."""
    meta: dict[str, Any] = field(default_factory=dict)
    """The response-level ``_meta``: the official block and any registry's own keys."""

    @property
    def name(self) -> str:
        return _str(self.server.get("name")) or ""

    @property
    def version(self) -> str:
        return _str(self.server.get("version")) or ""

    @property
    def official(self) -> OfficialMeta | None:
        block = self.meta.get(wire.OFFICIAL_META)
        return OfficialMeta.from_json(block) if isinstance(block, dict) else None

    @property
    def status(self) -> str | None:
        official = self.official
        return official.status if official else None

    @property
    def is_latest(self) -> bool:
        official = self.official
        return bool(official and official.is_latest)

    @property
    def registry_meta(self) -> RegistryMeta | None:
        """Registrum's ids and ``seq``; None from a registry that does not send them."""
        block = self.meta.get(wire.REGISTRUM_META)
        return RegistryMeta.from_json(block) if isinstance(block, dict) else None

    @property
    def server_id(self) -> str | None:
        """The server's stable id (unchanged by new versions and renames), when sent."""
        meta = self.registry_meta
        return meta.server_id if meta else None

    @property
    def version_id(self) -> str | None:
        meta = self.registry_meta
        return meta.version_id if meta else None

    @property
    def seq(self) -> int | None:
        """The change-log seq of this version's last change, when sent."""
        meta = self.registry_meta
        return meta.seq if meta else None

    @property
    def previous_names(self) -> tuple[str, ...]:
        """The server's earlier names, oldest first (empty when none or not sent)."""
        meta = self.registry_meta
        return meta.previous_names if meta else ()

    @classmethod
    def from_json(cls, data: Any) -> ServerItem:
        if not isinstance(data, dict) or not isinstance(data.get(wire.SERVER), dict):
            raise ValueError("expected a ServerResponse object with a 'server' member")
        meta = data.get(wire.META)
        return cls(data[wire.SERVER], meta if isinstance(meta, dict) else {})


@dataclass(frozen=True, slots=True)
class ServerPage:
    """One page of ``GET /servers`` (or the whole answer of ``/versions``)."""

    items: list[ServerItem]
    next_cursor: str | None = None
    count: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> ServerPage:
        if not isinstance(data, dict) or not isinstance(data.get(wire.SERVERS), list):
            raise ValueError("expected a ServerList object with a 'servers' array")
        metadata = data.get(wire.METADATA)
        metadata = metadata if isinstance(metadata, dict) else {}
        count = metadata.get(wire.COUNT)
        return cls(
            [ServerItem.from_json(item) for item in data[wire.SERVERS]],
            _str(metadata.get(wire.NEXT_CURSOR)) or None,
            count if isinstance(count, int) and not isinstance(count, bool) else None,
        )


@dataclass(frozen=True, slots=True)
class RawServerPage:
    """One page of ``GET /servers`` with its items as the registry sent them: decoded JSON,
    not read into :class:`ServerItem`. A mirror keeps every item whole, including one no
    model would read, and decides itself what it cannot store."""

    items: list[Any]
    next_cursor: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> RawServerPage:
        if not isinstance(data, dict) or not isinstance(data.get(wire.SERVERS), list):
            raise ValueError("expected a ServerList object with a 'servers' array")
        metadata = data.get(wire.METADATA)
        metadata = metadata if isinstance(metadata, dict) else {}
        return cls(data[wire.SERVERS], _str(metadata.get(wire.NEXT_CURSOR)) or None)


@dataclass(frozen=True, slots=True)
class StatusResult:
    """The answer to a status change of every version of a server."""

    updated_count: int
    servers: list[ServerItem]

    @classmethod
    def from_json(cls, data: Any) -> StatusResult:
        if not isinstance(data, dict) or not isinstance(data.get(wire.SERVERS), list):
            raise ValueError("expected an object with 'updatedCount' and a 'servers' array")
        count = data.get(wire.UPDATED_COUNT)
        return cls(
            count if isinstance(count, int) else 0,
            [ServerItem.from_json(item) for item in data[wire.SERVERS]],
        )


@dataclass(frozen=True, slots=True)
class Permission:
    action: str
    resource: str


@dataclass(frozen=True, slots=True)
class Token:
    """A registry token from a login, with when it expires (Unix seconds)."""

    registry_token: str
    expires_at: int

    @classmethod
    def from_json(cls, data: Any) -> Token:
        if not isinstance(data, dict):
            raise ValueError("expected a token object")
        token, expires = data.get(wire.REGISTRY_TOKEN), data.get(wire.EXPIRES_AT)
        if not isinstance(token, str) or not token:
            raise ValueError(f"expected a '{wire.REGISTRY_TOKEN}' string")
        if not isinstance(expires, int) or isinstance(expires, bool):
            raise ValueError(f"expected an '{wire.EXPIRES_AT}' number")
        return cls(token, expires)

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    @property
    def claims(self) -> dict[str, Any]:
        """The token's claims, read WITHOUT checking the signature: for display only; the
        registry is what checks the token."""
        return token_claims(self.registry_token)

    @property
    def permissions(self) -> list[Permission]:
        out = []
        for p in self.claims.get("permissions") or []:
            if isinstance(p, dict) and isinstance(p.get("resource"), str):
                out.append(Permission(str(p.get("action", "")), p["resource"]))
        return out


def token_claims(jwt: str) -> dict[str, Any]:
    """The payload of a JWT, unverified; empty when it is not a readable JWT."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass(frozen=True, slots=True)
class Health:
    """``GET /health``: the status and, when the registry offers GitHub login, its OAuth
    client id."""

    status: str
    github_client_id: str | None
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: Any) -> Health:
        if not isinstance(data, dict):
            raise ValueError("expected a health object")
        return cls(_str(data.get("status")) or "", _str(data.get("github_client_id")) or None, data)


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    type: str
    path: str
    message: str
    severity: str
    reference: str

    def __str__(self) -> str:
        return f"{self.path or '(document)'}: {self.message}"


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """``POST /validate``: whether the document would be accepted, and every issue."""

    valid: bool
    issues: list[ValidationIssue]

    @classmethod
    def from_json(cls, data: Any) -> ValidationResult:
        if not isinstance(data, dict) or not isinstance(data.get("valid"), bool):
            raise ValueError("expected a ValidationResult object with 'valid'")
        issues = []
        for issue in data.get("issues") or []:
            if isinstance(issue, dict):
                issues.append(
                    ValidationIssue(
                        _str(issue.get("type")) or "",
                        _str(issue.get("path")) or "",
                        _str(issue.get("message")) or "",
                        _str(issue.get("severity")) or "error",
                        _str(issue.get("reference")) or "",
                    )
                )
        return cls(data["valid"], issues)


# Members of the change feed that core/wire.py spells only inline (in ``change_entry``).
PREVIOUS_NAME: Final = wire.PREVIOUS_NAME
OFFER_ID: Final = wire.OFFER_ID


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the change feed (``GET /x/io.registrum/changes``).

    ``name`` and ``version`` are as they were when the change was made; ``server`` is the
    version as it is now (None for server-level kinds such as ``transfer-offered``). Kinds the
    client does not know are kept as they are: a reader skips what it does not understand.
    """

    seq: int
    kind: str
    at: datetime | None
    server_id: str
    version_id: str | None
    name: str
    version: str | None
    server: ServerItem | None
    tombstone: bool = False
    previous_name: str | None = None
    """``renamed``: the name before."""
    new_name: str | None = None
    """``transfer-offered``: the name offered."""
    offer_id: str | None = None
    expires_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Change:
        if not isinstance(data, dict):
            raise ValueError("expected a change object")
        seq = _int(data.get(wire.SEQ))
        if seq is None:
            raise ValueError(f"expected a change with a '{wire.SEQ}' number")
        server = data.get(wire.SERVER)
        return cls(
            seq=seq,
            kind=_str(data.get(wire.KIND)) or "",
            at=parse_time(data.get(wire.AT)),
            server_id=_str(data.get(wire.SERVER_ID)) or "",
            version_id=_str(data.get(wire.VERSION_ID)) or None,
            name=_str(data.get(wire.NAME)) or "",
            version=_str(data.get(wire.VERSION)) or None,
            server=ServerItem.from_json(server) if isinstance(server, dict) else None,
            tombstone=data.get(wire.TOMBSTONE) is True,
            previous_name=_str(data.get(PREVIOUS_NAME)) or None,
            new_name=_str(data.get(wire.NEW_NAME)) or None,
            offer_id=_str(data.get(OFFER_ID)) or None,
            expires_at=parse_time(data.get(wire.EXPIRES_AT_CAMEL)),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class ChangePage:
    """One page of the change feed: the changes after ``since``, in ``seq`` order."""

    changes: list[Change]
    head: int
    """The newest seq when the registry answered."""
    next_since: int
    """The ``since`` of the next call."""
    count: int | None = None

    @property
    def caught_up(self) -> bool:
        return not self.changes or self.next_since >= self.head

    @classmethod
    def from_json(cls, data: Any) -> ChangePage:
        if not isinstance(data, dict) or not isinstance(data.get(wire.CHANGES), list):
            raise ValueError(f"expected a change feed object with a '{wire.CHANGES}' array")
        metadata = data.get(wire.METADATA)
        metadata = metadata if isinstance(metadata, dict) else {}
        changes = [Change.from_json(c) for c in data[wire.CHANGES]]
        last = changes[-1].seq if changes else 0
        head = _int(metadata.get(wire.HEAD))
        next_since = _int(metadata.get(wire.NEXT_SINCE))
        if next_since is None:
            if not changes:
                raise ValueError(f"expected '{wire.METADATA}.{wire.NEXT_SINCE}'")
            next_since = last
        return cls(
            changes,
            head if head is not None else max(next_since, last),
            next_since,
            _int(metadata.get(wire.COUNT)),
        )


@dataclass(frozen=True, slots=True)
class TransferOffer:
    """A standing offer to move a server to ``new_name``; the holder of that name accepts it."""

    id: str
    server_id: str
    name: str
    new_name: str
    offered_by: str | None
    created_at: datetime | None
    expires_at: datetime | None
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None

    def expired(self, now: datetime) -> bool:
        return not self.accepted and self.expires_at is not None and now >= self.expires_at

    @classmethod
    def from_json(cls, data: Any) -> TransferOffer:
        if not isinstance(data, dict):
            raise ValueError("expected a transfer offer object")
        offer_id, new_name = _str(data.get(wire.ID)), _str(data.get(wire.NEW_NAME))
        if not offer_id or not new_name:
            raise ValueError(f"expected a transfer offer with '{wire.ID}' and '{wire.NEW_NAME}'")
        return cls(
            id=offer_id,
            server_id=_str(data.get(wire.SERVER_ID)) or "",
            name=_str(data.get(wire.NAME)) or "",
            new_name=new_name,
            offered_by=_str(data.get(wire.OFFERED_BY)) or None,
            created_at=parse_time(data.get(wire.CREATED_AT)),
            expires_at=parse_time(data.get(wire.EXPIRES_AT_CAMEL)),
            accepted_at=parse_time(data.get(wire.ACCEPTED_AT)),
            accepted_by=_str(data.get(wire.ACCEPTED_BY)) or None,
            raw=data,
        )
