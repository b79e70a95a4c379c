"""Decoding bodies: what orjson refuses is located, and no refusal holds text that could not
itself be sent back as JSON."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registrum.core.errors import InvalidInputError
from registrum.core.json_input import parse_json


def refusal(data: bytes | str) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        parse_json(data)
    # The problem is answered as JSON: it must encode (no surrogate may leak into it).
    orjson.dumps({"detail": info.value.detail, "errors": [p.path for p in info.value.problems]})
    orjson.dumps([p.message for p in info.value.problems])
    return info.value


@pytest.mark.parametrize(
    ("data", "path", "says"),
    [
        (b'{"a": "\\ud800"}', "a", "lone UTF-16 surrogate escape (\\ud800)"),
        ('{"a": "\ud800"}', "a", "lone UTF-16 surrogate"),  # str input with a raw one
        (b'{"a": {"b\\udc00": 1}}', "a.b\\udc00", "has a name that holds"),
        (b'[1, {"x": [0, "\\udfff"]}]', "[1].x[1]", "surrogate"),
        (b'{"a": "\xc3"}', "a", "is not UTF-8 text"),
        (b'{"a": 1e999}', "a", "out of range (1e999)"),
        (b'{"a": -1' + b"0" * 400 + b"}", "a", "(402 characters)"),
        (b'{"a": Infinity}', "a", "is Infinity"),
        (b"NaN", "", "is NaN"),
    ],
)
def test_a_refused_member_is_located(data: bytes | str, path: str, says: str) -> None:
    error = refusal(data)
    (problem,) = error.problems
    assert problem.path == path
    assert says in problem.message
    assert problem.value is None  # never the refused text itself


def test_the_first_fault_in_document_order_is_named() -> None:
    error = refusal(b'{"first": ["ok", "\\ud800"], "\\udc00": 1, "last": 1e999}')
    assert error.problems[0].path == "first[1]"
    error = refusal(b'{"\\udc00": "\\ud800"}')
    assert error.problems[0].message.startswith("has a name")


def test_what_cannot_be_located_is_reported_where_the_syntax_breaks() -> None:
    assert "byte 2" in refusal(b"{}\xff").detail
    assert "line 1 column" in refusal(b'{"a": "\\ud800",}').detail
    # Deeper than the standard decoder can recurse: still an answer, not a crash.
    assert "depth" in refusal(b"[" * 5000 + b"]" * 5000).detail


def test_valid_json_decodes_unchanged() -> None:
    doc = {"a": ["\U0001f600", "\\ud800", 1.5, -(2**63), 2**64 - 1, None, True], "é": {}}
    assert parse_json(json.dumps(doc).encode()) == doc
    assert parse_json(json.dumps(doc, ensure_ascii=False)) == doc


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=True)
    | st.integers(-(2**63), 2**64 - 1)  # what orjson keeps an integer
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def storable(value: Any) -> bool:
    """No lone surrogate in any text, no NaN or infinity."""
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(storable(v) for v in value)
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    return True


@settings(max_examples=300, database=None, deadline=None)
@given(JSON_VALUES)
def test_any_json_text_decodes_or_is_refused_with_the_member_named(value: Any) -> None:
    # Python's encoder writes lone surrogates as escapes, and NaN and Infinity bare: the very
    # things a client written in a lenient language may send.
    data = json.dumps(value).encode()
    if storable(value):
        assert parse_json(data) == value
        return
    error = refusal(data)
    assert "line 1 column" not in error.detail  # located, not a position in the text
    assert error.detail.startswith("body is not valid JSON: ")


@pytest.mark.parametrize(
    ("data", "path", "stored"),
    [
        (b'{"_meta": {"x": {"count": 18446744073709551616}}}', "_meta.x.count", "1.84467"),
        (b'{"a": [1, -9223372036854775809]}', "a[1]", "-9.22337"),
        (b'{"pi": 3.14159265358979323846}', "pi", "3.141592653589793"),
        (b'{"a": 1, "b": 12345678901234567.0, "c": 2.5}', "b", "1.23456"),
        (b"123456789012345678901234567890", "", "1.23456"),
    ],
)
def test_a_number_that_would_change_is_refused_naming_it(data, path, stored) -> None:
    error = refusal(data)
    (problem,) = error.problems
    assert problem.path == path
    assert "cannot be kept exactly" in problem.message
    assert f"it would read back as {stored}" in problem.message


@pytest.mark.parametrize(
    "literal",
    [
        "18446744073709551615",
        "-9223372036854775808",
        "0.30000000000000004",
        "1.10",
        "1e-21",
        "123456789012345.6",
        "0.000000000000000000000000000001",
        '"123456789012345678901234567890"',
    ],
)
def test_numbers_kept_exactly_pass(literal: str) -> None:
    assert parse_json(f'{{"n": {literal}}}') == {"n": json.loads(literal)}
