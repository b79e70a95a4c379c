"""Cursors: opaque and URL-safe when emitted; every form a client may hold is read back."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registrum.core.cursors import decode_cursor, encode_cursor

names = st.from_regex(r"[a-zA-Z0-9.-]{1,20}/[a-zA-Z0-9._-]{1,20}", fullmatch=True)
# Any text a stored version can hold: everything but NUL (and lone surrogates, which no
# UTF-8 text holds).
versions = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)


@given(names, versions)
def test_an_emitted_cursor_round_trips_and_needs_no_escaping(name: str, version: str) -> None:
    cursor = encode_cursor(name, version)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert decode_cursor(cursor) == (name, version)


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        ("io.github.a/x:1.0.0", ("io.github.a/x", "1.0.0")),
        ("io.github.a/x:1.0.0+build.1", ("io.github.a/x", "1.0.0+build.1")),
        # Appended to a URL unencoded, '+' arrives as a space.
        ("io.github.a/x:1.0.0 build.1", ("io.github.a/x", "1.0.0+build.1")),
        ("io.github.a/x:1:2", ("io.github.a/x", "1:2")),
        ("io.github.a/x", ("io.github.a/x", None)),
        # Not a cursor this registry emitted, nor a name: read as the official registry
        # reads a bare name (rows after it).
        ("garbage", ("garbage", None)),
        ("", ("", None)),
    ],
)
def test_official_forms_are_read(held: str, expected: tuple[str, str | None]) -> None:
    assert decode_cursor(held) == expected
