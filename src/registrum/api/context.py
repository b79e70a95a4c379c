"""What the routes need, handed to the app by the composition root."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Final
from urllib.parse import unquote

from fastapi import Depends, Header, Request

from registrum.core.errors import AuthenticationError, InvalidInputError
from registrum.core.permissions import Principal
from registrum.services.importing import ImportService
from registrum.services.moderation import ModerationService
from registrum.services.publish import PublishService
from registrum.services.query import QueryService
from registrum.services.tokens import TokenService


@dataclass(frozen=True)
class BuildInfo:
    version: str = "dev"
    git_commit: str = "unknown"
    build_time: str = "unknown"


@dataclass(frozen=True)
class ApiContext:
    query: QueryService
    publish: PublishService
    moderation: ModerationService
    tokens: TokenService
    importer: ImportService
    anonymous_auth: bool = False
    github_client_id: str = ""
    build: BuildInfo = field(default_factory=BuildInfo)
    max_body_bytes: int = 1024 * 1024


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


Context = Annotated[ApiContext, Depends(context)]

_BAD_ESCAPE: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BEARER: Final = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)


def decode_segment(raw: str, what: str) -> str:
    """Decode one URL path segment strictly: a broken escape or bad UTF-8 is a 400."""
    label = "server name" if what == "serverName" else what
    if _BAD_ESCAPE.search(raw):
        raise InvalidInputError(f"Invalid {label} encoding")
    try:
        value = unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"Invalid {label} encoding") from exc
    if any(ord(c) < 32 for c in value):
        raise InvalidInputError(f"Invalid {label} encoding: control characters are not allowed")
    return value


def principal(ctx: Context, authorization: Annotated[str | None, Header()] = None) -> Principal:
    if not authorization:
        raise AuthenticationError(
            "Authorization header is required: send 'Authorization: Bearer <registry token>'"
        )
    match = _BEARER.match(authorization)
    if match is None:
        raise AuthenticationError("Invalid Authorization header format. Expected 'Bearer <token>'")
    return ctx.tokens.verify(match.group(1))


Caller = Annotated[Principal, Depends(principal)]
