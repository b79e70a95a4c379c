"""The official registry's semantic rules of a server.json: what the schema's shapes cannot
say (HTTPS where required, template variables that exist, named arguments that are flags,
repository URLs of their host, reserved _meta keys, ...). Each problem names its JSON path,
carries the rule's id and says how to fix it.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

import orjson

from registrum.core import wire
from registrum.core.display_text import hidden_character_problems, version_script_problems
from registrum.core.errors import Problem
from registrum.core.names import name_problems
from registrum.core.versioning import version_problems

_TEMPLATE_VAR_RE: Final = re.compile(r"\{([^{}]*)\}")
_NAMED_ARG_FORBIDDEN: Final = re.compile(r"[<>\s$]")
_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "[::1]"})
_REPO_URL_RE: Final = {
    "github": re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/?$"),
    "gitlab": re.compile(r"^https://gitlab\.com/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+/?$"),
}


def scalar(value: Any) -> Any:
    """``value`` when it is a JSON scalar (shown in a problem), else None."""
    return value if isinstance(value, str | int | float | bool) or value is None else None


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
                    scalar(url),
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


def meta_problems(doc: dict[str, Any]) -> tuple[list[Problem], list[Problem]]:
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
        problems += hidden_character_problems(name, "name")
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
        if any(ord(c) < 32 or c == "\x7f" for c in version):
            problems.append(
                Problem(
                    "version",
                    "version must not contain control characters such as a newline or a tab",
                    version,
                    rule="version-control-characters",
                )
            )
        else:
            problems += version_script_problems(version, "version")
    title = doc.get("title")
    if isinstance(title, str) and title.strip():  # a blank title has its own rule below
        problems += hidden_character_problems(title, "title")
    description = doc.get("description")
    if isinstance(description, str):
        problems += hidden_character_problems(description, "description", description=True)
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
