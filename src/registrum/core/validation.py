"""Validation of server.json documents: the schema's shapes plus the official semantic rules.

Every problem is reported at once, each with its JSON path (``packages[0].version``) and a
message that says how to fix it. Structural checks come from the model in
:mod:`registrum.core.server_json`; the rules that look across fields are here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from registrum.core import wire
from registrum.core.errors import DocumentInvalidError, Problem
from registrum.core.json_input import parse_json as parse_json  # where bodies are decoded
from registrum.core.names import name_problems
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
from registrum.core.versioning import version_problems

_TEMPLATE_VAR_RE: Final = re.compile(r"\{([^{}]*)\}")
_NAMED_ARG_FORBIDDEN: Final = re.compile(r"[<>\s$]")
_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "[::1]"})
_REPO_URL_RE: Final = {
    "github": re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/?$"),
    "gitlab": re.compile(r"^https://gitlab\.com/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+/?$"),
}
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


def _scalar(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else None


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
                _scalar(e.get("input")),
                kind="schema",
                rule=f"schema:{e['type']}",
            )
            for e in exc.errors(include_url=False)
        ]
        return None, problems


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _list(obj: Any, key: str) -> list[Any]:
    value = _get(obj, key)
    return value if isinstance(value, list) else []


def _split_url(url: str) -> SplitResult | None:
    """``urlsplit``, or None for a URL it cannot split at all (an unclosed '[' of an IPv6
    literal, for one): such a URL is refused like any other malformed one, not a crash."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _https_problem(path: str, value: Any, what: str) -> list[Problem]:
    if not isinstance(value, str):
        return []
    parts = _split_url(value)
    if parts is None or parts.scheme != "https" or not parts.netloc:
        return [Problem(path, f"{what} must be an absolute https:// URL", value, rule="https-url")]
    return []


def _template_vars(url: str) -> list[str]:
    return _TEMPLATE_VAR_RE.findall(url)


def _schema_problems(doc: dict[str, Any], non_current_schema: str) -> list[Problem]:
    schema = doc.get("$schema")
    if schema is None or schema == "":
        return [
            Problem(
                "$schema",
                f'"$schema" is required: add "$schema": "{wire.CURRENT_SCHEMA_URL}"',
                rule="schema-field-required",
            )
        ]
    if isinstance(schema, str) and schema != wire.CURRENT_SCHEMA_URL:
        return [
            Problem(
                "$schema",
                f"deprecated schema detected: '{schema}'; this registry accepts "
                f"'{wire.CURRENT_SCHEMA_URL}': update \"$schema\" and migrate the document "
                "(see the schema changelog for what changed)",
                schema,
                severity=non_current_schema,
                rule="schema-version-deprecated",
            )
        ]
    return []


def _argument_problems(arg: Any, path: str) -> list[Problem]:
    if not isinstance(arg, dict):
        return []
    problems: list[Problem] = []
    kind = arg.get("type")
    if kind == "positional":
        if arg.get("valueHint") is None and arg.get("value") is None:
            problems.append(
                Problem(
                    path,
                    "a positional argument needs 'valueHint' (a label such as 'file_path') "
                    "or 'value': add one of them",
                    rule="positional-argument-value",
                )
            )
    elif kind == "named":
        name = arg.get("name")
        if name is None:
            problems.append(
                Problem(
                    f"{path}.name",
                    "'name' is required for a named argument: add the flag, such as '--port'",
                    rule="named-argument-name",
                )
            )
        elif isinstance(name, str):
            if not name:
                problems.append(
                    Problem(
                        f"{path}.name",
                        "a named argument's name must not be empty",
                        rule="named-argument-name",
                    )
                )
            elif _NAMED_ARG_FORBIDDEN.search(name):
                problems.append(
                    Problem(
                        f"{path}.name",
                        f"named argument name '{name}' must not contain spaces, '<', '>' or '$': "
                        "give only the flag, such as '--port'",
                        name,
                        rule="named-argument-name",
                    )
                )
            else:
                for member in ("value", "default"):
                    v = arg.get(member)
                    if isinstance(v, str) and v.startswith(name):
                        problems.append(
                            Problem(
                                f"{path}.{member}",
                                f"{member} '{v}' repeats the flag name '{name}': give only the "
                                f"value (for example '8080', not '{name}=8080')",
                                v,
                                rule="named-argument-value",
                            )
                        )
    return problems


def _package_problems(pkg: Any, path: str) -> list[Problem]:
    if not isinstance(pkg, dict):
        return []
    problems: list[Problem] = []
    identifier = pkg.get("identifier")
    if isinstance(identifier, str) and re.search(r"\s", identifier):
        problems.append(
            Problem(
                f"{path}.identifier",
                "package identifier must not contain spaces",
                identifier,
                rule="package-identifier",
            )
        )
    version = pkg.get("version")
    if isinstance(version, str):
        problems += version_problems(version, f"{path}.version")
    names: set[str] = set()
    for key in ("runtimeArguments", "packageArguments"):
        for i, arg in enumerate(_list(pkg, key)):
            problems += _argument_problems(arg, f"{path}.{key}[{i}]")
            for member in ("name", "valueHint"):
                v = _get(arg, member)
                if isinstance(v, str):
                    names.add(v.lstrip("-"))
                    names.add(v)
    for env in _list(pkg, "environmentVariables"):
        v = _get(env, "name")
        if isinstance(v, str):
            names.add(v)
    transport = pkg.get("transport")
    if isinstance(transport, dict):
        kind = transport.get("type")
        url = transport.get("url")
        if kind == "stdio" and url is not None:
            problems.append(
                Problem(
                    f"{path}.transport.url",
                    "a stdio transport has no url: remove 'url', or use type "
                    "'streamable-http' or 'sse'",
                    _scalar(url),
                    rule="transport-url",
                )
            )
        elif kind in ("streamable-http", "sse"):
            if url is None:
                problems.append(
                    Problem(
                        f"{path}.transport.url",
                        f"a '{kind}' transport needs a url such as 'http://localhost:{{port}}/mcp'",
                        rule="transport-url",
                    )
                )
            elif isinstance(url, str):
                for var in _template_vars(url):
                    if var not in names:
                        problems.append(
                            Problem(
                                f"{path}.transport.url",
                                f"url variable '{{{var}}}' is not defined: it must name one of "
                                "this package's environment variables, argument names or "
                                "valueHints",
                                url,
                                rule="transport-url-variable",
                            )
                        )
    return problems


def _remote_problems(remote: Any, path: str) -> list[Problem]:
    if not isinstance(remote, dict):
        return []
    url = remote.get("url")
    if not isinstance(url, str):
        return []
    problems: list[Problem] = []
    variables = remote.get("variables")
    declared = set(variables) if isinstance(variables, dict) else set()
    for var in _template_vars(url):
        if var not in declared:
            problems.append(
                Problem(
                    f"{path}.url",
                    f"url variable '{{{var}}}' is not declared: add it to this remote's "
                    "'variables', or replace it with a literal value",
                    url,
                    rule="remote-url-variable",
                )
            )
    # Hosts are checked with template variables replaced, so 'https://{host}/mcp' passes.
    concrete = _TEMPLATE_VAR_RE.sub("x", url)
    parts = _split_url(concrete)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(
            Problem(
                f"{path}.url",
                "remote url must be an absolute http:// or https:// URL",
                url,
                rule="remote-url",
            )
        )
    elif parts.hostname in _LOCAL_HOSTS or parts.hostname.endswith(".localhost"):
        problems.append(
            Problem(
                f"{path}.url",
                "a remote url must be publicly reachable, not localhost: use the public "
                "address clients connect to",
                url,
                rule="remote-url-local",
            )
        )
    return problems


def _repository_problems(repo: Any) -> list[Problem]:
    if not isinstance(repo, dict):
        return []
    problems: list[Problem] = []
    url, source = repo.get("url"), repo.get("source")
    if isinstance(url, str) and isinstance(source, str):
        pattern = _REPO_URL_RE.get(source)
        if pattern is not None and not pattern.match(url):
            problems.append(
                Problem(
                    "repository.url",
                    f"a '{source}' repository url must look like 'https://{source}.com/owner/repo'",
                    url,
                    rule="repository-url",
                )
            )
    subfolder = repo.get("subfolder")
    if isinstance(subfolder, str):
        segments = subfolder.replace("\\", "/").split("/")
        if subfolder.startswith(("/", "\\")) or ".." in segments or not subfolder.strip():
            problems.append(
                Problem(
                    "repository.subfolder",
                    "subfolder must be a clean relative path inside the repository, such as "
                    "'src/weather' (no leading '/', no '..')",
                    subfolder,
                    rule="repository-subfolder",
                )
            )
    return problems


def _meta_problems(doc: dict[str, Any]) -> tuple[list[Problem], list[Problem]]:
    meta = doc.get("_meta")
    if not isinstance(meta, dict):
        return [], []
    errors: list[Problem] = []
    warnings = [
        Problem(
            f"_meta.{key}",
            f"'_meta.{key}' will be dropped: only '{wire.PUBLISHER_META}' is kept at publish",
            severity="warning",
            rule="meta-dropped",
        )
        for key in meta
        if key != wire.PUBLISHER_META
    ]
    provided = meta.get(wire.PUBLISHER_META)
    if provided is not None:
        if not isinstance(provided, dict):
            errors.append(
                Problem(f"_meta.{wire.PUBLISHER_META}", "must be an object", rule="publisher-meta")
            )
        else:
            size = len(orjson.dumps(provided))
            if size > wire.PUBLISHER_META_MAX_BYTES:
                errors.append(
                    Problem(
                        f"_meta.{wire.PUBLISHER_META}",
                        f"publisher-provided extension exceeds 4KB limit ({size} bytes): "
                        "move large data elsewhere and link to it",
                        rule="publisher-meta-size",
                    )
                )
    return errors, warnings


def semantic_problems(doc: dict[str, Any], non_current_schema: str = "error") -> list[Problem]:
    """The official registry's semantic rules (names, versions, URLs, arguments,
    transports), on the raw document."""
    problems = _schema_problems(doc, non_current_schema)
    name = doc.get("name")
    if isinstance(name, str):
        problems += name_problems(name)
    version = doc.get("version")
    if version == "":
        problems.append(
            Problem(
                "version",
                "version must not be empty: give the exact version, e.g. '1.0.0'",
                rule="version-empty",
            )
        )
    if isinstance(version, str):
        problems += version_problems(version, "version")
        # Beyond the official rules: a version is a URL path segment and part of a list
        # cursor, where control characters are refused; such a version could never be read.
        if any(ord(c) < 32 for c in version):
            problems.append(
                Problem(
                    "version",
                    "version must not contain control characters such as a newline or a tab",
                    version,
                    rule="version-control-characters",
                )
            )
    title = doc.get("title")
    if isinstance(title, str) and title and not title.strip():
        problems.append(
            Problem(
                "title",
                "title must not be only whitespace: remove it or fill it in",
                rule="title-blank",
            )
        )
    problems += _https_problem("websiteUrl", doc.get("websiteUrl"), "websiteUrl")
    problems += _repository_problems(doc.get("repository"))
    for i, icon in enumerate(_list(doc, "icons")):
        problems += _https_problem(f"icons[{i}].src", _get(icon, "src"), "icon src")
    for i, pkg in enumerate(_list(doc, "packages")):
        problems += _package_problems(pkg, f"packages[{i}]")
    for i, remote in enumerate(_list(doc, "remotes")):
        problems += _remote_problems(remote, f"remotes[{i}]")
    return problems


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
    meta_errors, meta_warnings = _meta_problems(raw)
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
