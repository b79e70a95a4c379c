"""Errors to RFC 9457 problem JSON, in one place.

The shape is the one the official registry's framework (huma) emits: ``title``, ``status``,
``detail`` and, when there is something to point at, ``errors[]`` of
``{message, location, value}``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from registrum.api.request_state import note_reason
from registrum.core.errors import (
    AuthenticationError,
    BadUpstreamError,
    ClientBusyError,
    ConflictError,
    DocumentInvalidError,
    GoneError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RegistrumError,
    StateConflictError,
    UnavailableError,
    UnsupportedMediaTypeError,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("registrum.api")

_STATUS_OF: list[tuple[type[RegistrumError], int]] = [
    # First match wins: a subclass with its own status comes before its base.
    (UnsupportedMediaTypeError, 415),
    # A server.json that fails validation is 422, as the official registry's framework answers
    # a body that breaks its schema; the official publisher then asks /validate for details.
    (DocumentInvalidError, 422),
    (InvalidInputError, 400),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (StateConflictError, 409),
    (GoneError, 410),
    # The official registry answers 400 for duplicates, the version cap and no-op changes.
    (ConflictError, 400),
    (UnavailableError, 503),
    (BadUpstreamError, 502),
    (ClientBusyError, 429),
]


def status_for(exc: RegistrumError) -> int:
    for kind, status in _STATUS_OF:
        if isinstance(exc, kind):
            return status
    return 500


# Titles as the official registry (Go's net/http) words them; Python's own phrases change
# between versions (3.13 says "Content Too Large" and "Unprocessable Content").
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    502: "Bad Gateway",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def title_for(status: int) -> str:
    return _TITLES.get(status) or HTTPStatus(status).phrase


def problem_response(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    type_uri: str | None = None,
) -> Response:
    body: dict[str, Any] = {"type": type_uri} if type_uri else {}
    body |= {
        "title": title_for(status),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def problem_errors(problems: tuple[Problem, ...], prefix: str) -> list[dict[str, Any]]:
    out = []
    for p in problems:
        item: dict[str, Any] = {"message": p.message, "location": p.location(prefix)}
        if p.value is not None:
            item["value"] = p.value
        out.append(item)
    return out


def _registrum_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegistrumError)
    note_reason(type(exc).__name__)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    return problem_response(status, exc.detail, problem_errors(exc.problems, exc.where), headers)


_PYDANTIC_MESSAGES = {
    "int_parsing": "expected integer",
    "int_type": "expected integer",
    "bool_parsing": "expected boolean",
    "bool_type": "expected boolean",
    "missing": "required",
    "string_type": "expected string",
}


def _validation_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "less_than_equal":
        return f"expected number <= {ctx.get('le')}"
    if kind == "greater_than_equal":
        return f"expected number >= {ctx.get('ge')}"
    return _PYDANTIC_MESSAGES.get(kind, str(err.get("msg", "invalid value")))


def _request_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    note_reason("RequestValidationError")
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        item: dict[str, Any] = {"message": _validation_message(err), "location": ".".join(loc)}
        value = err.get("input")
        if isinstance(value, str | int | float | bool):
            item["value"] = value
        errors.append(item)
    return problem_response(422, "validation failed", errors)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}: see /docs for the API"
    if exc.status_code == 405:
        detail = f"method {request.method} is not allowed on {request.url.path}"
    return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}))


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, "Internal server error: the error was logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RegistrumError, _registrum_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
