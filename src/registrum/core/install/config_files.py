"""Merging one server's entry into a client's configuration file, as text.

Pure: no I/O. ``registrum install NAME --client ... --write`` reads the file, calls
:func:`merge_entry` and writes back ``Merged.text`` (keeping a backup); when the key is there
with another configuration it catches :class:`EntryExistsError`, asks, and calls again with
``replace=True``.

::

    merged = merge_entry(old_text_or_None, "servers", "io.github.acme/weather", entry,
                         inputs=[{"id": "api_key", "type": "promptString", ...}])
    if not merged.unchanged:
        write(merged.text)

Every file is read as JSONC, the JSON with comments that VS Code's ``mcp.json`` allows:
``//`` and ``/* */`` comments and trailing commas in objects and arrays. Claude Desktop,
Claude Code and Cursor read strict JSON; a strict file stays strict, because the edit adds
neither a comment nor a trailing comma unless the container it edits already ends with one.

The edit is surgical. Only the inserted text is new (or, with ``replace=True``, only the old
entry's value is swapped); every other character of the file, comments, key order, other
entries, indentation, line endings (``\\r\\n`` stays ``\\r\\n``), a UTF-8 byte order mark
and a final newline or its absence, is kept byte for byte. A new member goes last in its
object, indented like its siblings (one indent unit, detected from the file and two spaces by
default, deeper than the object's own line when it has none) and written with
``json.dumps(indent=unit, ensure_ascii=False)``; in an object written on one line it is
written on that line. Before returning, the result is parsed again and must equal the
original plus exactly the change, with every comment outside a replaced value still there
in order; if not (a bug), :class:`EditCheckError` is raised and nothing should be written.

Why a scanner of our own: the core takes nothing beyond the standard library, and no PyPI
package is a clearly maintained way to edit JSONC in place. ``json5``, ``commentjson``,
``jsonc-parser`` and ``json-with-comments`` read JSONC but drop comments and layout;
``json-five`` and ``json5kit`` keep comments in a round-trip model of JSON5, but the
re-serialisation is theirs rather than the file's bytes, and both see few releases;
``jsonc-edit`` (bindings to VS Code's own jsonc-parser) and ``jsoncgx`` are young and little
used. The scanner here is small: strings with escapes, numbers, literals, comments,
brackets and commas, recording each value's span.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from registrum.core.install.jsonc import (
    BOM,
    SPACE,
    ConfigFileError,
    Member,
    Node,
    error,
    line_start,
    parse,
    parse_jsonc,
    where,
)

__all__ = [
    "ConfigFileError",
    "EditCheckError",
    "EntryExistsError",
    "Merged",
    "merge_entry",
    "parse_jsonc",
]

_INPUTS: Final = "inputs"
_DEFAULT_UNIT: Final = "  "


class EditCheckError(ConfigFileError):
    """The edited text did not read back as the original plus the change (a bug here).

    Nothing should be written when it is raised.
    """


class EntryExistsError(Exception):
    """``key`` is already in the section with a different configuration.

    ``existing`` is the existing value's text exactly as in the file, ``existing_value`` its
    parsed value; ask, then call :func:`merge_entry` again with ``replace=True``.
    """

    def __init__(
        self, section: str, key: str, existing: str, existing_value: Any, *, line: int, column: int
    ) -> None:
        super().__init__(
            f"{key!r} is already in {section!r} (line {line}, column {column}) with a "
            "different configuration; replace it only when asked to"
        )
        self.section = section
        self.key = key
        self.existing = existing
        self.existing_value = existing_value
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Merged:
    text: str  # the new content (the old one when unchanged)
    existed: bool  # an entry under the key was already there
    replaced: bool  # it differed and was replaced (replace=True)
    unchanged: bool  # text is the original: nothing to write
    kept_inputs: tuple[str, ...] = ()  # input ids already there with another definition
    added_inputs: tuple[str, ...] = ()  # input ids appended to "inputs"


# ---------------------------------------------------------------------------------------
# Layout: indentation, line endings, where to insert


def _newline(text: str) -> str:
    first = re.search(r"\r\n|\n|\r", text)
    return first.group() if first else "\n"


def _indent_of_line(text: str, index: int) -> str:
    start = line_start(text, index)
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def _starts_line(text: str, index: int) -> bool:
    return text[line_start(text, index) : index].strip(" \t") == ""


def _children(node: Node) -> list[tuple[int, Node]]:
    """Each member's or item's first character (a key's quote), with its value."""
    if node.kind == "object":
        return [(m.key_start, m.value) for m in node.members]
    return [(item.start, item) for item in node.items]


def _indent_unit(text: str, root: Node) -> str:
    """The first indent step the file shows between a container's line and a child's."""
    stack = [root]
    while stack:
        node = stack.pop(0)
        outer = _indent_of_line(text, node.start)
        for start, child in _children(node):
            if _starts_line(text, start):
                inner = _indent_of_line(text, start)
                if len(inner) > len(outer) and inner.startswith(outer):
                    return inner[len(outer) :]
            if child.kind != "scalar":
                stack.append(child)
    return _DEFAULT_UNIT


def _line_breaks(text: str, start: int, end: int) -> list[int]:
    """Line breaks in ``text[start:end]`` (whitespace and comments only) outside comments."""
    found: list[int] = []
    i = start
    while i < end:
        if text.startswith("//", i):
            while i < end and text[i] not in "\r\n":
                i += 1
        elif text.startswith("/*", i):
            i = text.index("*/", i + 2) + 2
        elif text[i] in "\r\n":
            found.append(i)
            i += 2 if text.startswith("\r\n", i) else 1
        else:
            i += 1
    return found


def _dumps(value: Any, unit: str | None) -> str:
    out = json.dumps(value, indent=unit, ensure_ascii=False, allow_nan=False)
    if any("\ud800" <= ch <= "\udfff" for ch in out):  # a lone surrogate: no UTF-8 for it
        out = json.dumps(value, indent=unit, ensure_ascii=True, allow_nan=False)
    return out


def _block(value: Any, unit: str, indent: str, newline: str) -> str:
    """``value`` as JSON over several lines, its inner lines indented from ``indent``."""
    return _dumps(value, unit).replace("\n", newline + indent)


# What a new member or item looks like: given (inline, indent), its text.
_Render = Callable[[bool, str], str]


def _insert(text: str, node: Node, render: _Render, unit: str) -> str:
    """``text`` with one more member (or item) last in the container ``node``."""
    newline = _newline(text)
    own = _indent_of_line(text, node.start)
    closer = node.end - 1
    children = _children(node)
    if not children:
        breaks = _line_breaks(text, node.start + 1, closer)
        indent = own + unit
        if breaks:
            at = breaks[-1]
            return text[:at] + newline + indent + render(False, indent) + text[at:]
        body = newline + indent + render(False, indent) + newline + own
        return text[: node.start + 1] + body + text[node.start + 1 :]
    last_start, last = children[-1]
    comma = node.commas[-1]
    anchor = comma + 1 if comma >= 0 else last.end
    breaks = _line_breaks(text, anchor, closer)
    trailing = "," if comma >= 0 else ""
    lead = "" if comma >= 0 else ","
    if not breaks:  # the container ends on the last member's line: stay on that line
        return text[:anchor] + lead + " " + render(True, "") + trailing + text[anchor:]
    on_own_line = line_start(text, last_start) != line_start(text, node.start)
    indent = _indent_of_line(text, last_start) if on_own_line else own + unit
    at = breaks[0]
    piece = newline + indent + render(False, indent) + trailing
    return text[: last.end] + lead + text[last.end : at] + piece + text[at:]


def _replace(text: str, node: Node, member: Member, value: Any, unit: str) -> str:
    """``text`` with ``member``'s value (in the object ``node``) replaced by ``value``."""
    old = member.value
    if line_start(text, member.key_start) != line_start(text, node.start):
        new = _block(value, unit, _indent_of_line(text, member.key_start), _newline(text))
    else:
        new = _dumps(value, None)
    return text[: old.start] + new + text[old.end :]


# ---------------------------------------------------------------------------------------
# The merge


def _kind(node: Node) -> str:
    if node.kind == "object":
        return "an object"
    if node.kind == "array":
        return "an array"
    value = node.value
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true or false"
    if value is None:
        return "null"
    return "a number"


def _member(text: str, node: Node, key: str, place: str) -> Member | None:
    found = [m for m in node.members if m.key == key]
    if len(found) > 1:
        line, column = where(text, found[0].key_start)
        raise error(
            text,
            found[1].key_start,
            f"{key!r} appears twice in {place} (first at line {line}, column {column}); "
            "keep one and try again",
        )
    return found[0] if found else None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _ordered(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json(value: Any, what: str) -> Any:
    """``value`` as JSON gives it back: tuples as lists, keys as strings (checked)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not JSON: {exc}") from exc


def _check(result: str, expected: Any, kept_comments: list[str]) -> None:
    try:
        root, comments = parse(result)
    except ConfigFileError as exc:
        raise EditCheckError(
            f"the edited file would not parse ({exc}); nothing should be written",
            line=exc.line,
            column=exc.column,
        ) from exc
    if _ordered(root.value) != _ordered(expected):
        raise EditCheckError(
            "the edited file would not read as the original plus the new entry; "
            "nothing should be written",
            line=1,
            column=1,
        )
    if [result[a:b] for a, b in comments] != kept_comments:
        raise EditCheckError(
            "the edit would lose or move a comment; nothing should be written", line=1, column=1
        )


def _new_file(text: str, section: str, key: str, entry: Any, inputs: list[Any]) -> Merged:
    document: dict[str, Any] = {section: {key: entry}}
    if inputs:
        document[_INPUTS] = inputs
    newline = "\r\n" if "\r\n" in text else "\n"
    out = _dumps(document, _DEFAULT_UNIT).replace("\n", newline) + newline
    ids = tuple(str(i["id"]) for i in inputs)
    return Merged(out, existed=False, replaced=False, unchanged=False, added_inputs=ids)


def merge_entry(
    text: str | None,
    section: str,
    key: str,
    entry: Mapping[str, Any],
    *,
    inputs: Sequence[Mapping[str, Any]] = (),
    replace: bool = False,
) -> Merged:
    """Put ``entry`` under ``section`` → ``key`` in the JSON(C) ``text`` (None: no file yet).

    ``inputs`` (VS Code) are appended to the top-level ``inputs`` array, those whose ``id``
    is not there yet; one there under the same id with another definition is kept and named
    in ``kept_inputs``. Raises :class:`EntryExistsError` when ``key`` holds another entry
    and ``replace`` is false, :class:`ConfigFileError` when the file cannot be edited safely.
    """
    new_entry = _json(entry, "the entry")
    new_inputs: list[Any] = []
    seen: set[str] = set()
    for given in _json(list(inputs), "an input"):
        if not isinstance(given, dict) or not isinstance(given.get("id"), str):
            raise ValueError(f"each input needs a string 'id': {given!r}")
        if given["id"] not in seen:
            seen.add(given["id"])
            new_inputs.append(given)

    if text is None or text.strip(SPACE + BOM) == "":
        return _new_file(text or "", section, key, new_entry, new_inputs)

    root, comments = parse(text)
    if root.kind != "object":
        raise error(text, root.start, f"the file holds {_kind(root)}, not a JSON object")
    unit = _indent_unit(text, root)
    expected: dict[str, Any] = json.loads(_ordered(root.value))
    kept_comments = [text[a:b] for a, b in comments]

    holder = _member(text, root, section, "the top-level object")
    if holder is not None and holder.value.kind != "object":
        raise error(
            text,
            holder.value.start,
            f"{section!r} is {_kind(holder.value)}, not an object: fix it by hand first",
        )
    listed = _member(text, root, _INPUTS, "the top-level object") if new_inputs else None
    if listed is not None and listed.value.kind != "array":
        raise error(
            text,
            listed.value.start,
            f"{_INPUTS!r} is {_kind(listed.value)}, not an array: fix it by hand first",
        )

    existed = replaced = False
    out = text

    def member_text(name: str, value: Any) -> _Render:
        def render(inline: bool, indent: str) -> str:
            body = _dumps(value, None) if inline else _block(value, unit, indent, _newline(text))
            return _dumps(name, None) + ": " + body

        return render

    if holder is None:
        out = _insert(out, root, member_text(section, {key: new_entry}), unit)
        expected[section] = {key: new_entry}
    else:
        current = _member(text, holder.value, key, repr(section))
        if current is None:
            out = _insert(out, holder.value, member_text(key, new_entry), unit)
            expected[section][key] = new_entry
        else:
            existed = True
            if _canonical(current.value.value) != _canonical(new_entry):
                if not replace:
                    line, column = where(text, current.value.start)
                    raise EntryExistsError(
                        section,
                        key,
                        text[current.value.start : current.value.end],
                        current.value.value,
                        line=line,
                        column=column,
                    )
                replaced = True
                out = _replace(out, holder.value, current, new_entry, unit)
                kept_comments = [
                    text[a:b]
                    for a, b in comments
                    if b <= current.value.start or a >= current.value.end
                ]
                expected[section][key] = new_entry

    kept: list[str] = []
    added: list[str] = []
    if new_inputs:
        there: dict[str, Any] = {}
        if listed is not None:
            for item in listed.value.value:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    there.setdefault(item["id"], item)
        for given in new_inputs:
            if given["id"] not in there:
                added.append(given["id"])
            elif _canonical(there[given["id"]]) != _canonical(given):
                kept.append(given["id"])
        fresh = [given for given in new_inputs if given["id"] in added]
        if fresh and listed is None:
            root_now, _ = parse(out)
            out = _insert(out, root_now, member_text(_INPUTS, fresh), unit)
            expected[_INPUTS] = fresh
        elif fresh:
            for given in fresh:
                root_now, _ = parse(out)
                array = _member(out, root_now, _INPUTS, "the top-level object")
                if array is None:  # checked above, and no edit removes it
                    raise EditCheckError("'inputs' went missing", line=1, column=1)
                out = _insert(out, array.value, _item_text(given, unit, _newline(text)), unit)
                expected[_INPUTS].append(given)

    _check(out, expected, kept_comments)
    return Merged(
        out,
        existed=existed,
        replaced=replaced,
        unchanged=out == text,
        kept_inputs=tuple(kept),
        added_inputs=tuple(added),
    )


def _item_text(value: Any, unit: str, newline: str) -> _Render:
    def render(inline: bool, indent: str) -> str:
        return _dumps(value, None) if inline else _block(value, unit, indent, newline)

    return render
