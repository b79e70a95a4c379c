"""Install configurations for real documents: the three reference examples and the 84 valid
documents of the corpus, every way each offers to run, for every client.

Each (document, option, client) gives either a configuration that validates against that
client's published shape (tests/contract/client_schemas/, each schema naming the documentation
it was written from), or a non-empty reason. The documents are read from ../shared at test
time and never copied here; the tests skip, saying why, when the folder is absent.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from registrum.core.install import CLIENTS, ClientConfig, default_key, install_configs
from tests.conftest import CORPUS, REFERENCE, require_reference
from tests.contract.reference import (
    file_names,
    json_file,
    manifest_files,
    params,
    require_corpus,
    schema_errors,
)
from tests.factories import npm_package, remote, server_json

SCHEMAS = Path(__file__).resolve().parent / "client_schemas"
SCHEMA_FILES = {
    "vscode": "vscode-mcp.schema.json",
    "claude-desktop": "claude-desktop-config.schema.json",
    "claude-code": "claude-code-mcp.schema.json",
    "cursor": "cursor-mcp.schema.json",
    "generic": "generic.schema.json",
}
VALID_IN_CORPUS = 84  # MANIFEST.json: valid_2025_12_11 true
EXAMPLES = REFERENCE / "examples" / "valid"
# Documents with no way any client can run: few, and each must say why (a crate, an empty
# example, two whose only package names a version placeholder the publisher never filled in).
# More than this means the mapping regressed.
MOST_UNRUNNABLE = 4

_INPUT_REF = re.compile(r"\$\{input:([^}]*)\}")
_ENV_REF = re.compile(r"\$\{env:([^}]*)\}")
# Claude Code expands ${VAR} and ${VAR:-default} in .mcp.json (and the shell does in the
# command line); Registrum's generic form writes a hole as ${ID}.
_SHELL_REF = re.compile(r"\$\{([^}:]*)(?::-[^}]*)?\}")


def _documents() -> list[Any]:
    found = [pytest.param(EXAMPLES / n, id=f"reference/{n}") for n in file_names(EXAMPLES)]
    found += [pytest.param(CORPUS / n, id=f"corpus/{n}") for n in manifest_files(valid=True)]
    return params(found, CORPUS.parent.parent)


DOCUMENTS = _documents()


@cache
def validator(client: str) -> Draft202012Validator:
    schema = json_file(SCHEMAS / SCHEMA_FILES[client])
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def load(path: Path) -> dict[str, Any]:
    if path.is_relative_to(REFERENCE):
        require_reference()
    else:
        require_corpus()
    document: dict[str, Any] = json_file(path)
    return document


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, member in value.items():
            yield str(key)
            yield from strings(member)
    elif isinstance(value, list):
        for member in value:
            yield from strings(member)


def entry_of(config: ClientConfig) -> dict[str, Any]:
    """The one server entry a client's file form holds, under the expected key."""
    assert config.config is not None
    if config.client == "generic":
        return dict(config.config)
    servers = config.config["servers" if config.client == "vscode" else "mcpServers"]
    assert list(servers) == [config.key]
    entry: dict[str, Any] = servers[config.key]
    return entry


# --- the schemas --------------------------------------------------------------------------------


def test_every_client_has_a_schema_with_its_source() -> None:
    assert set(SCHEMA_FILES) == set(CLIENTS)
    for client, name in SCHEMA_FILES.items():
        schema = json_file(SCHEMAS / name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert "$comment" in schema, f"{name} does not say which documentation it follows"
        validator(client)


@pytest.mark.parametrize(
    ("client", "config"),
    [
        ("vscode", {"servers": {"s": {"command": "npx"}}}),  # VS Code's type is written
        ("vscode", {"servers": {"s": {"type": "stdio", "command": "x", "url": "https://a"}}}),
        ("vscode", {"servers": {"s": {"type": "http", "url": "ftp://a"}}}),
        ("vscode", {"servers": {"s": {"type": "stdio", "command": "x"}}, "inputs": [{}]}),
        ("vscode", {"mcpServers": {"s": {"type": "stdio", "command": "x"}}}),
        ("claude-desktop", {"mcpServers": {"s": {"url": "https://a"}}}),
        ("claude-desktop", {"mcpServers": {"s": {"command": "x", "env": {"A": 1}}}}),
        ("claude-code", {"mcpServers": {"s": {"url": "https://a"}}}),  # remote needs its type
        ("claude-code", {"mcpServers": {"bad name": {"type": "stdio", "command": "x"}}}),
        ("cursor", {"mcpServers": {"s": {"command": "x", "headers": {}}}}),
        ("cursor", {"mcpServers": {"s": {"url": "https://a", "headers": {"A B": "c"}}}}),
        ("generic", {"transport": "stdio", "url": "https://a"}),
        ("generic", {"transport": "sse", "url": "https://a", "start": {"args": []}}),
    ],
)
def test_the_schemas_refuse_what_the_clients_do_not_read(client: str, config: Any) -> None:
    assert not validator(client).is_valid(config)


# --- the documents ------------------------------------------------------------------------------


def test_the_material_is_all_there() -> None:
    require_reference()
    require_corpus()
    assert len(file_names(EXAMPLES)) == 3
    assert len(manifest_files(valid=True)) == VALID_IN_CORPUS


def check_vscode(config: ClientConfig) -> None:
    assert config.config is not None
    entry = entry_of(config)
    inputs = config.config.get("inputs", [])
    ids = [i["id"] for i in inputs]
    assert len(ids) == len(set(ids)), f"an input id is declared twice: {ids}"
    named = {m for text in strings(entry) for m in _INPUT_REF.findall(text)}
    assert named <= set(ids), f"${{input:...}} with no input: {named - set(ids)}"
    assert set(config.links) == {"install", "installInsiders"}


def check_claude_code(config: ClientConfig) -> None:
    assert config.command is not None
    words = shlex.split(config.command)
    assert words[:3] == ["claude", "mcp", "add"], config.command
    assert words == list(config.argv), "the command line and argv disagree"
    entry = entry_of(config)
    kind = entry.get("type", "stdio")
    assert words[3:6] == ["--transport", kind, config.key], config.command
    rest = words[6:]
    if kind == "stdio":
        # The name goes before --env (which takes several values), the program after --.
        cut = rest.index("--")
        flags, program = rest[:cut], rest[cut + 1 :]
        assert program == [entry["command"], *entry.get("args", [])]
        env = [f"{k}={v}" for k, v in entry.get("env", {}).items()]
        assert flags == [w for pair in (("--env", e) for e in env) for w in pair]
    else:
        assert rest[0] == entry["url"]
        headers = [f"{k}: {v}" for k, v in entry.get("headers", {}).items()]
        assert rest[1:] == [w for pair in (("--header", h) for h in headers) for w in pair]


def check_cursor(config: ClientConfig) -> None:
    entry = entry_of(config)
    assert not any("${input:" in text for text in strings(entry))
    # Cursor reads a value the person supplies from its environment: a variable's name.
    named = [m for text in strings(entry) for m in _ENV_REF.findall(text)]
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) for name in named), named
    assert config.links["install"].startswith("cursor://anysphere.cursor-deeplink/mcp/install?")


def check_claude_desktop(config: ClientConfig) -> None:
    entry = entry_of(config)
    assert not any("${input:" in t or "${env:" in t for t in strings(entry))


CHECKS = {
    "vscode": check_vscode,
    "claude-code": check_claude_code,
    "cursor": check_cursor,
    "claude-desktop": check_claude_desktop,
}


def every_option(document: dict[str, Any]) -> Iterator[Any]:
    """The result for each option the document offers (the default choice when it has none)."""
    found = install_configs(document).options
    if not found:
        yield install_configs(document)
    for option in found:
        yield install_configs(document, option=option.index)


@pytest.mark.parametrize("path", DOCUMENTS)
def test_every_option_gives_every_client_a_valid_configuration_or_a_reason(path: Path) -> None:
    document = load(path)
    key = default_key(document["name"])
    for result in every_option(document):
        assert set(result.configs) == set(CLIENTS)
        for client, config in result.configs.items():
            where = f"{path.name} option {result.option and result.option.index} {client}"
            assert config.key == key
            if config.reason is not None:
                assert config.reason.strip(), where
                assert result.option is None or not result.option.supported, where
                assert config.config is None, where
                continue
            assert result.option is not None, where
            assert result.option.supported, where
            errors = schema_errors(validator(client), config.config)
            assert not errors, f"{where}: {errors}\n{json.dumps(config.config, indent=2)}"
            assert config.snippet, where
            if client in CHECKS:
                CHECKS[client](config)


def holes_not_prompts(document: dict[str, Any]) -> list[str]:
    """``${NAME}`` in a Claude Code or generic configuration that is no prompt of its option:
    the client would expand it (Claude Code) or a reader take it for a hole (generic)."""
    stray = []
    for result in every_option(document):
        if result.option is None or not result.option.supported:
            continue
        ids = {p.id for p in result.option.prompts}
        for client in ("claude-code", "generic"):
            config = result.configs[client].config
            for text in strings(config):
                for name in _SHELL_REF.findall(text):
                    if name not in ids:
                        stray.append(f"option {result.option.index} {client}: {text}")
    return stray


@pytest.mark.parametrize(
    "path",
    DOCUMENTS,
)
def test_vscode_declares_only_the_inputs_it_refers_to(path: Path) -> None:
    for result in every_option(load(path)):
        config = result.configs["vscode"]
        if config.config is None:
            continue
        named = {m for text in strings(entry_of(config)) for m in _INPUT_REF.findall(text)}
        ids = {i["id"] for i in config.config.get("inputs", [])}
        assert ids <= named, f"option {config.option}: inputs nothing refers to: {ids - named}"


@pytest.mark.parametrize(
    "path",
    # A publisher's unfilled template left in a version (`"version": "${VERSION}"`) makes the
    # package unrunnable, with that reason, rather than a `${...}` a client would expand.
    DOCUMENTS,
)
def test_every_hole_is_an_input(path: Path) -> None:
    document = load(path)
    assert holes_not_prompts(document) == []


def secrets_of(document: Any) -> set[str]:
    """Literal values and defaults of every input the document marks secret (a value with
    ``{variables}`` is a template, not a secret, and is left out)."""
    found: set[str] = set()
    if isinstance(document, Mapping):
        if document.get("isSecret") is True:
            variables = document.get("variables") or {}
            for member in ("value", "default"):
                text = document.get(member)
                template = isinstance(text, str) and any(f"{{{v}}}" in text for v in variables)
                if isinstance(text, str) and text and not template:
                    found.add(text)
        for member in document.values():
            found |= secrets_of(member)
    elif isinstance(document, list):
        for member in document:
            found |= secrets_of(member)
    return found


def leaks(document: dict[str, Any]) -> list[str]:
    secret = secrets_of(document)
    out = []
    for result in every_option(document):
        written = json.dumps(result.to_json(), ensure_ascii=False)
        out += [s for s in secret if s in written]
    return sorted(set(out))


@pytest.mark.parametrize("path", DOCUMENTS)
def test_no_secret_is_written(path: Path) -> None:
    assert leaks(load(path)) == []


_PROBE = server_json(
    remotes=[
        remote(headers=[{"name": "Authorization", "isSecret": True, "value": "Bearer hdr-7Qx"}])
    ],
    packages=[
        npm_package(
            environmentVariables=[
                {"name": "TOKEN", "isSecret": True, "isRequired": True, "default": "dflt-7Qx"},
                {"name": "FIXED", "isSecret": True, "value": "fixed-7Qx"},
                {"name": "OPTIONAL", "isSecret": True, "default": "opt-7Qx"},
                {
                    "name": "URL",
                    "value": "https://example.com/{token}",
                    "variables": {
                        "token": {"isSecret": True, "isRequired": True, "default": "var-7Qx"}
                    },
                },
            ]
        )
    ],
)


def test_no_secret_of_a_probe_is_written() -> None:
    """The corpus's valid documents give no secret a literal value or default; this one
    gives every kind of input one."""
    assert len(secrets_of(_PROBE)) == 5
    assert leaks(_PROBE) == []


def test_no_fixed_secret_argument_is_written() -> None:
    probe = server_json(
        packages=[
            npm_package(
                packageArguments=[
                    {"type": "named", "name": "--key", "isSecret": True, "value": "arg-7Qx"}
                ]
            )
        ]
    )
    assert leaks(probe) == []


# --- the summary --------------------------------------------------------------------------------


def test_summary_few_documents_have_no_usable_option(capsys: pytest.CaptureFixture[str]) -> None:
    """How many documents and options each client gets a configuration for; printed (run with
    -s to see it). Documents with no usable option are few, and each says why."""
    require_reference()
    require_corpus()
    paths = [p.values[0] for p in DOCUMENTS]
    configs: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    documents_with_config: Counter[str] = Counter()
    unrunnable: dict[str, str] = {}
    options = 0
    for path in paths:
        document = load(path)
        got: set[str] = set()
        for result in every_option(document):
            options += result.option is not None
            for client, config in result.configs.items():
                if config.reason is None:
                    configs[client] += 1
                    got.add(client)
                else:
                    reasons[client] += 1
        documents_with_config.update(got)
        if not got:
            default = install_configs(document)
            unrunnable[path.name] = next(iter(default.configs.values())).reason or ""
    lines = [f"{len(paths)} documents, {options} options"]
    for client in CLIENTS:
        lines.append(
            f"  {client:15} configs {configs[client]:3}  reasons {reasons[client]:3}  "
            f"documents with a config {documents_with_config[client]}/{len(paths)}"
        )
    lines += [f"  no usable option: {name}: {why}" for name, why in sorted(unrunnable.items())]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert len(unrunnable) <= MOST_UNRUNNABLE, unrunnable
    assert all(why.strip() for why in unrunnable.values()), unrunnable
