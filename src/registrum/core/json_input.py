"""Decoding request bodies: JSON the registry can store, or a problem saying where and how to
fix it.

orjson decodes every body. It is strict exactly where storage must be: text is UTF-8 with no
lone UTF-16 surrogate (neither PostgreSQL's text nor any UTF-8 file can hold one, while
Python's own ``json`` module would accept one and fail later, on the way to the database),
and every number is a finite double. When it refuses a body, the lenient standard decoder
reads it again, only to find the member at fault, so the answer names it; a body neither
can read is reported where its syntax breaks.
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

from registrum.core.errors import InvalidInputError, Problem

_SURROGATES: Final = range(0xD800, 0xE000)
# What surrogateescape turns each byte that is not UTF-8 into (U+DC80..U+DCFF).
_ESCAPED_BYTES: Final = range(0xDC80, 0xDD00)

_NOT_UTF8: Final = "is not UTF-8 text: send the body encoded as UTF-8"
_LONE_SURROGATE: Final = (
    "holds a lone UTF-16 surrogate escape ({escape}), which is not text: escape a character "
    "beyond U+FFFF as a pair (\\ud83d\\ude00 is one emoji) or send it as UTF-8"
)
_HUGE_NUMBER: Final = (
    "is a number out of range ({digits}): numbers must fit a double (up to about 1.8e308); "
    "send a smaller number, or a string"
)
_NOT_A_NUMBER: Final = "is {constant}, which JSON does not have: send a number or a string"


class _Number(str):
    """A number as written, kept as text: no conversion can fail while the body is re-read."""


class _Constant(str):
    """NaN, Infinity or -Infinity, which the standard decoder accepts and JSON does not."""


def parse_json(data: bytes | str) -> Any:
    """Decode a request body, with a message that says where the JSON breaks."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _refusal(data, exc) from exc


def _refusal(data: bytes | str, exc: orjson.JSONDecodeError) -> InvalidInputError:
    bad_byte: int | None = None
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as undecodable:
            bad_byte = undecodable.start
            text = data.decode("utf-8", "surrogateescape")
    else:
        text = data
    try:
        value = json.loads(text, parse_int=_Number, parse_float=_Number, parse_constant=_Constant)
    except (ValueError, RecursionError):
        pass
    else:
        found = _first_fault(value, utf8=bad_byte is None)
        if found is not None:
            path, message = found
            where = f"member {path}" if path else "the body"
            return InvalidInputError(
                f"body is not valid JSON: {where} {message}", [Problem(path, message)]
            )
    if bad_byte is not None:
        message = f"is not UTF-8 text (byte {bad_byte} is not): send the body encoded as UTF-8"
        return InvalidInputError(
            f"body is not valid JSON: the body {message}", [Problem("", message)]
        )
    return InvalidInputError(
        f"body is not valid JSON: {exc}; send a UTF-8 JSON object",
        [Problem("", f"not valid JSON: {exc}")],
    )


def _first_fault(value: Any, *, utf8: bool) -> tuple[str, str] | None:
    """(JSON path, what is wrong and how to fix it) of the first member, in document order,
    that orjson refuses. Iterative: the value may be nested deeper than Python's recursion
    limit allows."""
    # (is a member name, the name or value, its path)
    stack: list[tuple[bool, Any, str]] = [(False, value, "")]
    while stack:
        is_name, node, path = stack.pop()
        if is_name:
            fault = _text_fault(node, utf8=utf8)
            if fault is not None:
                return path, f"has a name that {fault}"
        elif isinstance(node, dict):
            members: list[tuple[bool, Any, str]] = []
            for key, child in node.items():
                child_path = f"{path}.{_printable(key)}" if path else _printable(key)
                members += [(True, key, child_path), (False, child, child_path)]
            stack.extend(reversed(members))
        elif isinstance(node, list):
            stack.extend(reversed([(False, v, f"{path}[{i}]") for i, v in enumerate(node)]))
        elif isinstance(node, _Constant):
            return path, _NOT_A_NUMBER.format(constant=str(node))
        elif isinstance(node, _Number):
            if float(node) in (float("inf"), float("-inf")):
                digits = node if len(node) <= 24 else f"{node[:12]}... ({len(node)} characters)"
                return path, _HUGE_NUMBER.format(digits=digits)
        elif isinstance(node, str):
            fault = _text_fault(node, utf8=utf8)
            if fault is not None:
                return path, fault
    return None


def _text_fault(text: str, *, utf8: bool) -> str | None:
    for char in text:
        code = ord(char)
        if code in _SURROGATES:
            if not utf8 and code in _ESCAPED_BYTES:
                return _NOT_UTF8
            return _LONE_SURROGATE.format(escape=f"\\u{code:04x}")
    return None


def _printable(key: str) -> str:
    """A member name as it can be shown in a problem: surrogates as their escapes (a problem
    is JSON too, and orjson would refuse to encode them)."""
    return "".join(f"\\u{ord(c):04x}" if ord(c) in _SURROGATES else c for c in key)
