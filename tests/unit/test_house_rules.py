"""Rules of the code base that no linter checks: where backend differences live, where wire
names are spelled, and how large a module may grow."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "registrum"
SEAM = SRC / "storage" / "dialects.py"
# Past schema changes are written per backend by nature.
MIGRATIONS = SRC / "storage" / "migrations"

# A branch on the database backend: its name compared, or asked for.
_BACKEND_BRANCH = re.compile(
    r"dialect\.name|get_backend_name\(\)|[=!]=\s*[\"'](?:postgresql|sqlite)[\"']"
    r"|\b_?postgres\b\s*(?:=|:|\))|if\s+(?:self\.)?_?postgres\b|startswith\([\"']sqlite"
)
MAX_LINES = 520
WIRE = SRC / "core" / "wire.py"
# A camelCase string: the API's member names are spelled so (server.json's own members, such
# as ``registryType``, are too, but they are not wire.py's to name).
_CAMEL = re.compile(r"^[a-z]+[A-Z][A-Za-z]*$")


def sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if MIGRATIONS not in p.parents)


def test_backend_differences_live_in_the_dialect_seam() -> None:
    offending = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sources()
        if path != SEAM
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if _BACKEND_BRANCH.search(line)
    ]
    assert offending == [], "backend branches outside storage/dialects.py:\n" + "\n".join(offending)


def test_the_rule_sees_a_backend_branch() -> None:
    for line in (
        'if engine.dialect.name == "postgresql":',
        "if self._postgres:",
        'postgres = url.startswith("postgres")',
        'if parsed.get_backend_name() != "sqlite":',
    ):
        assert _BACKEND_BRANCH.search(line), line


def test_no_module_grows_past_about_five_hundred_lines() -> None:
    long = {
        str(path.relative_to(SRC)): n
        for path in sources()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def _wire_names() -> set[str]:
    """The camelCase values of core/wire.py's module-level string constants."""
    names: set[str] = set()
    for node in ast.parse(WIRE.read_text()).body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        text = value.value if isinstance(value, ast.Constant) else None
        if isinstance(text, str) and _CAMEL.match(text):
            names.add(text)
    return names


def _docstrings(tree: ast.Module) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def wire_literals(source: str, names: set[str]) -> list[tuple[int, str]]:
    """Where ``source`` spells one of ``names`` as a string literal (docstrings aside: they
    may name a member in prose)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in names
        and id(node) not in docs
    ]


def test_wire_names_are_spelled_only_in_core_wire() -> None:
    names = _wire_names()
    offending = [
        f"{path.relative_to(SRC)}:{line}: {value!r} (use the constant of core/wire.py)"
        for path in sources()
        if path != WIRE
        for line, value in wire_literals(path.read_text(), names)
    ]
    assert offending == [], "wire names spelled outside core/wire.py:\n" + "\n".join(offending)


def test_the_rule_sees_a_wire_name_and_not_a_docstring() -> None:
    names = _wire_names()
    assert {"newName", "statusMessage", "nextCursor", "serverId", "offerId"} <= names
    planted = (
        'def f(raw):\n    """Reads raw["newName"]; newName is the member."""\n'
        '    return raw.get("newName"), {"statusMessage": 1}, "registryType"\n'
    )
    assert wire_literals(planted, names) == [(3, "newName"), (3, "statusMessage")]
