"""Ownership markers: how a package says which MCP server it belongs to, as the
official registry reads it.

A package proves it belongs to a server by naming the server where only the package's
owner can write: a ``mcpName`` member in an npm version's package.json, an OCI image label,
or a ``mcp-name: <server name>`` line in the README that PyPI, NuGet and crates publish with
each version. The README rule needs care: ``mcp-name: io.github.alice/weather`` must not be
satisfied by ``mcp-name: io.github.alice/weather-extra``, so a match counts only where the
name ends (the official registry's boundary rule, ``mcpname.go``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

NPM_NAME_FIELD: Final = "mcpName"
OCI_NAME_LABEL: Final = "io.modelcontextprotocol.server.name"
README_MARKER: Final = "mcp-name: "

# Characters a server name can hold: a marker followed by one of them names a longer name.
_NAME_CHAR: Final = re.compile(r"[A-Za-z0-9._/-]")
_NAME_RUN: Final = re.compile(r"[A-Za-z0-9._/-]*")
# An HTML comment may close right after the name (`<!-- mcp-name: a/b-->`), even though
# '-' is a name character.
_COMMENT_CLOSE: Final = ("-->", "--!>")
_ANY_MARKER: Final = re.compile(r"mcp-name:[ \t]*([A-Za-z0-9._/-]+)")


class Marker(Enum):
    FOUND = "found"
    GLUED = "glued"  # the name, followed by more name characters: a longer name
    OTHER = "other"  # a marker for some other name
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class MarkerMatch:
    state: Marker
    # The name the text does carry, when it carries a wrong one (GLUED, OTHER).
    found: str | None = None


def readme_marker(name: str) -> str:
    """The exact line a README must contain for ``name``."""
    return f"{README_MARKER}{name}"


def find_readme_marker(text: str, name: str) -> MarkerMatch:
    """Look for ``mcp-name: <name>`` in ``text`` with the boundary rule.

    An occurrence that runs on into a longer name does not count, but a later occurrence
    may; so every occurrence is tried before reporting the nearest miss.
    """
    token = readme_marker(name)
    glued: str | None = None
    start = 0
    while (at := text.find(token, start)) >= 0:
        rest = text[at + len(token) :]
        if not rest or not _NAME_CHAR.match(rest) or rest.startswith(_COMMENT_CLOSE):
            return MarkerMatch(Marker.FOUND)
        if glued is None:
            run = _NAME_RUN.match(rest)
            glued = name + (run.group(0) if run else "")
        start = at + 1
    if glued is not None:
        return MarkerMatch(Marker.GLUED, glued)
    other = _ANY_MARKER.search(text)
    if other is not None:
        return MarkerMatch(Marker.OTHER, other.group(1))
    return MarkerMatch(Marker.ABSENT)
