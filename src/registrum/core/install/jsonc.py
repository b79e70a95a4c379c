"""JSONC, the JSON with comments VS Code's ``mcp.json`` allows (``//`` and ``/* */`` comments,
trailing commas), read with the span of every value and comment, so that a file can be edited
as text (``config_files.py``) without touching anything else in it.

Why a scanner of our own: the core takes nothing beyond the standard library, and no PyPI
package is a clearly maintained way to edit JSONC in place (see ``config_files.py``). It is
small: strings with escapes, numbers, literals, comments, brackets and commas.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "BOM",
    "SPACE",
    "ConfigFileError",
    "Member",
    "Node",
    "error",
    "line_start",
    "parse",
    "parse_jsonc",
    "where",
]

_MAX_DEPTH: Final = 256
_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD: Final = re.compile(r"[A-Za-z0-9_$.+-]+")
_LITERALS: Final[Mapping[str, Any]] = {"true": True, "false": False, "null": None}
SPACE: Final = " \t\r\n"
BOM: Final = "\ufeff"


class ConfigFileError(ValueError):
    """The file cannot be edited safely: not JSON(C), or not shaped as a client reads it.

    ``line`` and ``column`` (1-based, columns in characters) say where; the message starts
    with them.
    """

    def __init__(self, reason: str, *, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column


# ---------------------------------------------------------------------------------------
# Scanning and parsing


@dataclass(slots=True)
class Node:
    kind: Literal["object", "array", "scalar"]
    start: int  # the value's span: text[start:end]
    end: int
    value: Any
    depth: int = 0
    members: list[Member] = field(default_factory=list)  # objects
    items: list[Node] = field(default_factory=list)  # arrays
    commas: list[int] = field(default_factory=list)  # after each member or item, -1 if none


@dataclass(slots=True)
class Member:
    key: str
    key_start: int
    value: Node


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # one of {}[]:, or "string", "number", "literal"
    start: int
    end: int
    value: Any = None


def line_start(text: str, index: int) -> int:
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return 1 if start == 0 and text.startswith(BOM) and index > 0 else start


def where(text: str, index: int) -> tuple[int, int]:
    start = line_start(text, index)
    line = 1 + text.count("\n", 0, index) + text.count("\r", 0, index)
    line -= text.count("\r\n", 0, index)
    return line, index - start + 1


def error(text: str, index: int, reason: str) -> ConfigFileError:
    line, column = where(text, index)
    return ConfigFileError(reason, line=line, column=column)


def _string_end(text: str, start: int) -> int:
    """The index just past the string that starts (with its quote) at ``start``."""
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            return i + 1
        if ch == "\\":
            escape = text[i + 1 : i + 2]
            if escape == "u":
                digits = text[i + 2 : i + 6]
                if len(digits) < 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    raise error(text, i, "a \\u escape needs four hex digits")
                i += 6
                continue
            if escape and escape in '"\\/bfnrt':
                i += 2
                continue
            if escape in ("", "\n", "\r"):
                break
            raise error(text, i, f"invalid escape \\{escape} in a string")
        if ch in "\n\r":
            break
        if ch < " ":
            raise error(text, i, f"a control character (U+{ord(ch):04X}) in a string")
        i += 1
    raise error(text, start, "unterminated string")


def _scan(text: str) -> tuple[list[_Token], list[tuple[int, int]]]:
    """Tokens, and the comments' spans, in order."""
    tokens: list[_Token] = []
    comments: list[tuple[int, int]] = []
    i = 1 if text.startswith(BOM) else 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in SPACE:
            i += 1
        elif ch == "/" and text.startswith("//", i):
            end = i + 2
            while end < n and text[end] not in "\r\n":
                end += 1
            comments.append((i, end))
            i = end
        elif ch == "/" and text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise error(text, i, "unterminated /* comment")
            comments.append((i, close + 2))
            i = close + 2
        elif ch in "{}[]:,":
            tokens.append(_Token(ch, i, i + 1))
            i += 1
        elif ch == '"':
            end = _string_end(text, i)
            tokens.append(_Token("string", i, end, json.loads(text[i:end])))
            i = end
        else:
            word = _WORD.match(text, i)
            if word is None:
                raise error(text, i, f"unexpected character {ch!r}")
            raw = word.group()
            if raw in _LITERALS:
                tokens.append(_Token("literal", i, word.end(), _LITERALS[raw]))
            elif (number := _NUMBER.fullmatch(raw)) is not None:
                tokens.append(_Token("number", i, word.end(), json.loads(number.group())))
            else:
                raise error(text, i, f"unexpected {raw!r}: not a JSON value")
            i = word.end()
    return tokens, comments


_CLOSER: Final = {"{": "}", "[": "]"}
_NAMES: Final = {
    "{": "'{'",
    "}": "'}'",
    "[": "'['",
    "]": "']'",
    ":": "':'",
    ",": "','",
    "string": "a string",
    "number": "a number",
    "literal": "a literal",
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens, self.comments = _scan(text)
        self.pos = 0

    def fail(self, token: _Token | None, reason: str) -> ConfigFileError:
        return error(self.text, token.start if token else len(self.text), reason)

    def unexpected(self, token: _Token, opener: _Token, expected: str) -> ConfigFileError:
        if token.kind in ("}", "]"):  # a closer of the other kind
            line, column = where(self.text, opener.start)
            return self.fail(
                token,
                f"mismatched brackets: {_NAMES[token.kind]} cannot close the "
                f"{_NAMES[opener.kind]} at line {line}, column {column}",
            )
        return self.fail(token, f"expected {expected}, found {_NAMES[token.kind]}")

    def next(self, expected: str, opener: _Token | None = None) -> _Token:
        if self.pos >= len(self.tokens):
            if opener is not None:
                line, column = where(self.text, opener.start)
                raise self.fail(
                    None,
                    f"unexpected end of file: the {_NAMES[opener.kind]} at line {line}, "
                    f"column {column} is never closed",
                )
            raise self.fail(None, f"unexpected end of file, expected {expected}")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def document(self) -> Node:
        if not self.tokens:
            raise self.fail(None, "the file holds no JSON value: expected an object")
        root = self.value(0)
        if self.pos < len(self.tokens):
            raise self.fail(self.tokens[self.pos], "unexpected content after the top-level value")
        return root

    def value(self, depth: int, opener: _Token | None = None) -> Node:
        token = self.next("a value", opener)
        if token.kind in ("string", "number", "literal"):
            return Node("scalar", token.start, token.end, token.value, depth)
        if token.kind not in _CLOSER:
            raise self.fail(token, f"expected a value, found {_NAMES[token.kind]}")
        if depth >= _MAX_DEPTH:
            raise self.fail(token, f"nested more than {_MAX_DEPTH} levels deep")
        if token.kind == "{":
            return self.object(token, depth)
        return self.array(token, depth)

    def object(self, opener: _Token, depth: int) -> Node:
        node = Node("object", opener.start, -1, {}, depth)
        while True:
            token = self.next("a key or '}'", opener)
            if token.kind == "}":
                node.end = token.end
                return node
            if token.kind != "string":
                found = _NAMES[token.kind]
                raise self.fail(token, f"expected a key (a string) or '}}', found {found}")
            colon = self.next("':'", opener)
            if colon.kind != ":":
                raise self.fail(colon, f"expected ':' after the key, found {_NAMES[colon.kind]}")
            child = self.value(depth + 1, opener)
            node.members.append(Member(token.value, token.start, child))
            node.value[token.value] = child.value
            after = self.next("',' or '}'", opener)
            if after.kind == "}":
                node.commas.append(-1)
                node.end = after.end
                return node
            if after.kind != ",":
                raise self.unexpected(after, opener, "',' or '}'")
            node.commas.append(after.start)

    def array(self, opener: _Token, depth: int) -> Node:
        node = Node("array", opener.start, -1, [], depth)
        while True:
            if self.pos < len(self.tokens) and self.tokens[self.pos].kind == "]":
                closer = self.next("']'", opener)
                break
            child = self.value(depth + 1, opener)
            node.items.append(child)
            node.value.append(child.value)
            closer = self.next("',' or ']'", opener)
            if closer.kind == "]":
                node.commas.append(-1)
                break
            if closer.kind != ",":
                raise self.unexpected(closer, opener, "',' or ']'")
            node.commas.append(closer.start)
        node.end = closer.end
        return node


def parse(text: str) -> tuple[Node, list[tuple[int, int]]]:
    parser = _Parser(text)
    root = parser.document()
    return root, parser.comments


def parse_jsonc(text: str) -> Any:
    """The value of a JSON(C) text (comments and trailing commas allowed), as ``json.loads``
    would give it for the same text without them; :class:`ConfigFileError` when malformed."""
    return parse(text)[0].value
