"""Invisible, bidirectional and control characters in names, versions, titles and
descriptions; non-ASCII versions."""

from __future__ import annotations

from typing import Any

import pytest

from registrum.core.ingest import Ingested, ingest
from registrum.core.validation import validate_server_json
from tests.factories import server_json


def _errors(doc: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(p.path, p.message, p.rule) for p in validate_server_json(doc).errors]


@pytest.mark.parametrize(
    ("member", "text", "named", "offset"),
    [
        ("description", "Weather \u202eyfitsevol\u202c", "U+202E RIGHT-TO-LEFT OVERRIDE", 8),
        ("title", "Weather\u200b", "U+200B ZERO WIDTH SPACE", 7),
        ("title", "\ufeffWeather", "U+FEFF ZERO WIDTH NO-BREAK SPACE", 0),
        ("description", "Soft\u00adhyphen", "U+00AD SOFT HYPHEN", 4),
        ("description", "Isolate \u2066x\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE", 8),
        ("description", "Mark \u200f here", "U+200F RIGHT-TO-LEFT MARK", 5),
        ("description", "pay\u200dpal", "U+200D ZERO WIDTH JOINER", 3),
        ("description", "Bell \x07", "U+0007 <control>", 5),
        ("title", "Two\nlines", "U+000A <control>", 3),
        ("title", "Del\x7f", "U+007F <control>", 3),
    ],
)
def test_hidden_characters_are_refused_naming_the_character_and_where(member, text, named, offset):
    errors = _errors(server_json(**{member: text}))
    assert [(path, rule) for path, _, rule in errors] == [(member, "hidden-character")]
    assert f"{named} (at character {offset})" in errors[0][1]


@pytest.mark.parametrize(
    "text",
    [
        "Weather for 👩\u200d💻 developers",  # an emoji sequence's joiner
        "Flag 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        "می\u200cخواهم",  # Persian's zero-width non-joiner between letters
        "Line one.\nLine two,\ttabbed.\r\n",
        "Ελληνικά, русский, 日本語",
    ],
)
def test_ordinary_text_of_any_script_passes(text):
    assert _errors(server_json(description=text)) == []


@pytest.mark.parametrize(
    ("version", "named", "offset"),
    [
        ("1.0.0-\u0430lpha", "U+0430 CYRILLIC SMALL LETTER A", 6),  # looks like Latin 'a'
        ("\u0661.0.0", "U+0661 ARABIC-INDIC DIGIT ONE", 0),
        ("1.0.0\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE", 5),
    ],
)
def test_a_version_is_ascii(version, named, offset):
    errors = _errors(server_json(version=version))
    assert [(path, rule) for path, _, rule in errors] == [("version", "version-ascii")]
    assert f"{named} (at character {offset})" in errors[0][1]


def test_an_ingested_document_is_kept_with_the_rule_it_breaks():
    # Documents another registry serves are stored as served: the rule is recorded.
    taken = ingest(server_json(description="Weather \u202eevil", version="1.0.0-\u0430"))
    assert isinstance(taken, Ingested)
    assert sorted(d.rule for d in taken.deviations) == ["hidden-character", "version-ascii"]
