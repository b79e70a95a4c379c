"""Validation of server.json documents: the schema's shapes plus the official semantic rules.

Every problem is reported at once, each with its JSON path (``packages[0].version``) and a
message that says how to fix it. Structural checks come from the model in
:mod:`registrum.core.server_json`; the rules that look across fields in
:mod:`registrum.core.semantic_rules`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from registrum.core.errors import DocumentInvalidError, Problem
from registrum.core.json_input import parse_json as parse_json  # where bodies are decoded
from registrum.core.semantic_rules import meta_problems, scalar
from registrum.core.semantic_rules import semantic_problems as semantic_problems
from registrum.core.server_json import (
    Argument,
    Icon,
    Input,
    KeyValueInput,
    LocalTransport,
    Package,
    RemoteTransport,
    Repository,
    ServerDetail,
)

_FIELD_HINTS: Final = {
    "name": "a reverse-DNS name such as 'io.github.alice/weather'",
    "description": "a one-line description of what the server does (at most 100 characters)",
    "version": "the exact version being published, such as '1.0.0'",
    "registryType": "the package registry type, such as 'npm', 'pypi', 'oci', 'nuget', "
    "'mcpb' or 'cargo'",
    "identifier": "the package name (or the download URL for 'mcpb')",
    "transport": 'the transport, for example {"type": "stdio"}',
    "type": "the type member",
    "url": "an http:// or https:// URL",
    "source": "the hosting service, for example 'github'",
    "src": "the https:// URL of the icon",
}
# 'name' below the top level is a variable, header or argument name, not the server name.
_NESTED_NAME_HINT: Final = "the name, such as 'API_KEY', 'Authorization' or '--port'"
_PATTERN_HINTS: Final = {
    "fileSha256": "must be the 64 lowercase hexadecimal characters of the file's SHA-256 hash",
    "url": "must start with http:// or https:// and contain no spaces",
    "sizes": "must be a size like '48x48', or 'any'",
    "name": "must look like 'namespace/server-name' using letters, digits, '.', '_' and '-'",
}


@dataclass(slots=True)
class ValidationReport:
    """The outcome of validating one document."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    document: ServerDetail | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> ServerDetail:
        if self.errors or self.document is None:
            n = len(self.errors)
            raise DocumentInvalidError(
                f"server.json is invalid: {n} problem{'s' if n != 1 else ''} found "
                "(see errors for each one and how to fix it)",
                self.errors,
            )
        return self.document


# Far deeper than any server.json needs, and far below what the model and the JSON encoder
# can walk (both stop at about 255 levels): deeper input would fail on the way to storage.
MAX_DEPTH: Final = 64


def too_deep(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """The JSON path of the first array or object nested more than ``limit`` levels deep
    (``""`` for the value itself), or None. Iterative: the input may be deeper than Python's
    recursion limit."""
    # Paths are built only for a document found too deep: building one per member made this
    # walk a third of an import's validation time. The first walk recurses (fastest) but
    # never below ``limit + 1`` levels, so it cannot exhaust Python's stack.
    return _deep_path(value, limit) if _deeper(value, 1, limit) else None


def _deeper(node: Any, depth: int, limit: int) -> bool:
    if isinstance(node, dict):
        children: Iterable[Any] = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return False
    if depth > limit:
        return True
    return any(
        _deeper(child, depth + 1, limit) for child in children if isinstance(child, dict | list)
    )


def _deep_path(value: Any, limit: int) -> str:
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict):
            children = [(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()]
        elif isinstance(node, list):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(node)]
        else:
            continue
        if depth > limit:
            return path
        stack.extend((child, child_path, depth + 1) for child, child_path in children)
    raise AssertionError("called for a value nested too deep")


def json_path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    loc = err["loc"]
    last = next((p for p in reversed(loc) if isinstance(p, str)), "")
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        nested_name = last == "name" and len(loc) > 1
        hint = _NESTED_NAME_HINT if nested_name else _FIELD_HINTS.get(str(last))
        return f"'{last}' is required" + (f": add {hint}" if hint else "")
    if kind == "string_type":
        return f"must be a string, not {_type_name(value)}"
    if kind == "bool_type":
        return f"must be true or false, not {_type_name(value)}"
    if kind in ("list_type",):
        return f"must be an array, not {_type_name(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be an object, not {_type_name(value)}"
    if kind == "string_too_long":
        n = len(value) if isinstance(value, str) else "?"
        return f"must be at most {ctx.get('max_length')} characters (it has {n}): shorten it"
    if kind == "string_too_short":
        return f"must be at least {ctx.get('min_length')} character(s): it is empty or too short"
    if kind == "string_pattern_mismatch":
        hint = _PATTERN_HINTS.get(str(last))
        return hint or f"must match the pattern {ctx.get('pattern')}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, not {value!r}"
    if kind == "value_error":
        msg = str(err.get("msg", ""))
        return msg.removeprefix("Value error, ")
    return str(err.get("msg", kind))


def _structural(raw: dict[str, Any]) -> tuple[ServerDetail | None, list[Problem]]:
    try:
        return ServerDetail.model_validate(raw), []
    except ValidationError as exc:
        problems = [
            Problem(
                json_path(e["loc"]),
                _message(e),
                scalar(e.get("input")),
                kind="schema",
                rule=f"schema:{e['type']}",
            )
            for e in exc.errors(include_url=False)
        ]
        return None, problems


# Where each model's nested models sit, to find unknown members at any depth, valid or not.
_NESTED: Final[dict[type[BaseModel], dict[str, tuple[str, type[BaseModel]]]]] = {
    ServerDetail: {
        "repository": ("one", Repository),
        "icons": ("list", Icon),
        "packages": ("list", Package),
        "remotes": ("list", RemoteTransport),
    },
    Package: {
        "transport": ("one", LocalTransport),
        "runtimeArguments": ("list", Argument),
        "packageArguments": ("list", Argument),
        "environmentVariables": ("list", KeyValueInput),
    },
    LocalTransport: {"headers": ("list", KeyValueInput)},
    RemoteTransport: {"headers": ("list", KeyValueInput), "variables": ("map", Input)},
    Argument: {"variables": ("map", Input)},
    KeyValueInput: {"variables": ("map", Input)},
}


# Members older schemas had, with what replaced them (schema changelog).
_RETIRED_MEMBERS: Final = {
    "status": "status is no longer part of server.json (since schema 2025-09-29): "
    "set it with PATCH /v0.1/servers/{name}/versions/{version}/status",
    "version_detail": "use the top-level 'version' member (since schema 2025-09-16)",
}


def _suggest(key: str, known: set[str]) -> str:
    """A spelling fix for an unknown member: the camelCase form older documents used in
    snake_case (``registry_type``), a different case (``websiteURL``), or a near miss."""
    if key in _RETIRED_MEMBERS:
        return _RETIRED_MEMBERS[key]
    camel = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)
    by_lower = {k.lower(): k for k in known}
    match = by_lower.get(camel.lower())
    if match is None:
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.8)
        match = close[0] if close else None
    return f"did you mean '{match}'?" if match else "check its spelling"


def _unknown_members(
    raw: Any, model: type[BaseModel] = ServerDetail, path: str = ""
) -> list[Problem]:
    if not isinstance(raw, dict):
        return []
    known = {f.alias or name for name, f in model.model_fields.items()}
    nested = _NESTED.get(model, {})
    out: list[Problem] = []
    for key, value in raw.items():
        sub = f"{path}.{key}" if path else str(key)
        if key not in known:
            out.append(
                Problem(
                    sub,
                    f"unknown member '{key}' will be dropped: {_suggest(str(key), known)}",
                    severity="warning",
                    kind="schema",
                    rule="unknown-member",
                )
            )
        elif key in nested:
            shape, child = nested[key]
            if shape == "one":
                out += _unknown_members(value, child, sub)
            elif shape == "list" and isinstance(value, list):
                for i, item in enumerate(value):
                    out += _unknown_members(item, child, f"{sub}[{i}]")
            elif shape == "map" and isinstance(value, dict):
                for name, item in value.items():
                    out += _unknown_members(item, child, f"{sub}.{name}")
    return out


def _nul_problems(value: Any, path: str = "") -> list[Problem]:
    """A NUL character cannot be stored as text by PostgreSQL (nor in its JSON types), and no
    server.json needs one: refuse it anywhere, ``_meta`` included."""
    if isinstance(value, str):
        if "\x00" in value:
            return [
                Problem(
                    path,
                    "must not contain the NUL character (\\u0000)",
                    kind="schema",
                    rule="nul-character",
                )
            ]
        return []
    problems: list[Problem] = []
    if isinstance(value, dict):
        for key, member in value.items():
            sub = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                problems.append(
                    Problem(
                        sub,
                        "member names must not contain NUL",
                        kind="schema",
                        rule="nul-character",
                    )
                )
            problems += _nul_problems(member, sub)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problems += _nul_problems(item, f"{path}[{i}]")
    return problems


def _null_problems(value: Any, path: str = "") -> list[Problem]:
    """``null`` is never a valid member value in server.json (every member has a non-null
    type); the free-form ``_meta`` object is left alone."""
    problems: list[Problem] = []
    if isinstance(value, dict):
        for key, member in value.items():
            if not path and key == "_meta":
                continue
            sub = f"{path}.{key}" if path else str(key)
            if member is None:
                problems.append(
                    Problem(
                        sub,
                        "must not be null: remove the member, or give it a value",
                        kind="schema",
                        rule="schema:null",
                    )
                )
            else:
                problems += _null_problems(member, sub)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            sub = f"{path}[{i}]"
            if item is None:
                problems.append(
                    Problem(
                        sub, "must not be null: remove the item", kind="schema", rule="schema:null"
                    )
                )
            else:
                problems += _null_problems(item, sub)
    return problems


def _merge(structural: Sequence[Problem], semantic: Sequence[Problem]) -> list[Problem]:
    # A semantic rule explains a broken name or URL better than the bare pattern does, so a
    # structural problem on a path that also has a semantic one is left out.
    semantic_paths = {p.path for p in semantic}
    kept = [p for p in structural if p.path not in semantic_paths]
    seen: set[tuple[str, str]] = set()
    out: list[Problem] = []
    for p in [*kept, *semantic]:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def _scan(raw: dict[str, Any]) -> tuple[bool, bool]:
    """Whether the document may hold a ``null`` and a NUL, found in its JSON text (in C):
    most hold neither, and then their walks are skipped."""
    try:
        text = orjson.dumps(raw)
    except (TypeError, orjson.JSONEncodeError):
        return True, True
    return b"null" in text, b"\\u0000" in text


def validate_server_json(
    raw: Any, *, non_current_schema: str = "error", with_warnings: bool = True
) -> ValidationReport:
    """Check a decoded server.json document; never raises for a bad document.

    ``non_current_schema`` is ``"error"`` for publishing (the official registry refuses a
    document that declares an older schema) or ``"warning"`` for importing existing data whose
    shape is still valid. ``with_warnings=False`` leaves out the warnings (what is dropped at
    publish) for callers that only need the errors.
    """
    if not isinstance(raw, dict):
        return ValidationReport(
            errors=[
                Problem(
                    "",
                    f"a server.json document must be a JSON object, not {_type_name(raw)}",
                )
            ]
        )
    deep = too_deep(raw)
    if deep is not None:
        return ValidationReport(
            errors=[
                Problem(
                    deep, f"nested more than {MAX_DEPTH} levels deep", kind="json", rule="too-deep"
                )
            ]
        )
    document, structural = _structural(raw)
    reported = {p.path for p in structural}
    nulls, nuls = _scan(raw)
    walked = [*(_null_problems(raw) if nulls else ()), *(_nul_problems(raw) if nuls else ())]
    structural += [p for p in walked if p.path not in reported]
    meta_errors, meta_warnings = meta_problems(raw)
    semantic = semantic_problems(raw, non_current_schema)
    errors = _merge(structural, [*(p for p in semantic if p.severity == "error"), *meta_errors])
    if not with_warnings:
        return ValidationReport(errors=errors, document=None if errors else document)
    warnings = [
        *(p for p in semantic if p.severity != "error"),
        *_unknown_members(raw),
        *meta_warnings,
    ]
    return ValidationReport(errors=errors, warnings=warnings, document=None if errors else document)


def remote_urls_of(document: ServerDetail) -> tuple[str, ...]:
    """The remote URLs a document names, each once, in order."""
    return tuple(dict.fromkeys(r.url for r in document.remotes or ()))
