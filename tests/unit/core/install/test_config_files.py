"""merge_entry: a server's entry merged into a client's JSON(C) file, everything else kept.

The oracle here is independent of the module: ``_read`` strips comments and trailing commas
with its own small state machine and reads the rest with ``json.loads``; ``_comments`` lists
the comments the same way. Every test that edits checks, through ``_check_insert`` or
``_check_replace``, that the result reads as the original plus exactly the change, that the
original text survives byte for byte around the edit, and that every comment is still there.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registrum.core.install.config_files import (
    ConfigFileError,
    EditCheckError,
    EntryExistsError,
    Merged,
    merge_entry,
)

ENTRY: dict[str, Any] = {
    "command": "npx",
    "args": ["-y", "@acme/weather-mcp@1.2.3"],
    "env": {"API_KEY": "${input:api_key}"},
}
OTHER: dict[str, Any] = {"type": "http", "url": "https://example.com/mcp"}
INPUT: dict[str, Any] = {
    "id": "api_key",
    "type": "promptString",
    "description": "Weather API key",
    "password": True,
}


# ---------------------------------------------------------------------------------------
# The oracle


def _split(text: str) -> tuple[str, list[str]]:
    """``text`` without its comments (each replaced by a space), and the comments."""
    out: list[str] = []
    comments: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = i
            while j < n and text[j] not in "\r\n":
                j += 1
            comments.append(text[i:j])
            out.append(" ")
            i = j
        elif text.startswith("/*", i):
            j = text.index("*/", i + 2) + 2
            comments.append(text[i:j])
            out.append(" ")
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out), comments


def _comments(text: str) -> list[str]:
    return _split(text)[1]


def _read(text: str) -> Any:
    stripped = _split(text)[0].lstrip("\ufeff")
    # Trailing commas: a comma followed (outside strings) only by whitespace and a closer.
    pieces = re.split(r'("(?:[^"\\]|\\.)*")', stripped)
    for index in range(0, len(pieces), 2):
        pieces[index] = re.sub(r",(\s*[}\]])", r"\1", pieces[index])
    return json.loads("".join(pieces))


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _check_insert(original: str, merged: Merged, section: str, key: str, entry: Any) -> None:
    """The entry was added (or the text is unchanged) and nothing of the original was lost."""
    assert not merged.replaced
    before, after = _read(original), _read(merged.text)
    expected = json.loads(json.dumps(before))
    expected.setdefault(section, {})[key] = entry
    if "inputs" in after and "inputs" not in before:
        expected["inputs"] = after["inputs"]
    elif "inputs" in before:
        assert after["inputs"][: len(before["inputs"])] == before["inputs"]
        expected["inputs"] = after["inputs"]
    assert after == expected
    assert list(after[section])[-1] == key or merged.existed
    assert _is_subsequence(original, merged.text)
    assert _comments(merged.text) == _comments(original)
    assert merged.unchanged == (merged.text == original)


def _check_replace(original: str, merged: Merged, section: str, key: str, entry: Any) -> None:
    assert merged.existed
    assert merged.replaced
    assert not merged.unchanged
    before, after = _read(original), _read(merged.text)
    before[section][key] = entry
    assert after == before
    assert list(after[section]) == list(before[section])  # the key kept its place
    # Only the old value's text changed: what precedes and follows it is intact.
    head = len(_common_prefix(original, merged.text))
    tail = len(_common_prefix(original[::-1], merged.text[::-1]))
    old_span = original[head : len(original) - tail]
    assert old_span.strip()  # something of the old value
    assert not re.search(r"//|/\*", old_span)  # no comment of the original was touched


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


# ---------------------------------------------------------------------------------------
# New and empty files


@pytest.mark.parametrize("text", [None, "", "  \n", "\n\n"])
def test_new_or_blank_file_gets_a_fresh_document(text: str | None) -> None:
    merged = merge_entry(text, "mcpServers", "weather", ENTRY)
    assert merged.text == json.dumps({"mcpServers": {"weather": ENTRY}}, indent=2) + "\n"
    assert (merged.existed, merged.replaced, merged.unchanged) == (False, False, False)
    assert json.loads(merged.text) == {"mcpServers": {"weather": ENTRY}}


def test_new_vscode_file_carries_its_inputs() -> None:
    merged = merge_entry(None, "servers", "weather", ENTRY, inputs=[INPUT, INPUT])
    assert json.loads(merged.text) == {"servers": {"weather": ENTRY}, "inputs": [INPUT]}
    assert merged.added_inputs == ("api_key",)
    assert merged.kept_inputs == ()


def test_blank_file_with_crlf_stays_crlf() -> None:
    merged = merge_entry("\r\n", "mcpServers", "w", ENTRY)
    assert "\r\n" in merged.text
    assert "\n" not in merged.text.replace("\r\n", "")


def test_empty_top_level_object() -> None:
    merged = merge_entry("{}", "mcpServers", "weather", ENTRY)
    _check_insert("{}", merged, "mcpServers", "weather", ENTRY)
    assert merged.text.startswith('{\n  "mcpServers": {\n    "weather": {\n      "command"')
    assert merged.text.endswith("\n}")  # no final newline was there, none is added


# ---------------------------------------------------------------------------------------
# Files with comments, other servers, trailing commas


COMMENTED = """\
// Claude Desktop configuration: kept by hand
/* block comment before the object */
{
  // the servers
  "mcpServers": { // opens the section
    "files": {
      "command": "npx", // the launcher
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] /* inline */
    }, // after a comma
    /* before git */ "git": {"command": "uvx", "args": ["mcp-server-git"]},
    // "disabled": {"command": "nothing"}
  }, // closes the section
  "globalShortcut": "Ctrl+Space", /* a trailing comma follows */
}
// after the object
"""


def test_comments_everywhere_are_kept() -> None:
    merged = merge_entry(COMMENTED, "mcpServers", "weather", ENTRY)
    _check_insert(COMMENTED, merged, "mcpServers", "weather", ENTRY)
    assert merged.existed is False
    # The new entry goes last among the members, before the commented-out one, indented like
    # its siblings; the section had a trailing comma, so the new entry has one too.
    assert (
        '    /* before git */ "git": {"command": "uvx", "args": ["mcp-server-git"]},\n'
        '    "weather": {\n'
        '      "command": "npx",\n'
        '      "args": [\n'
        '        "-y",\n'
        '        "@acme/weather-mcp@1.2.3"\n'
        "      ],\n"
        '      "env": {\n'
        '        "API_KEY": "${input:api_key}"\n'
        "      }\n"
        "    },\n"
        '    // "disabled": {"command": "nothing"}\n'
    ) in merged.text


def test_section_missing_is_created_last() -> None:
    text = '{\n  "globalShortcut": "Ctrl+Space" // no servers yet\n}\n'
    merged = merge_entry(text, "mcpServers", "weather", ENTRY)
    _check_insert(text, merged, "mcpServers", "weather", ENTRY)
    assert merged.text.startswith(
        '{\n  "globalShortcut": "Ctrl+Space", // no servers yet\n  "mcpServers": {\n'
    )
    assert json.loads(_split(merged.text)[0]) == _read(merged.text)


def test_last_member_without_comma_gets_one_before_its_comment() -> None:
    text = '{\n  "mcpServers": {\n    "a": {"command": "x"} // the only one\n  }\n}'
    merged = merge_entry(text, "mcpServers", "b", OTHER)
    _check_insert(text, merged, "mcpServers", "b", OTHER)
    assert '"a": {"command": "x"}, // the only one\n    "b": {\n' in merged.text
    assert merged.text.endswith("\n  }\n}")


def test_comma_on_its_own_line() -> None:
    text = '{"mcpServers": {\n  "a": 1\n  , // comma first\n  "b": 2\n  // end\n}}'
    merged = merge_entry(text, "mcpServers", "c", OTHER)
    _check_insert(text, merged, "mcpServers", "c", OTHER)


def test_block_comment_spanning_lines_after_the_last_member() -> None:
    text = '{\n  "mcpServers": {\n    "a": 1, /* one\n    two */\n  }\n}\n'
    merged = merge_entry(text, "mcpServers", "b", OTHER)
    _check_insert(text, merged, "mcpServers", "b", OTHER)


def test_comment_characters_inside_strings_are_not_comments() -> None:
    text = '{"mcpServers": {"a": {"url": "https://x.test/*not*/"}}, "b": "// nor this"}'
    merged = merge_entry(text, "mcpServers", "c", OTHER)
    _check_insert(text, merged, "mcpServers", "c", OTHER)
    assert _comments(merged.text) == []


def test_strict_json_stays_strict() -> None:
    text = json.dumps({"mcpServers": {"a": OTHER}, "x": [1, 2]}, indent=2) + "\n"
    merged = merge_entry(text, "mcpServers", "weather", ENTRY)
    _check_insert(text, merged, "mcpServers", "weather", ENTRY)
    assert json.loads(merged.text) == {"mcpServers": {"a": OTHER, "weather": ENTRY}, "x": [1, 2]}
    assert merged.text == (
        json.dumps({"mcpServers": {"a": OTHER, "weather": ENTRY}, "x": [1, 2]}, indent=2) + "\n"
    )


# ---------------------------------------------------------------------------------------
# Line endings and indentation


def test_crlf_endings_stay_crlf() -> None:
    text = COMMENTED.replace("\n", "\r\n")
    merged = merge_entry(text, "mcpServers", "weather", ENTRY)
    _check_insert(text, merged, "mcpServers", "weather", ENTRY)
    assert "\n" not in merged.text.replace("\r\n", "")
    assert merged.text.endswith("// after the object\r\n")


def test_tabs_for_indentation() -> None:
    text = '{\n\t"mcpServers": {\n\t\t"a": {\n\t\t\t"command": "x"\n\t\t}\n\t}\n}'
    merged = merge_entry(text, "mcpServers", "b", {"command": "y", "args": ["1"]})
    _check_insert(text, merged, "mcpServers", "b", {"command": "y", "args": ["1"]})
    assert merged.text == (
        '{\n\t"mcpServers": {\n\t\t"a": {\n\t\t\t"command": "x"\n\t\t},\n'
        '\t\t"b": {\n\t\t\t"command": "y",\n\t\t\t"args": [\n\t\t\t\t"1"\n\t\t\t]\n\t\t}\n'
        "\t}\n}"
    )


def test_four_space_indentation() -> None:
    text = '{\n    // four spaces\n    "servers": {\n        "a": {"type": "stdio"}\n    }\n}\n'
    merged = merge_entry(text, "servers", "b", {"command": "y"})
    _check_insert(text, merged, "servers", "b", {"command": "y"})
    assert '\n        "b": {\n            "command": "y"\n        }\n    }\n}\n' in merged.text


def test_four_space_indentation_of_a_new_section() -> None:
    text = '{\n    "other": {\n        "deep": true\n    }\n}\n'
    merged = merge_entry(text, "servers", "b", {"command": "y"})
    _check_insert(text, merged, "servers", "b", {"command": "y"})
    assert merged.text.endswith(
        '    },\n    "servers": {\n        "b": {\n            "command": "y"\n'
        "        }\n    }\n}\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{\n  "mcpServers": {}\n}\n',
            '{\n  "mcpServers": {\n    "w": {\n      "command": "y"\n    }\n  }\n}\n',
        ),
        (
            '{\n    "mcpServers": {\n    }\n}\n',
            '{\n    "mcpServers": {\n        "w": {\n            "command": "y"\n'
            "        }\n    }\n}\n",
        ),
        (
            '{\n  "mcpServers": { // none yet\n  }\n}\n',
            '{\n  "mcpServers": { // none yet\n    "w": {\n      "command": "y"\n    }\n  }\n}\n',
        ),
        (
            '{"mcpServers": {}}',
            '{"mcpServers": {\n  "w": {\n    "command": "y"\n  }\n}}',
        ),
    ],
)
def test_empty_section(text: str, expected: str) -> None:
    merged = merge_entry(text, "mcpServers", "w", {"command": "y"})
    _check_insert(text, merged, "mcpServers", "w", {"command": "y"})
    assert merged.text == expected


def test_section_on_one_line_takes_the_entry_on_that_line() -> None:
    text = '{\n  "mcpServers": {"a": {"command": "x"}}, // compact\n  "z": 0\n}\n'
    merged = merge_entry(text, "mcpServers", "b", ENTRY)
    _check_insert(text, merged, "mcpServers", "b", ENTRY)
    assert merged.text.startswith(
        '{\n  "mcpServers": {"a": {"command": "x"}, "b": {"command": "npx", "args": '
        '["-y", "@acme/weather-mcp@1.2.3"], "env": {"API_KEY": "${input:api_key}"}}}, '
        "// compact\n"
    )


def test_whole_file_on_one_line_with_trailing_comma() -> None:
    text = '{"mcpServers": {"a": 1,}, /* c */}'
    merged = merge_entry(text, "mcpServers", "b", {"x": 1})
    _check_insert(text, merged, "mcpServers", "b", {"x": 1})
    assert merged.text == '{"mcpServers": {"a": 1, "b": {"x": 1},}, /* c */}'


def test_byte_order_mark_is_kept() -> None:
    text = '\ufeff{\n  "mcpServers": {\n    "a": 1\n  }\n}\n'
    merged = merge_entry(text, "mcpServers", "b", {"x": 1})
    _check_insert(text, merged, "mcpServers", "b", {"x": 1})
    assert merged.text.startswith("\ufeff{\n")
    assert '\n    "a": 1,\n    "b": {\n      "x": 1\n    }\n  }\n}\n' in merged.text


# ---------------------------------------------------------------------------------------
# The key already there


def test_identical_entry_is_unchanged() -> None:
    text = COMMENTED
    entry = {"args": ["mcp-server-git"], "command": "uvx"}  # another key order, same entry
    merged = merge_entry(text, "mcpServers", "git", entry)
    assert merged == Merged(text, existed=True, replaced=False, unchanged=True)
    assert merge_entry(text, "mcpServers", "git", entry, replace=True).unchanged


def test_different_entry_raises_with_the_existing_text() -> None:
    with pytest.raises(EntryExistsError) as caught:
        merge_entry(COMMENTED, "mcpServers", "files", ENTRY)
    error = caught.value
    assert error.key == "files"
    assert error.section == "mcpServers"
    assert error.existing.startswith('{\n      "command": "npx", // the launcher\n')
    assert error.existing.endswith("/* inline */\n    }")
    assert error.existing_value["command"] == "npx"
    assert (error.line, error.column) == (6, 14)
    assert "line 6, column 14" in str(error)
    assert not isinstance(error, ValueError)  # a question for the person, not a bad file


def test_true_is_not_one() -> None:
    text = '{"mcpServers": {"a": {"x": 1}}}'
    with pytest.raises(EntryExistsError):
        merge_entry(text, "mcpServers", "a", {"x": True})


def test_replace_swaps_only_the_old_value() -> None:
    text = COMMENTED
    merged = merge_entry(text, "mcpServers", "git", ENTRY, replace=True)
    _check_replace(text, merged, "mcpServers", "git", ENTRY)
    assert _comments(merged.text) == _comments(text)
    assert (
        '    /* before git */ "git": {\n      "command": "npx",\n      "args": [\n'
        '        "-y",\n        "@acme/weather-mcp@1.2.3"\n      ],\n      "env": {\n'
        '        "API_KEY": "${input:api_key}"\n      }\n    },\n'
        '    // "disabled": {"command": "nothing"}\n'
    ) in merged.text


def test_replace_drops_only_the_comments_inside_the_old_value() -> None:
    merged = merge_entry(COMMENTED, "mcpServers", "files", OTHER, replace=True)
    _check_replace_around(COMMENTED, merged, "mcpServers", "files", OTHER)
    inside = {"// the launcher", "/* inline */"}
    assert _comments(merged.text) == [c for c in _comments(COMMENTED) if c not in inside]


def _check_replace_around(
    original: str, merged: Merged, section: str, key: str, entry: Any
) -> None:
    before, after = _read(original), _read(merged.text)
    before[section][key] = entry
    assert after == before
    assert list(after[section]) == list(before[section])
    assert merged.replaced


def test_replace_in_a_one_line_section_stays_on_the_line() -> None:
    text = '{"mcpServers": {"a": {"command": "x"}, "b": 2}} // tail'
    merged = merge_entry(text, "mcpServers", "a", {"command": "y"}, replace=True)
    _check_replace(text, merged, "mcpServers", "a", {"command": "y"})
    assert merged.text == '{"mcpServers": {"a": {"command": "y"}, "b": 2}} // tail'


def test_replace_with_crlf_and_tabs() -> None:
    text = '{\r\n\t"servers": {\r\n\t\t"a": 1, // one\r\n\t\t"b": 2\r\n\t}\r\n}\r\n'
    merged = merge_entry(text, "servers", "a", {"k": [1]}, replace=True)
    _check_replace(text, merged, "servers", "a", {"k": [1]})
    assert merged.text == (
        '{\r\n\t"servers": {\r\n\t\t"a": {\r\n\t\t\t"k": [\r\n\t\t\t\t1\r\n\t\t\t]\r\n\t\t},'
        ' // one\r\n\t\t"b": 2\r\n\t}\r\n}\r\n'
    )


# ---------------------------------------------------------------------------------------
# VS Code's inputs


VSCODE = """\
{
  // inputs first, as VS Code writes them
  "inputs": [
    {"id": "token", "type": "promptString", "password": true}, // a token
  ],
  "servers": {
    "github": {"type": "http", "url": "https://api.example.com/mcp/"}
  }
}
"""


def test_inputs_are_appended_by_id() -> None:
    other = {"id": "region", "type": "pickString", "options": ["eu", "us"]}
    merged = merge_entry(VSCODE, "servers", "weather", ENTRY, inputs=[INPUT, other])
    _check_insert(VSCODE, merged, "servers", "weather", ENTRY)
    assert _read(merged.text)["inputs"] == [
        {"id": "token", "type": "promptString", "password": True},
        INPUT,
        other,
    ]
    assert merged.added_inputs == ("api_key", "region")
    assert merged.kept_inputs == ()
    # The array had a trailing comma: each appended input keeps the style.
    assert '// a token\n    {\n      "id": "api_key",\n' in merged.text
    assert '"options": [\n        "eu",\n        "us"\n      ]\n    },\n  ],\n' in merged.text


def test_input_with_the_same_id_is_kept_and_reported() -> None:
    changed = {"id": "token", "type": "promptString", "password": False}
    same = {"id": "token", "type": "promptString", "password": True}
    merged = merge_entry(VSCODE, "servers", "weather", ENTRY, inputs=[changed])
    _check_insert(VSCODE, merged, "servers", "weather", ENTRY)
    assert merged.kept_inputs == ("token",)
    assert merged.added_inputs == ()
    assert _read(merged.text)["inputs"] == [same]
    again = merge_entry(VSCODE, "servers", "weather", ENTRY, inputs=[same])
    assert again.kept_inputs == ()
    assert again.text == merged.text


def test_inputs_created_when_missing() -> None:
    text = '{\n  "servers": {}\n}\n'
    merged = merge_entry(text, "servers", "weather", ENTRY, inputs=[INPUT])
    _check_insert(text, merged, "servers", "weather", ENTRY)
    assert list(_read(merged.text)) == ["servers", "inputs"]
    assert _read(merged.text)["inputs"] == [INPUT]


def test_unchanged_entry_still_gets_its_missing_inputs() -> None:
    text = '{"servers": {"w": {"command": "x"}}, "inputs": []}'
    merged = merge_entry(text, "servers", "w", {"command": "x"}, inputs=[INPUT])
    assert merged.existed
    assert not merged.unchanged
    assert not merged.replaced
    assert _read(merged.text) == {"servers": {"w": {"command": "x"}}, "inputs": [INPUT]}
    assert merged.text.startswith('{"servers": {"w": {"command": "x"}}, "inputs": [\n  {\n')


def test_no_inputs_leave_a_bad_inputs_member_alone() -> None:
    text = '{"servers": {}, "inputs": "not an array"}'
    merged = merge_entry(text, "servers", "w", {"command": "x"})
    _check_insert(text, merged, "servers", "w", {"command": "x"})


def test_an_input_needs_an_id() -> None:
    with pytest.raises(ValueError, match="string 'id'"):
        merge_entry(None, "servers", "w", ENTRY, inputs=[{"type": "promptString"}])


# ---------------------------------------------------------------------------------------
# Unicode and escaping


def test_unicode_values_are_written_as_text() -> None:
    text = '{\n  "mcpServers": {\n    "météo": {"command": "x"} // déjà là\n  }\n}\n'
    entry = {"command": "wetter", "env": {"GRÜSSE": "日本語 ✓ 🌦", "LS": "\u2028"}}
    merged = merge_entry(text, "mcpServers", "天気", entry)
    _check_insert(text, merged, "mcpServers", "天気", entry)
    assert '"天気": {' in merged.text
    assert '"GRÜSSE": "日本語 ✓ 🌦"' in merged.text
    assert "// déjà là" in merged.text
    merged.text.encode("utf-8")


def test_lone_surrogate_is_escaped_so_the_file_stays_utf8() -> None:
    merged = merge_entry(None, "mcpServers", "w", {"command": "\ud800"})
    merged.text.encode("utf-8")
    assert json.loads(merged.text)["mcpServers"]["w"]["command"] == "\ud800"


@pytest.mark.parametrize("key", ['we"ird\\key', "tab\there", "slash/*not a comment*/", "\x01"])
def test_key_needing_escapes(key: str) -> None:
    text = '{\n  "mcpServers": {\n    "a": 1 // one\n  }\n}\n'
    merged = merge_entry(text, "mcpServers", key, OTHER)
    _check_insert(text, merged, "mcpServers", key, OTHER)
    assert json.dumps(key) + ": {" in merged.text
    # And the escaped key is found again: the same entry is now unchanged.
    assert merge_entry(merged.text, "mcpServers", key, OTHER).unchanged


def test_escaped_key_in_the_file_matches() -> None:
    text = '{"mcpServers": {"\\u0061b\\/c": {"x": 1}}}'
    assert merge_entry(text, "mcpServers", "ab/c", {"x": 1}).unchanged


# ---------------------------------------------------------------------------------------
# Files that cannot be edited


@pytest.mark.parametrize(
    ("text", "line", "column", "says"),
    [
        ("[1, 2]", 1, 1, "holds an array, not a JSON object"),
        ('"text"', 1, 1, "holds a string"),
        ("// only a comment\n", 2, 1, "no JSON value"),
        ('{\n  "a": "open\n}', 2, 8, "unterminated string"),
        ('{\n  "a": 1 /* open\n}', 2, 10, "unterminated /* comment"),
        ('{"a": [1, 2}', 1, 12, "mismatched brackets: '}' cannot close the '[' at line 1, col"),
        ('{"a": {"b": 1]', 1, 14, "mismatched brackets: ']' cannot close the '{' at line 1, col"),
        ('{"a": 1', 1, 8, "the '{' at line 1, column 1 is never closed"),
        ('{\n  "a": [1,\n', 3, 1, "the '[' at line 2, column 8 is never closed"),
        ('{"a": 1} {"b": 2}', 1, 10, "after the top-level value"),
        ('{"a": 1 "b": 2}', 1, 9, "expected ',' or '}', found a string"),
        ("{'a': 1}", 1, 2, 'unexpected character "\'"'),
        ('{"a": tru}', 1, 7, "'tru': not a JSON value"),
        ('{"a": 01}', 1, 7, "'01': not a JSON value"),
        ('{"a": NaN}', 1, 7, "'NaN': not a JSON value"),
        ('{"a": "\\x"}', 1, 8, "invalid escape \\x"),
        ('{"a": "\\u12"}', 1, 8, "four hex digits"),
        ('{"a": "tab\there"}', 1, 11, "control character (U+0009)"),
        ('{"a",}', 1, 5, "expected ':' after the key"),
        ("{,}", 1, 2, "expected a key (a string) or '}', found ','"),
        ('{"a": [1,,2]}', 1, 10, "expected a value, found ','"),
        ("\r\n\r\n{1: 2}", 3, 2, "expected a key"),
        ('{"mcpServers": [1]}', 1, 16, "'mcpServers' is an array, not an object"),
        ('{"mcpServers": null}', 1, 16, "'mcpServers' is null, not an object"),
        ('{"mcpServers": {}, "mcpServers": {}}', 1, 20, "'mcpServers' appears twice"),
        ('{"mcpServers": {"w": 1, "w": 2}}', 1, 25, "'w' appears twice in 'mcpServers'"),
        ('{"inputs": {}, "mcpServers": {}}', 1, 12, "'inputs' is an object, not an array"),
        ('\ufeff{"mcpServers": 1}', 1, 16, "'mcpServers' is a number, not an object"),
        ('{"mcpServers": true}', 1, 16, "'mcpServers' is true or false, not an object"),
    ],
)
def test_malformed_files_are_refused_where_they_break(
    text: str, line: int, column: int, says: str
) -> None:
    original = str(text)
    with pytest.raises(ConfigFileError) as caught:
        merge_entry(text, "mcpServers", "w", ENTRY, inputs=[INPUT])
    error = caught.value
    assert isinstance(error, ValueError)
    assert not isinstance(error, EditCheckError)
    assert says in str(error)
    assert (error.line, error.column) == (line, column), str(error)
    assert str(error).startswith(f"line {line}, column {column}: ")
    assert text == original


def test_deep_nesting_is_refused_not_crashed() -> None:
    text = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(ConfigFileError, match="nested more than"):
        merge_entry(text, "mcpServers", "w", ENTRY)


# ---------------------------------------------------------------------------------------
# Property: random documents, random layout, random comments


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_OBJECTS = st.dictionaries(st.text(max_size=6), _VALUES, max_size=4)
_COMMENTS = st.sampled_from(
    [
        "/* c{n} */",
        "/*c{n}*/",
        '/* c{n} "quoted" {{ [ , */',
        "/* c{n}\n  spans lines // not a line comment */",
        "// c{n}\n",
        "// c{n} /* not a block */ }} ,\n",
    ]
)


def _gaps(text: str) -> list[int]:
    """Positions between tokens of json.dumps output (outside strings)."""
    found = [0, len(text)]
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                found.append(i + 1)
        elif ch == '"':
            in_string = True
            found.append(i)
        elif ch in "{}[]:,":
            found.extend((i, i + 1))
    return sorted(set(found))


def _trailing_comma_spots(text: str) -> list[int]:
    """Positions just before a closer that follows a value (not an opener)."""
    spots = []
    in_string = escaped = False
    last = ""
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                last = '"'
            continue
        if ch == '"':
            in_string = True
        elif ch in "}]" and last not in ("{", "[", ""):
            spots.append(i)
        if not ch.isspace():
            last = ch
    return spots


@st.composite
def _documents(draw: st.DrawFn) -> tuple[str, str, str, Any]:
    section = draw(st.sampled_from(["servers", "mcpServers"]))
    document = draw(_OBJECTS)
    document.pop("inputs", None)
    if draw(st.booleans()):
        document[section] = draw(st.dictionaries(st.text(max_size=6), _OBJECTS, max_size=3))
    else:
        document.pop(section, None)
    key = draw(st.text(max_size=6))
    if document.get(section) and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(document[section])))  # sometimes a key that exists
    entry = draw(_OBJECTS)
    indent = draw(st.sampled_from([None, 0, 1, 2, 3, 4, "\t"]))
    text = json.dumps(document, indent=indent, ensure_ascii=draw(st.booleans()))
    spots = _trailing_comma_spots(text)
    for spot in sorted(draw(st.sets(st.sampled_from(spots), max_size=3)) if spots else [])[::-1]:
        text = text[:spot] + "," + text[spot:]
    gaps = _gaps(text)
    chosen = sorted(draw(st.sets(st.sampled_from(gaps), min_size=1, max_size=8)), reverse=True)
    for n, gap in enumerate(chosen):
        comment = draw(_COMMENTS).format(n=n)
        text = text[:gap] + comment + text[gap:]
    if draw(st.booleans()):
        text += "\n"
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text, section, key, entry


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents())
def test_property_merge_gives_original_plus_entry(case: tuple[str, str, str, Any]) -> None:
    text, section, key, entry = case
    original = _read(text)
    existing = original.get(section, {}).get(key)
    if key in original.get(section, {}) and _canonical(existing) != _canonical(entry):
        with pytest.raises(EntryExistsError) as caught:
            merge_entry(text, section, key, entry)
        assert _read(caught.value.existing) == existing
        merged = merge_entry(text, section, key, entry, replace=True)
        _check_replace_around(text, merged, section, key, entry)
        inside = _comments(caught.value.existing)
        assert _comments(merged.text) == [c for c in _comments(text) if c not in inside]
    else:
        merged = merge_entry(text, section, key, entry)
        _check_insert(text, merged, section, key, entry)
        assert merged.existed == (key in original.get(section, {}))
        assert merged.unchanged == merged.existed
    if "\r\n" in text:
        assert "\n" not in merged.text.replace("\r\n", "")
    assert merged.text.endswith("\n") == text.endswith("\n")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
