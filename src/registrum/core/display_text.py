"""Characters a name, version, title or description may not carry: the invisible and the
bidirectional controls that make text read differently from what it is.

An attack run published a description with U+202E RIGHT-TO-LEFT OVERRIDE (the text after it
shows reversed, so a listing can display another server's name or a harmless-looking
command) and a version spelled with Cyrillic letters that look like Latin ones. So:

- Unicode format characters (general category Cf: U+200B-U+200F, U+202A-U+202E,
  U+2060-U+2064, U+2066-U+2069, U+FEFF, U+00AD, ...) are refused, except the two joiners
  (U+200C, U+200D) between two non-ASCII visible characters, where emoji sequences and
  several scripts need them, and the tag characters that spell a subdivision flag after
  U+1F3F4 WAVING BLACK FLAG;
- control characters (category Cc) are refused, except tab, newline and carriage return in a
  description;
- a version is ASCII only: it is compared, sorted and put in URLs, where look-alike letters
  from other scripts would make two different versions read the same.

Each problem names the character (code point and Unicode name) and where it is.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from registrum.core.errors import Problem

_JOINERS: Final = frozenset("\u200c\u200d")
_FLAG: Final = "\U0001f3f4"
_TAGS: Final = range(0xE0020, 0xE0080)
_DESCRIPTION_WHITESPACE: Final = frozenset("\t\n\r")
# Categories that are not a visible character a joiner can stand next to.
_NOT_VISIBLE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; control characters have no name in Unicode's
    data, which lists them as ``<control>``."""
    return f"U+{ord(char):04X} {unicodedata.name(char, '<control>')}"


def _visible_non_ascii(char: str) -> bool:
    return not char.isascii() and unicodedata.category(char) not in _NOT_VISIBLE


def _allowed(text: str, i: int, char: str) -> bool:
    if char in _JOINERS:
        before, after = text[i - 1 : i], text[i + 1 : i + 2]
        return bool(before and after) and _visible_non_ascii(before) and _visible_non_ascii(after)
    if ord(char) in _TAGS:
        start = i
        while start > 0 and ord(text[start - 1]) in _TAGS:
            start -= 1
        return start > 0 and text[start - 1] == _FLAG
    return False


_ASCII_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_ASCII_CONTROL_BUT_WHITESPACE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _hidden(text: str, description: bool) -> tuple[int, str] | None:
    """The offset and character of the first refused character, or None."""
    if text.isascii():  # the common case, searched in C
        pattern = _ASCII_CONTROL_BUT_WHITESPACE if description else _ASCII_CONTROL
        match = pattern.search(text)
        return None if match is None else (match.start(), match.group())
    for i, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cc" and not (description and char in _DESCRIPTION_WHITESPACE):
            return i, char
        if category == "Cf" and not _allowed(text, i, char):
            return i, char
    return None


def hidden_character_problems(text: str, path: str, *, description: bool = False) -> list[Problem]:
    """A problem for the first invisible or control character of ``text``, if any."""
    found = _hidden(text, description)
    if found is None:
        return []
    offset, char = found
    kind = "control" if unicodedata.category(char) == "Cc" else "invisible or bidirectional"
    return [
        Problem(
            path,
            f"must not contain {describe(char)} (at character {offset}): {kind} characters "
            "can make the text display differently from what it is; remove it",
            rule="hidden-character",
        )
    ]


def version_script_problems(version: str, path: str) -> list[Problem]:
    """A problem for the first character of a version outside printable ASCII."""
    for offset, char in enumerate(version):
        if not char.isascii():
            return [
                Problem(
                    path,
                    f"must be ASCII: {describe(char)} (at character {offset}) is not; versions "
                    "use letters A-Z and a-z, digits and punctuation such as '.', '-' and '+' "
                    "(letters of other scripts can look identical to Latin ones)",
                    rule="version-ascii",
                )
            ]
    return []
