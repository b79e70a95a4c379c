"""One typed error tree for the whole registry.

    RegistrumError
    ├── InvalidInputError            a request or document is malformed (400)
    │   ├── DocumentInvalidError     server.json failed validation; carries every problem
    │   ├── UnsupportedMediaTypeError  the body is sent as something other than JSON (415)
    │   └── PackageOwnershipError    a package is missing upstream, or does not name the
    │                                server; carries one problem per package
    ├── AuthenticationError          no or bad credentials (401)
    ├── PermissionDeniedError        credentials lack the permission (403)
    ├── NotFoundError                the server or version does not exist (404)
    ├── ConflictError                the change contradicts stored state (400 on the wire,
    │   │                            as the official registry answers)
    │   ├── DuplicateVersionError
    │   ├── VersionLimitError
    │   ├── RemoteUrlTakenError
    │   └── NoChangeError
    ├── UnavailableError             a dependency is down; retry later (503)
    │   ├── UpstreamUnavailableError   a package registry answered 429/5xx or not at all
    │   └── BusyError                this registry has as much of that work in progress
    │                                as it takes
    ├── ClientBusyError              this client has as much in progress as one may (429)
    └── BadUpstreamError             a package registry answered something unusable, such
                                     as an oversized or malformed document (502)

The API maps these to status codes and problem JSON in one place (``api/problems.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located by a JSON path (``packages[0].version``)."""

    path: str
    message: str
    value: Any = None
    severity: str = "error"
    # What kind of check found it ("json", "schema" or "semantic") and which rule, as the
    # official registry's validation results name them (publishers print both).
    kind: str = "semantic"
    rule: str = ""

    def location(self, prefix: str = "body") -> str:
        if not self.path:
            return prefix
        sep = "" if self.path.startswith("[") else "."
        return f"{prefix}{sep}{self.path}"


class RegistrumError(Exception):
    """Base of every error the registry raises on purpose.

    ``where`` names the part of the request the problems' paths are in: ``body`` (the
    default), ``query``, ``path`` or ``header``.
    """

    def __init__(
        self, detail: str, problems: Sequence[Problem] = (), *, where: str = "body"
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.where = where


class InvalidInputError(RegistrumError):
    """The input is malformed: wrong type, bad encoding, out of range."""


class DocumentInvalidError(InvalidInputError):
    """A server.json document failed validation; ``problems`` lists every problem found."""


class UnsupportedMediaTypeError(InvalidInputError):
    """The body's Content-Type is not JSON."""


class AuthenticationError(RegistrumError):
    """Missing, malformed, expired or forged credentials."""


class PermissionDeniedError(RegistrumError):
    """Valid credentials that do not grant the action on the resource."""


class NotFoundError(RegistrumError):
    """The named server or version does not exist (or is hidden)."""


class ConflictError(RegistrumError):
    """The requested change contradicts what is stored."""


class StateConflictError(ConflictError):
    """A conflict on an extension endpoint (a name taken or held, an offer already used),
    answered 409 as HTTP means it; the official paths keep the official registry's 400s."""


class GoneError(RegistrumError):
    """The thing asked for existed but is no longer usable (an expired transfer offer)."""


class DuplicateVersionError(ConflictError):
    """The (name, version) pair is already published, in any status."""


class VersionLimitError(ConflictError):
    """The server already has the maximum number of versions."""


class RemoteUrlTakenError(ConflictError):
    """A remote URL is already used by another live server."""


class NoChangeError(ConflictError):
    """The requested status change would change nothing."""


class PackageOwnershipError(InvalidInputError):
    """A package named by a document cannot be shown to belong to the server: the package
    or version is missing upstream, its marker is missing or names another server, or the
    package entry breaks its registry type's rules."""


class UnavailableError(RegistrumError):
    """A dependency is temporarily unavailable; the request may be retried."""

    def __init__(
        self,
        detail: str,
        problems: Sequence[Problem] = (),
        *,
        where: str = "body",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail, problems, where=where)
        # Seconds the client should wait before retrying, when the dependency said so.
        self.retry_after = retry_after


class BusyError(UnavailableError):
    """Every slot for this kind of work (logins, package checks) is taken; retry shortly."""


class ClientBusyError(RegistrumError):
    """The caller already has as many calls of this kind in flight as one client may."""

    def __init__(self, detail: str, problems: Sequence[Problem] = (), *, retry_after: int) -> None:
        super().__init__(detail, problems, where="body")
        self.retry_after = retry_after


class UpstreamUnavailableError(UnavailableError):
    """A package registry was rate limiting, failing (5xx), slow or unreachable."""


class BadUpstreamError(RegistrumError):
    """A package registry answered, but with something that cannot be used (larger than
    the configured cap, not the JSON its API promises). Retrying will not help; the
    operator may need to raise a limit or fix the upstream's configuration."""


class UpstreamSyncError(RegistrumError):
    """A mirrored registry could not be read (unreachable, an error answer, or something that
    is not a registry's answer); the sync stops at its last checkpoint and can be resumed."""
