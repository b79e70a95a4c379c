"""Request bodies: JSON, read with the registry's checks."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from registrum.core.errors import InvalidInputError, Problem, UnsupportedMediaTypeError
from registrum.core.validation import MAX_DEPTH, parse_json, too_deep

# What `curl -d` and other plain HTTP tools send when nobody sets a Content-Type: read as JSON
# too, so the first publish a user types by hand works. Anything else that names a format
# (XML, multipart, ...) is refused with 415.
_LENIENT_TYPES = ("", "application/json", "application/x-www-form-urlencoded", "text/plain")


def is_json_media_type(content_type: str) -> bool:
    """JSON (``application/json``, any ``+json``), or no declared format at all."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _LENIENT_TYPES or media.endswith("+json")


async def read_json(request: Request) -> Any:
    content_type = request.headers.get("content-type", "")
    if not is_json_media_type(content_type):
        raise UnsupportedMediaTypeError(
            f"unsupported Content-Type {content_type!r}: send the body as application/json",
            [Problem("", "the body must be JSON (Content-Type: application/json)")],
        )
    body = await request.body()
    if not body.strip():
        raise InvalidInputError(
            "request body is empty: send a JSON object",
            [Problem("", "expected a JSON object")],
        )
    value = parse_json(body)
    where = too_deep(value)
    if where is not None:
        raise InvalidInputError(
            f"the body is nested too deeply: at most {MAX_DEPTH} levels of arrays and objects",
            [Problem(where, f"nested more than {MAX_DEPTH} levels deep")],
        )
    return value
