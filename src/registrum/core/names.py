"""Server names: ``reverse-dns-namespace/server-name``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from registrum.core.errors import Problem

NAME_MIN: Final = 3
NAME_MAX: Final = 200
# The schema's pattern, then the official registry's stricter per-part rules:
# each part must start and end with a letter or digit. Use fullmatch: '$' alone would also
# accept a trailing newline, which Go's regexp does not.
SCHEMA_NAME_RE: Final = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")
NAMESPACE_RE: Final = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]$")
SERVER_PART_RE: Final = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$")

NAME_FIX: Final = (
    "use the form 'namespace/server-name' in reverse-DNS style, "
    "for example 'io.github.alice/weather' or 'com.example/tools'"
)


def split_name(name: str) -> tuple[str, str]:
    namespace, _, server = name.partition("/")
    return namespace, server


def name_problems(name: str, path: str = "name") -> list[Problem]:
    """Every problem with a server name, each with a fix-it message."""
    if not (NAME_MIN <= len(name) <= NAME_MAX):
        return [
            Problem(
                path,
                f"name must be {NAME_MIN} to {NAME_MAX} characters long (it has {len(name)})",
                name,
                rule="name-length",
            )
        ]
    slashes = name.count("/")
    if slashes == 0:
        return [
            Problem(
                path,
                f"name has no '/' separating namespace and server name: {NAME_FIX}",
                name,
                rule="name-format",
            )
        ]
    if slashes > 1:
        return [
            Problem(
                path,
                f"name has {slashes} '/' characters but must have exactly one: {NAME_FIX}",
                name,
                rule="name-format",
            )
        ]
    namespace, server = split_name(name)
    problems: list[Problem] = []
    if not NAMESPACE_RE.fullmatch(namespace):
        problems.append(
            Problem(
                path,
                f"namespace '{namespace}' is invalid: it needs at least two characters, may "
                "contain only letters, digits, '.' and '-', and must start and end with a "
                f"letter or digit; {NAME_FIX}",
                name,
                rule="namespace-format",
            )
        )
    if not SERVER_PART_RE.fullmatch(server):
        problems.append(
            Problem(
                path,
                f"server name '{server}' is invalid: it needs at least two characters, may "
                "contain only letters, digits, '.', '_' and '-', and must start and end with a "
                "letter or digit",
                name,
                rule="server-name-format",
            )
        )
    return problems


def is_valid_name(name: str) -> bool:
    return not name_problems(name)


@dataclass(frozen=True, slots=True)
class MoveCommand:
    """A request to move a server to ``new_name`` (a rename or a transfer offer), the name
    already checked by :func:`name_problems` (api/commands.py builds it from a body)."""

    new_name: str
