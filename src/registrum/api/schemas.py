"""Wire schemas for the OpenAPI document. Responses are built as bytes (see core/wire.py);
these models only describe them, so the documentation and the wire stay in step."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from registrum.core import wire
from registrum.core.server_json import ServerDetail


class _Doc(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class OfficialMeta(_Doc):
    model_config = ConfigDict(extra="forbid")
    status: Literal["active", "deprecated", "deleted"]
    status_message: str | None = Field(default=None, max_length=500, alias=wire.STATUS_MESSAGE)
    status_changed_at: datetime = Field(alias=wire.STATUS_CHANGED_AT)
    published_at: datetime = Field(alias=wire.PUBLISHED_AT)
    updated_at: datetime = Field(alias=wire.UPDATED_AT)
    is_latest: bool = Field(alias=wire.IS_LATEST)


class Deviation(_Doc):
    rule: str
    path: str
    message: str


class RegistrumMeta(_Doc):
    server_id: str = Field(
        alias=wire.SERVER_ID, description="Stable id of the server; survives updates and renames"
    )
    version_id: str = Field(alias=wire.VERSION_ID, description="Stable id of this version")
    seq: int | None = Field(default=None, description="The seq of this version's last change")
    previous_names: list[str] | None = Field(
        default=None, alias=wire.PREVIOUS_NAMES, description="Names the server had before"
    )
    source: dict[str, Any] | None = Field(
        default=None, description="Where a mirrored version comes from (upstream, url, ...)"
    )
    warnings: list[Deviation] | None = Field(
        default=None,
        description="Rules of today's publish that this imported or mirrored version breaks "
        "(it is kept as its origin served it)",
    )


class ResponseMeta(_Doc):
    model_config = ConfigDict(extra="allow")
    official: OfficialMeta = Field(alias=wire.OFFICIAL_META)
    registrum: RegistrumMeta | None = Field(default=None, alias=wire.REGISTRUM_META)


class ServerResponse(_Doc):
    server: ServerDetail
    meta: ResponseMeta | None = Field(default=None, alias="_meta")


class ListMetadata(_Doc):
    next_cursor: str | None = Field(default=None, alias=wire.NEXT_CURSOR)
    count: int


class ServerList(_Doc):
    servers: list[ServerResponse]
    metadata: ListMetadata | None = None


class AllVersionsStatusResponse(_Doc):
    updated_count: int = Field(alias=wire.UPDATED_COUNT)
    servers: list[ServerResponse]


class StatusUpdateRequest(_Doc):
    status: Literal["active", "deprecated", "deleted"]
    status_message: str | None = Field(default=None, max_length=500, alias=wire.STATUS_MESSAGE)


class TokenResponse(_Doc):
    registry_token: str
    expires_at: int = Field(description="Unix time in seconds")


class HealthResponse(_Doc):
    status: str
    github_client_id: str | None = None


class PingResponse(_Doc):
    pong: bool


class VersionResponse(_Doc):
    version: str
    git_commit: str
    build_time: str


class ValidationIssue(_Doc):
    type: Literal["json", "schema", "semantic", "linter"]
    path: str = Field(description="JSON path of the member at fault, e.g. packages[0].version")
    message: str
    severity: Literal["error", "warning", "info"]
    reference: str = Field(description="the rule that found the issue")


class ValidationResult(_Doc):
    valid: bool
    issues: list[ValidationIssue]


class ErrorDetail(_Doc):
    message: str
    location: str | None = None
    value: object | None = None


class ErrorModel(_Doc):
    title: str
    status: int
    detail: str
    errors: list[ErrorDetail] | None = None


DOCUMENTED: tuple[type[BaseModel], ...] = (
    ServerList,
    ServerResponse,
    AllVersionsStatusResponse,
    StatusUpdateRequest,
    TokenResponse,
    HealthResponse,
    PingResponse,
    VersionResponse,
    ErrorModel,
    ServerDetail,
    ValidationResult,
)
