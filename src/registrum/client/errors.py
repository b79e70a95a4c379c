"""Errors the client raises: one tree, rooted at :class:`RegistryError`.

::

    RegistryError                  anything the client library raises on purpose
    ├── TransportError             the registry could not be reached (DNS, refused, timeout, TLS)
    ├── ResponseError              the registry answered with an error; carries its problem JSON
    │   ├── InvalidRequestError    400, 413, 415, 422: the request or document is wrong;
    │   │                          ``.problems`` lists each ``errors[]`` entry
    │   ├── UnauthorizedError      401: no token, or an expired, forged or foreign one
    │   ├── ForbiddenError         403: the token does not grant this name, or it is blocked
    │   ├── NotFoundError          404: no such server or version (or the route is absent)
    │   ├── ConflictError          409: the name is taken or held, the offer already used
    │   ├── GoneError              410: the transfer offer expired
    │   ├── ServerError            5xx: the registry failed; retrying later may help
    │   └── UnexpectedResponseError  any other status, or a body that is not what the API says
    ├── LoginError                 a login step outside the registry failed (GitHub device
    │                              flow refused or expired, no GitHub Actions token)
    └── SigningKeyError            a private key cannot be read, or is of an unsupported kind

Every :class:`ResponseError` has ``status``, ``problem`` (the decoded RFC 9457 problem JSON,
or the start of the body when it was not JSON), ``title``, ``detail`` and ``problems``.
``str(error)`` is a one-line message fit to show a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One ``errors[]`` entry of a problem document: what is wrong, where, with what value."""

    message: str
    location: str | None = None
    value: Any = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class RegistryError(Exception):
    """A registry answered with an error, could not be reached, or a login step failed."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        problem: Any = None,
        *,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problem = problem
        self.url = url

    @property
    def title(self) -> str | None:
        value = self.problem.get("title") if isinstance(self.problem, dict) else None
        return value if isinstance(value, str) else None

    @property
    def detail(self) -> str:
        """The registry's own words: the problem's ``detail`` (or the generic OpenAPI shape's
        ``error``), else the message."""
        if isinstance(self.problem, dict):
            for key in ("detail", "error", "message"):
                value = self.problem.get(key)
                if isinstance(value, str) and value:
                    return value
        return self.message

    @property
    def problems(self) -> list[ErrorDetail]:
        """Each ``errors[]`` entry of the problem JSON (empty when there are none)."""
        entries = self.problem.get("errors") if isinstance(self.problem, dict) else None
        if not isinstance(entries, list):
            return []
        out = []
        for entry in entries:
            if isinstance(entry, dict):
                location = entry.get("location")
                out.append(
                    ErrorDetail(
                        str(entry.get("message", "")),
                        location if isinstance(location, str) else None,
                        entry.get("value"),
                    )
                )
            elif isinstance(entry, str):
                out.append(ErrorDetail(entry))
        return out


class TransportError(RegistryError):
    """The registry could not be reached, or the connection broke before an answer came."""


class ResponseError(RegistryError):
    """The registry answered with an error status; ``problem`` holds what it said."""


class InvalidRequestError(ResponseError):
    """400, 413, 415 or 422: the request or the document is wrong (see ``problems``)."""


class UnauthorizedError(ResponseError):
    """401: no registry token, or one that is expired, forged or from another registry."""


class ForbiddenError(ResponseError):
    """403: the token is valid but does not grant this action on this name."""


class NotFoundError(ResponseError):
    """404: no such server or version, or the registry does not serve this route."""


class ConflictError(ResponseError):
    """409 (Registrum's extensions): the new name is taken or held for another server, a
    transfer offer was already accepted, or the server is mirrored and read-only here."""


class GoneError(ResponseError):
    """410 (Registrum's extensions): the transfer offer expired; ask for a new one."""


class ServerError(ResponseError):
    """5xx: the registry failed; the request may succeed later."""


class UnexpectedResponseError(ResponseError):
    """A status the API does not use here, or a body that is not what the API promises."""


class LoginError(RegistryError):
    """A login step outside the registry failed (GitHub device flow, GitHub Actions token)."""


class SigningKeyError(RegistryError):
    """A private key cannot be read or is not an Ed25519 or ECDSA P-384 key."""


_BY_STATUS: dict[int, type[ResponseError]] = {
    400: InvalidRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    413: InvalidRequestError,
    415: InvalidRequestError,
    422: InvalidRequestError,
}


def error_class(status: int) -> type[ResponseError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return UnexpectedResponseError


def response_error(
    status: int, problem: Any, *, url: str | None = None, reason: str = ""
) -> ResponseError:
    """The typed error for an error answer, with a one-line message."""
    probe = RegistryError("", status, problem)
    head = f"{status} {probe.title or reason}".strip()
    said = probe.detail
    if isinstance(problem, str):
        said = " ".join(problem.split())[:200]
    message = f"the registry answered {head}" + (f": {said}" if said else "")
    return error_class(status)(message, status, problem, url=url)
