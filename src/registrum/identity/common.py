"""What the login methods that call out (GitHub, OIDC providers) share: reading the proof from
the request body, refusing with a reason the user can act on, and an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpx

from registrum.core.errors import AuthenticationError, InvalidInputError, Problem

EXCHANGE_FAILED: Final = "Token exchange failed"
USER_AGENT: Final = "registrum (+mcp-registry/1.0)"
MAX_TOKEN_CHARS: Final = 16 * 1024


class RefusedError(Exception):
    """The proof does not hold; ``reason`` says why, in words meant for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def refused(field: str, reason: str) -> AuthenticationError:
    """401 "Token exchange failed", as the official registry answers, with the reason attached
    to the body field that carried the proof (``errors[0].location`` = ``body.<field>``)."""
    return AuthenticationError(EXCHANGE_FAILED, [Problem(field, reason)])


def required_token(body: Any, field: str) -> str:
    """The string member ``field`` of the JSON object body: present, non-empty, printable."""
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(body, dict) or field not in body:
        raise InvalidInputError(
            f'missing \'{field}\': send a JSON object such as {{"{field}": "..."}}',
            [Problem(field, "required")],
        )
    if not isinstance(value, str):
        raise InvalidInputError(
            f"'{field}' must be a string", [Problem(field, "expected string", value)]
        )
    token = value.strip()
    if not token:
        raise InvalidInputError(f"'{field}' is empty", [Problem(field, "must not be empty")])
    if len(token) > MAX_TOKEN_CHARS or not all(33 <= ord(c) < 127 for c in token):
        raise InvalidInputError(
            f"'{field}' does not look like a token: expected printable ASCII without spaces, "
            f"at most {MAX_TOKEN_CHARS} characters",
            [Problem(field, "not a token")],
        )
    return token


@contextmanager
def http_client(
    given: httpx.Client | None, timeout: float, *, follow_redirects: bool = False
) -> Iterator[httpx.Client]:
    """The injected client, or a fresh one closed afterwards (logins are rare; a fresh client
    per exchange leaves no connections behind)."""
    if given is not None:
        yield given
        return
    with httpx.Client(
        timeout=timeout, follow_redirects=follow_redirects, headers={"User-Agent": USER_AGENT}
    ) as client:
        yield client


def describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    return str(exc) or type(exc).__name__
