"""The ``server.json`` model, schema 2025-12-11, every field and nested type.

Field order follows the official registry's Go structs, so that the canonical text we store
serialises members in the same order the official registry returns them.

The models enforce the JSON Schema's shapes (types, lengths, patterns, enums). Rules that
depend on other fields (a positional argument needs ``valueHint`` or ``value``, an HTTP
transport needs ``url``) and the official semantic rules live in :mod:`registrum.core.validation`,
which reports every problem at once.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

_URI_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


def _check_uri(value: str) -> str:
    if not _URI_RE.match(value):
        raise ValueError("must be an absolute URI, for example 'https://example.com/path'")
    return value


Uri = Annotated[str, AfterValidator(_check_uri)]
HttpUrlTemplate = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]


class _Model(BaseModel):
    # strict: JSON types are not coerced ("true" is not a boolean).
    # extra="ignore": unknown members are dropped, as the official registry drops them when it
    # re-marshals its Go structs; the validator warns about them.
    # Members are read by their wire (camelCase) names only: a snake_case spelling such as
    # 'registry_type' is an unknown member, as it is to the JSON Schema, not an alias.
    model_config = ConfigDict(
        strict=True, extra="ignore", validate_by_name=False, validate_by_alias=True, frozen=True
    )


class Input(_Model):
    description: str | None = None
    is_required: bool | None = Field(default=None, alias="isRequired")
    format: Literal["string", "number", "boolean", "filepath"] | None = None
    value: str | None = None
    is_secret: bool | None = Field(default=None, alias="isSecret")
    default: str | None = None
    placeholder: str | None = None
    choices: list[str] | None = None


class InputWithVariables(Input):
    variables: dict[str, Input] | None = None


class KeyValueInput(InputWithVariables):
    name: str


class Argument(InputWithVariables):
    """A positional or named argument; the members that each kind requires are checked in
    validation so that every problem is reported with its own path."""

    type: Literal["positional", "named"]
    name: str | None = None
    value_hint: str | None = Field(default=None, alias="valueHint")
    is_repeated: bool | None = Field(default=None, alias="isRepeated")


class LocalTransport(_Model):
    type: Literal["stdio", "streamable-http", "sse"]
    url: HttpUrlTemplate | None = None
    headers: list[KeyValueInput] | None = None


class RemoteTransport(_Model):
    type: Literal["streamable-http", "sse"]
    url: HttpUrlTemplate
    headers: list[KeyValueInput] | None = None
    variables: dict[str, Input] | None = None


class Repository(_Model):
    url: Uri
    source: str
    id: str | None = None
    subfolder: str | None = None


class Icon(_Model):
    src: Annotated[Uri, StringConstraints(max_length=255)]
    mime_type: (
        Literal["image/png", "image/jpeg", "image/jpg", "image/svg+xml", "image/webp"] | None
    ) = Field(default=None, alias="mimeType")
    sizes: list[Annotated[str, StringConstraints(pattern=r"^(\d+x\d+|any)$")]] | None = None
    theme: Literal["light", "dark"] | None = None


class Package(_Model):
    registry_type: str = Field(alias="registryType")
    registry_base_url: Uri | None = Field(default=None, alias="registryBaseUrl")
    identifier: str
    version: Annotated[str, StringConstraints(min_length=1)] | None = None
    file_sha256: Annotated[str, StringConstraints(pattern=r"^[a-f0-9]{64}$")] | None = Field(
        default=None, alias="fileSha256"
    )
    runtime_hint: str | None = Field(default=None, alias="runtimeHint")
    transport: LocalTransport
    runtime_arguments: list[Argument] | None = Field(default=None, alias="runtimeArguments")
    package_arguments: list[Argument] | None = Field(default=None, alias="packageArguments")
    environment_variables: list[KeyValueInput] | None = Field(
        default=None, alias="environmentVariables"
    )


class ServerDetail(_Model):
    schema_url: Uri | None = Field(default=None, alias="$schema")
    name: Annotated[
        str,
        StringConstraints(
            min_length=3, max_length=200, pattern=r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$"
        ),
    ]
    description: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    title: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    repository: Repository | None = None
    version: Annotated[str, StringConstraints(max_length=255)]
    website_url: Uri | None = Field(default=None, alias="websiteUrl")
    icons: list[Icon] | None = None
    packages: list[Package] | None = None
    remotes: list[RemoteTransport] | None = None
    meta: dict[str, Any] | None = Field(default=None, alias="_meta")

    def canonical(self) -> dict[str, Any]:
        """The document as stored: members the publisher gave, in model order, unknowns gone."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)
