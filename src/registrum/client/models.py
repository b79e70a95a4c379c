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
from typing import Any

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
