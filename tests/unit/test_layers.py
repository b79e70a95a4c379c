"""Every top-level package of registrum has a place in the layers contract of pyproject.toml,
so a new one is constrained from its first commit instead of importing anything (and being
imported by anything). lint-imports fails too (the contract is exhaustive); this says it in
the test run, and checks that the contract stays exhaustive and covers every package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "registrum"


def top_level_modules() -> set[str]:
    """The importable children of registrum: packages and modules, as import-linter sees
    them (not data files such as py.typed)."""
    found = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    found |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return found


def layers_contract() -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layered = [c for c in contracts if c["type"] == "layers"]
    assert len(layered) == 1, "one layers contract orders the whole package"
    contract: dict[str, Any] = layered[0]
    return contract


def named(contract: dict[str, Any]) -> list[str]:
    return [
        name.strip()
        for layer in contract["layers"]
        for name in re.split(r"[|:]", layer)
        if name.strip()
    ]


def test_every_top_level_package_has_a_layer() -> None:
    contract = layers_contract()
    assert contract["containers"] == ["registrum"]
    missing = top_level_modules() - set(named(contract))
    assert not missing, (
        f"{sorted(missing)} not in the layers contract of pyproject.toml: give each a layer "
        "(and say so in docs/architecture.md)"
    )


def test_the_layers_name_only_what_exists_and_each_once() -> None:
    names = named(layers_contract())
    assert len(names) == len(set(names)), "a package is in two layers"
    assert set(names) <= top_level_modules(), "the layers name a package that is gone"


def test_the_contract_is_exhaustive() -> None:
    # Without it lint-imports would leave an unlisted package unchecked.
    assert layers_contract().get("exhaustive") is True
