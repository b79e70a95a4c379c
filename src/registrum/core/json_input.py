"""Decoding request bodies: JSON the registry can store, or a problem saying where and how to
fix it.

orjson decodes every body. It is strict exactly where storage must be: text is UTF-8 with no
lone UTF-16 surrogate (neither PostgreSQL's text nor any UTF-8 file can hold one, while
Python's own ``json`` module would accept one and fail later, on the way to the database),
and every number is a finite double. A number it would store other than as written (an
integer beyond 64 bits, a decimal with more digits than a double holds) is refused, naming
it. When it refuses a body, the lenient standard decoder
reads it again, only to find the member at fault, so the answer names it; a body neither
can read is reported where its syntax breaks.
"""

from __future__ import annotations

import json
from decimal import Decimal
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
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _refusal(data, exc) from exc
    if _LONG_RUN in (data if isinstance(data, bytes) else data.encode()).translate(_DIGITS):
        _require_exact_numbers(data)
    return value


# Numbers are stored as orjson reads them: integers from -2**63 to 2**64 - 1 exactly, any
# other number as a double. A double keeps every decimal of up to 15 significant digits, so
# only a literal of 16 or more digits can change on the way through (18446744073709551616
# read back as 1.8446744073709552e+19, pi to 20 places cut to 16). Such a literal always
# holds a run of 16 digits and dots: the search for one keeps the common body from being
# read twice; a long digit run inside a string only costs that second read. The search maps
# digits and dots to "0", all else to " ", and looks for sixteen "0"s: two passes in C, 7 us
# for a 1.8 KB document where a regular expression took 60 us.
_DIGITS: Final = bytes(0x30 if chr(b) in "0123456789." else 0x20 for b in range(256))
_LONG_RUN: Final = b"0" * 16
_INTEGERS: Final = range(-(2**63), 2**64)
_INEXACT: Final = (
    "is the number {digits}, which cannot be kept exactly (it would read back as {stored}): "
    "send an integer from -9223372036854775808 to 18446744073709551615, a number of at most "
    "15 significant digits, or the value as a string"
)


class _Float(str):
    """A number with a fraction or an exponent, as written."""


def _require_exact_numbers(data: bytes | str) -> None:
    try:
        value = json.loads(data, parse_int=_Number, parse_float=_Float)
    except (ValueError, RecursionError):
        return  # refused later, for its depth (orjson read it)
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            # Reversed onto the stack: the first number at fault in document order is named.
            members = [(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()]
            stack.extend(reversed(members))
        elif isinstance(node, list):
            stack.extend(reversed([(v, f"{path}[{i}]") for i, v in enumerate(node)]))
        elif isinstance(node, _Float | _Number):
            stored = _as_stored(node)
            if stored is not None:
                digits = node if len(node) <= 40 else f"{node[:20]}... ({len(node)} characters)"
                message = _INEXACT.format(digits=digits, stored=stored)
                where = f"member {path}" if path else "the body"
                raise InvalidInputError(
                    f"body has a number that cannot be stored exactly: {where} {message}",
                    [Problem(path, message)],
                )


def _as_stored(literal: str) -> str | None:
    """How a number literal reads back once stored, when that differs from its value."""
    if isinstance(literal, _Number) and int(literal) in _INTEGERS:
        return None
    stored = float(literal)
    if Decimal(repr(stored)) == Decimal(literal):
        return None
    return repr(stored)


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
