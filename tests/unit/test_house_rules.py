"""Rules of the code base that no linter checks: where backend differences live, and how
large a module may grow."""

from __future__ import annotations

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
