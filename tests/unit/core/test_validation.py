"""server.json validation: schema shapes plus the official semantic rules (names, versions,
URLs, arguments, transports).

Every problem comes back at once, each located by its JSON path.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from registrum.core import wire
from registrum.core.errors import DocumentInvalidError, InvalidInputError, Problem
from registrum.core.server_json import ServerDetail
from registrum.core.validation import (
    ValidationReport,
    json_path,
    parse_json,
    semantic_problems,
    validate_server_json,
)
from tests.factories import npm_package, remote, server_json

OLD_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json"


def named(name: str, **members: Any) -> dict[str, Any]:
    return {"type": "named", "name": name, **members}


def positional(**members: Any) -> dict[str, Any]:
    return {"type": "positional", **members}


def errors(doc: Any, **options: Any) -> dict[str, list[str]]:
    """Error messages by path."""
    out: dict[str, list[str]] = {}
    for p in validate_server_json(doc, **options).errors:
        out.setdefault(p.path, []).append(p.message)
    return out


def warnings(doc: Any, **options: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in validate_server_json(doc, **options).warnings:
        out.setdefault(p.path, []).append(p.message)
    return out


def only_error(doc: Any, path: str) -> str:
    """The single error of a document that has exactly one, at ``path``."""
    found = errors(doc)
    assert list(found) == [path], found
    assert len(found[path]) == 1, found
    return found[path][0]


# --- valid documents ------------------------------------------------------------------------


def test_minimal_document_is_valid() -> None:
    report = validate_server_json(server_json())
    assert report.ok
    assert report.errors == []
    assert report.warnings == []
    assert isinstance(report.document, ServerDetail)
    assert report.document.name == "io.github.alice/weather"
    assert report.raise_for_errors() is report.document


def test_full_document_is_valid() -> None:
    doc = server_json(
        title="Weather",
        websiteUrl="https://weather.example.com/docs",
        repository={
            "url": "https://github.com/alice/weather",
            "source": "github",
            "id": "12345",
            "subfolder": "servers/weather",
        },
        icons=[
            {"src": "https://weather.example.com/icon.png", "mimeType": "image/png"},
            {"src": "https://weather.example.com/icon.svg", "sizes": ["48x48", "any"]},
        ],
        packages=[
            npm_package(
                runtimeHint="npx",
                runtimeArguments=[named("--yes")],
                packageArguments=[
                    positional(valueHint="target_dir"),
                    positional(value="serve"),
                    named("--port", default="8080", format="number"),
                    named("-v", isRepeated=True),
                ],
                environmentVariables=[
                    {"name": "API_KEY", "isSecret": True, "isRequired": True},
                ],
            ),
            npm_package(
                identifier="@example/weather-http",
                transport={
                    "type": "streamable-http",
                    "url": "http://localhost:{port}/mcp/{target_dir}/{API_KEY}",
                },
                packageArguments=[positional(valueHint="target_dir"), named("--port")],
                environmentVariables=[{"name": "API_KEY"}],
            ),
        ],
        remotes=[
            remote(),
            remote(
                url="https://{tenant}.example.com/sse",
                type="sse",
                variables={"tenant": {"description": "Your tenant", "isRequired": True}},
                headers=[{"name": "Authorization", "isSecret": True}],
            ),
        ],
        _meta={wire.PUBLISHER_META: {"tool": "example-builder", "version": "1.0"}},
    )
    report = validate_server_json(doc)
    assert report.errors == [], report.errors
    assert report.warnings == [], report.warnings
    assert report.ok
    assert report.document is not None


# --- every problem at once ------------------------------------------------------------------


def test_all_problems_reported_with_paths() -> None:
    doc = server_json(
        name="io.github.alice/weather/extra",
        version="^1.0.0",
        title="   ",
        websiteUrl="http://weather.example.com",
        icons=[{"src": "https://ok.example.com/a.png"}, {"src": "http://weather.example.com/i"}],
        repository={"url": "https://github.com/alice", "source": "github", "subfolder": "../up"},
        packages=[
            npm_package(
                identifier="weather server",
                version="latest",
                packageArguments=[
                    positional(valueHint="ok"),
                    named("--port 8080"),
                    positional(),
                    named("--host", value="--host=example.com"),
                ],
                runtimeArguments=[{"type": "named", "name": "--flag", "isRepeated": "yes"}],
            ),
            npm_package(transport={"type": "sse"}),
        ],
        remotes=[
            remote(url="https://{tenant}.example.com/mcp"),
            remote(url="https://localhost/mcp"),
        ],
    )
    report = validate_server_json(doc)
    assert not report.ok
    assert report.document is None
    paths = {p.path for p in report.errors}
    assert paths == {
        "name",
        "version",
        "title",
        "websiteUrl",
        "icons[1].src",
        "repository.url",
        "repository.subfolder",
        "packages[0].identifier",
        "packages[0].version",
        "packages[0].packageArguments[1].name",
        "packages[0].packageArguments[2]",
        "packages[0].packageArguments[3].value",
        "packages[0].runtimeArguments[0].isRepeated",
        "packages[1].transport.url",
        "remotes[0].url",
        "remotes[1].url",
    }
    assert all(p.severity == "error" for p in report.errors)


def test_structural_and_semantic_problems_together() -> None:
    doc = server_json(
        description=42,
        version="1.x",
        packages=[npm_package(transport={"type": "stdio", "url": "https://a.example.com/"})],
    )
    doc.pop("$schema")
    found = errors(doc)
    assert set(found) == {"$schema", "description", "version", "packages[0].transport.url"}


def test_semantic_problem_replaces_structural_one_on_the_same_path() -> None:
    # "a/b/c" breaks the schema pattern and the semantic rule; only the clearer one is kept.
    message = only_error(server_json(name="io.github.alice/weather/x"), "name")
    assert "exactly one" in message


def test_raise_for_errors_carries_every_problem() -> None:
    report = validate_server_json(server_json(version="latest", title=" "))
    with pytest.raises(DocumentInvalidError) as info:
        report.raise_for_errors()
    assert isinstance(info.value, InvalidInputError)
    assert {p.path for p in info.value.problems} == {"version", "title"}
    assert "2 problems" in info.value.detail


def test_raise_for_errors_singular_detail() -> None:
    with pytest.raises(DocumentInvalidError) as info:
        validate_server_json(server_json(version="latest")).raise_for_errors()
    assert "1 problem found" in info.value.detail


def test_raise_for_errors_without_a_document() -> None:
    with pytest.raises(DocumentInvalidError):
        ValidationReport().raise_for_errors()


def test_warnings_alone_keep_the_document() -> None:
    report = validate_server_json(server_json(status="active"))
    assert report.ok
    assert report.document is not None
    assert [p.path for p in report.warnings] == ["status"]


# --- non-object documents and JSON parsing --------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ([], "an array"),
        ("text", "a string"),
        (1, "a number"),
        (1.5, "a number"),
        (True, "a boolean"),
        (None, "null"),
    ],
)
def test_non_object_document(raw: Any, kind: str) -> None:
    report = validate_server_json(raw)
    assert not report.ok
    assert report.document is None
    (problem,) = report.errors
    assert problem.path == ""
    assert f"must be a JSON object, not {kind}" in problem.message


def test_parse_json_accepts_bytes_and_str() -> None:
    doc = server_json()
    assert parse_json(json.dumps(doc).encode()) == doc
    assert parse_json(json.dumps(doc)) == doc


@pytest.mark.parametrize("data", [b"", b"{", b'{"name": }', b"\xff\xfe", b"{'a': 1}", b"[1,]"])
def test_parse_json_malformed(data: bytes) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_json(data)
    assert "not valid JSON" in info.value.detail
    assert len(info.value.problems) == 1


# --- wrong JSON types (strict) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "path", "expected"),
    [
        (server_json(version=1), "version", "must be a string, not a number"),
        (server_json(description=True), "description", "must be a string, not a boolean"),
        (server_json(name=["a/b"]), "name", "must be a string, not an array"),
        (
            server_json(packages=[npm_package(version=100)]),
            "packages[0].version",
            "must be a string, not a number",
        ),
        (
            server_json(
                packages=[npm_package(environmentVariables=[{"name": "A", "isSecret": "true"}])]
            ),
            "packages[0].environmentVariables[0].isSecret",
            "must be true or false, not a string",
        ),
        (
            server_json(packages=[npm_package(packageArguments=[positional(value=8080)])]),
            "packages[0].packageArguments[0].value",
            "must be a string, not a number",
        ),
        (
            server_json(
                packages=[npm_package(environmentVariables=[{"name": "A", "isRequired": 1}])]
            ),
            "packages[0].environmentVariables[0].isRequired",
            "must be true or false, not a number",
        ),
        (server_json(packages={}), "packages", "must be an array, not an object"),
        (server_json(packages=[1]), "packages[0]", "must be an object, not a number"),
        (server_json(remotes="https://a.example.com"), "remotes", "must be an array"),
        (server_json(repository="https://github.com/a/b"), "repository", "must be an object"),
        (server_json(_meta=[]), "_meta", "must be an object, not an array"),
        (
            server_json(packages=[npm_package(transport="stdio")]),
            "packages[0].transport",
            "must be an object, not a string",
        ),
        (
            server_json(icons=[{"src": "https://a.example.com/i.png", "sizes": "48x48"}]),
            "icons[0].sizes",
            "must be an array, not a string",
        ),
    ],
)
def test_wrong_types_name_the_expected_type(doc: dict[str, Any], path: str, expected: str) -> None:
    found = errors(doc)
    assert path in found, found
    assert any(expected in m for m in found[path]), found[path]


def test_null_for_a_required_string() -> None:
    message = only_error(server_json(description=None), "description")
    assert "must be a string, not null" in message


@pytest.mark.parametrize(
    ("doc", "path", "hint"),
    [
        (
            {"$schema": wire.CURRENT_SCHEMA_URL, "description": "d", "version": "1"},
            "name",
            "'name'",
        ),
        (
            server_json(packages=[{"registryType": "npm", "transport": {"type": "stdio"}}]),
            "packages[0].identifier",
            "'identifier' is required",
        ),
        (
            server_json(packages=[{"registryType": "npm", "identifier": "x"}]),
            "packages[0].transport",
            '{"type": "stdio"}',
        ),
        (
            server_json(remotes=[{"type": "sse"}]),
            "remotes[0].url",
            "'url' is required",
        ),
        (
            server_json(repository={"url": "https://github.com/a/b"}),
            "repository.source",
            "'source' is required",
        ),
        (
            server_json(packages=[npm_package(packageArguments=[{"valueHint": "x"}])]),
            "packages[0].packageArguments[0].type",
            "'type' is required",
        ),
    ],
)
def test_missing_members(doc: dict[str, Any], path: str, hint: str) -> None:
    found = errors(doc)
    assert path in found, found
    assert any(hint in m for m in found[path]), found[path]


def test_missing_nested_name_hint_is_not_the_server_name_hint() -> None:
    doc = server_json(packages=[npm_package(environmentVariables=[{"description": "key"}])])
    message = only_error(doc, "packages[0].environmentVariables[0].name")
    assert "'name' is required" in message
    assert "reverse-DNS" not in message


@pytest.mark.parametrize(
    ("doc", "path", "expected"),
    [
        (server_json(description=""), "description", "at least 1"),
        (server_json(description="d" * 101), "description", "at most 100"),
        (server_json(title=""), "title", "at least 1"),
        (server_json(title="t" * 101), "title", "at most 100"),
        (server_json(version="1" * 256), "version", "at most 255"),
        (
            server_json(packages=[npm_package(version="")]),
            "packages[0].version",
            "at least 1",
        ),
        (
            server_json(icons=[{"src": "https://a.example.com/" + "i" * 250}]),
            "icons[0].src",
            "at most 255",
        ),
    ],
)
def test_length_limits(doc: dict[str, Any], path: str, expected: str) -> None:
    message = only_error(doc, path)
    assert expected in message


@pytest.mark.parametrize(
    ("doc", "path", "expected"),
    [
        (
            server_json(packages=[npm_package(transport={"type": "websocket"})]),
            "packages[0].transport.type",
            "'websocket'",
        ),
        (server_json(remotes=[remote(type="stdio")]), "remotes[0].type", "'stdio'"),
        (
            server_json(icons=[{"src": "https://a.example.com/i", "mimeType": "image/gif"}]),
            "icons[0].mimeType",
            "'image/gif'",
        ),
        (
            server_json(icons=[{"src": "https://a.example.com/i", "theme": "blue"}]),
            "icons[0].theme",
            "'blue'",
        ),
        (
            server_json(packages=[npm_package(packageArguments=[{"type": "flag", "name": "-x"}])]),
            "packages[0].packageArguments[0].type",
            "'flag'",
        ),
        (
            server_json(
                packages=[npm_package(environmentVariables=[{"name": "A", "format": "int"}])]
            ),
            "packages[0].environmentVariables[0].format",
            "'int'",
        ),
    ],
)
def test_enums(doc: dict[str, Any], path: str, expected: str) -> None:
    message = only_error(doc, path)
    assert "must be one of" in message
    assert expected in message


@pytest.mark.parametrize(
    ("doc", "path", "expected"),
    [
        (
            server_json(packages=[npm_package(fileSha256="ABC")]),
            "packages[0].fileSha256",
            "64 lowercase hexadecimal",
        ),
        (
            server_json(packages=[npm_package(fileSha256="A" * 64)]),
            "packages[0].fileSha256",
            "64 lowercase hexadecimal",
        ),
        (
            server_json(icons=[{"src": "https://a.example.com/i", "sizes": ["big"]}]),
            "icons[0].sizes[0]",
            "'48x48'",
        ),
        (server_json(remotes=[remote(url="mcp.example.com/mcp")]), "remotes[0].url", "http"),
        (
            server_json(
                packages=[npm_package(transport={"type": "sse", "url": "ws://a.example.com/"})]
            ),
            "packages[0].transport.url",
            "http",
        ),
    ],
)
def test_patterns(doc: dict[str, Any], path: str, expected: str) -> None:
    found = errors(doc)
    assert path in found, found
    assert any(expected in m for m in found[path]), found[path]


def test_valid_sha256_and_sizes() -> None:
    doc = server_json(
        packages=[npm_package(fileSha256="0123456789abcdef" * 4)],
        icons=[{"src": "https://a.example.com/i", "sizes": ["16x16", "any", "512x512"]}],
    )
    assert validate_server_json(doc).ok


@pytest.mark.parametrize(
    "url", ["not a uri", "relative/path", "", "https://exa mple.com/x"], ids=repr
)
def test_repository_url_must_be_a_uri(url: str) -> None:
    found = errors(server_json(repository={"url": url, "source": "example"}))
    assert "repository.url" in found


# --- $schema --------------------------------------------------------------------------------


def test_schema_missing_is_an_error() -> None:
    doc = server_json()
    doc.pop("$schema")
    message = only_error(doc, "$schema")
    assert "required" in message
    assert wire.CURRENT_SCHEMA_URL in message


@pytest.mark.parametrize("value", [None, ""])
def test_schema_null_or_empty_is_missing(value: Any) -> None:
    message = only_error(server_json(**{"$schema": value}), "$schema")
    assert "required" in message


def test_non_current_schema_is_an_error_by_default() -> None:
    message = only_error(server_json(**{"$schema": OLD_SCHEMA}), "$schema")
    assert "deprecated schema" in message
    assert wire.CURRENT_SCHEMA_URL in message


def test_non_current_schema_can_be_a_warning() -> None:
    doc = server_json(**{"$schema": OLD_SCHEMA})
    report = validate_server_json(doc, non_current_schema="warning")
    assert report.ok
    assert report.document is not None
    assert [(p.path, p.severity) for p in report.warnings] == [("$schema", "warning")]


def test_missing_schema_stays_an_error_under_the_warning_policy() -> None:
    doc = server_json()
    doc.pop("$schema")
    assert "$schema" in errors(doc, non_current_schema="warning")


def test_schema_of_wrong_type() -> None:
    message = only_error(server_json(**{"$schema": 2025}), "$schema")
    assert "must be a string, not a number" in message


# --- name and version -----------------------------------------------------------------------


def test_name_rules_apply_to_the_document() -> None:
    message = only_error(server_json(name="io.github.alice/_weather"), "name")
    assert "start and end with a letter or digit" in message
    assert "must have exactly one" in only_error(server_json(name="a.b/c/d"), "name")
    assert "no '/'" in only_error(server_json(name="io.github.alice"), "name")


@pytest.mark.parametrize("version", ["latest", "^1.0.0", "~1.2", ">=1", "1.2 || 1.3", "1.x"])
def test_server_version_rules(version: str) -> None:
    only_error(server_json(version=version), "version")


@pytest.mark.parametrize("version", ["1.0.0-x.7", "2024.01.01", "v2", "1.0.0-beta", "1.0"])
def test_non_semver_versions_are_allowed(version: str) -> None:
    assert validate_server_json(server_json(version=version)).ok


@pytest.mark.parametrize("version", ["latest", "^1.0.0", "1.2.*", "1.2.3 - 2.0.0"])
def test_package_version_rules(version: str) -> None:
    doc = server_json(packages=[npm_package(), npm_package(version=version)])
    only_error(doc, "packages[1].version")


# --- title, websiteUrl, icons ---------------------------------------------------------------


@pytest.mark.parametrize("title", [" ", "\t\n", "   "])
def test_whitespace_only_title(title: str) -> None:
    message = only_error(server_json(title=title), "title")
    assert "whitespace" in message


def test_title_with_text_is_fine() -> None:
    assert validate_server_json(server_json(title="  Weather  ")).ok


@pytest.mark.parametrize(
    "url",
    [
        "http://weather.example.com",
        "ftp://weather.example.com",
        "https:///no-host",
        "//weather.example.com",
    ],
)
def test_website_url_must_be_https(url: str) -> None:
    message = only_error(server_json(websiteUrl=url), "websiteUrl")
    assert "https://" in message


def test_website_url_https_ok() -> None:
    assert validate_server_json(server_json(websiteUrl="https://weather.example.com/x?y=1")).ok


@pytest.mark.parametrize(
    "src", ["http://weather.example.com/icon.png", "data:image/png;base64,AAAA"]
)
def test_icon_src_must_be_https(src: str) -> None:
    doc = server_json(icons=[{"src": "https://weather.example.com/ok.png"}, {"src": src}])
    message = only_error(doc, "icons[1].src")
    assert "https://" in message


# --- repository -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("github", "https://github.com/alice/weather"),
        ("github", "https://github.com/alice/weather/"),
        ("github", "https://github.com/alice-1/weather.mcp_2"),
        ("gitlab", "https://gitlab.com/alice/weather"),
        ("gitlab", "https://gitlab.com/group/subgroup/weather"),
        ("example", "https://code.example.com/anything/at/all"),  # other sources: any URI
    ],
)
def test_repository_url_ok(source: str, url: str) -> None:
    assert validate_server_json(server_json(repository={"url": url, "source": source})).ok


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("github", "https://github.com/alice"),
        ("github", "https://github.com/alice/weather/tree/main"),
        ("github", "https://gitlab.com/alice/weather"),
        ("github", "https://github.com.example.com/alice/weather"),
        ("github", "ssh://github.com/alice/weather"),
        ("gitlab", "https://gitlab.com/alice"),
        ("gitlab", "https://github.com/alice/weather"),
    ],
)
def test_repository_url_shape(source: str, url: str) -> None:
    message = only_error(server_json(repository={"url": url, "source": source}), "repository.url")
    assert f"https://{source}.com/owner/repo" in message


@pytest.mark.parametrize("subfolder", ["src", "servers/weather", "a/b/c", "a.b/c-d_e"])
def test_subfolder_ok(subfolder: str) -> None:
    repo = {"url": "https://github.com/alice/weather", "source": "github", "subfolder": subfolder}
    assert validate_server_json(server_json(repository=repo)).ok


@pytest.mark.parametrize(
    "subfolder", ["/abs", "..", "../up", "a/../../b", "a/..", "\\windows", "a\\..\\b", "  "]
)
def test_subfolder_must_be_clean_relative(subfolder: str) -> None:
    repo = {"url": "https://github.com/alice/weather", "source": "github", "subfolder": subfolder}
    message = only_error(server_json(repository=repo), "repository.subfolder")
    assert "relative path" in message


# --- packages -------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["weather server", "weather\tserver", " weather"])
def test_package_identifier_without_spaces(identifier: str) -> None:
    doc = server_json(packages=[npm_package(identifier=identifier)])
    message = only_error(doc, "packages[0].identifier")
    assert "spaces" in message


def test_stdio_transport_must_not_have_url() -> None:
    doc = server_json(
        packages=[npm_package(transport={"type": "stdio", "url": "http://localhost:3000/mcp"})]
    )
    message = only_error(doc, "packages[0].transport.url")
    assert "stdio" in message


@pytest.mark.parametrize("kind", ["streamable-http", "sse"])
def test_http_package_transport_needs_url(kind: str) -> None:
    doc = server_json(packages=[npm_package(transport={"type": kind})])
    message = only_error(doc, "packages[0].transport.url")
    assert kind in message


def test_package_transport_localhost_is_allowed() -> None:
    doc = server_json(
        packages=[npm_package(transport={"type": "sse", "url": "http://localhost:3000/sse"})]
    )
    assert validate_server_json(doc).ok


@pytest.mark.parametrize(
    ("members", "url"),
    [
        ({"environmentVariables": [{"name": "PORT"}]}, "http://localhost:{PORT}/mcp"),
        ({"packageArguments": [named("--port")]}, "http://localhost:{--port}/mcp"),
        ({"runtimeArguments": [named("port")]}, "http://localhost:{port}/mcp"),
        ({"packageArguments": [positional(valueHint="port")]}, "http://localhost:{port}/mcp"),
        (
            {
                "runtimeArguments": [positional(valueHint="host")],
                "environmentVariables": [{"name": "PORT"}],
            },
            "http://{host}:{PORT}/mcp",
        ),
    ],
)
def test_package_transport_url_variables_defined(members: dict[str, Any], url: str) -> None:
    doc = server_json(
        packages=[npm_package(transport={"type": "streamable-http", "url": url}, **members)]
    )
    report = validate_server_json(doc)
    assert report.errors == []


@pytest.mark.parametrize(
    ("members", "url", "missing"),
    [
        ({}, "http://localhost:{port}/mcp", "port"),
        ({"environmentVariables": [{"name": "PORT"}]}, "http://localhost:{port}/mcp", "port"),
        (
            {"packageArguments": [positional(valueHint="host")]},
            "http://{host}:{port}/mcp",
            "port",
        ),
    ],
)
def test_package_transport_url_variables_undefined(
    members: dict[str, Any], url: str, missing: str
) -> None:
    doc = server_json(
        packages=[npm_package(transport={"type": "streamable-http", "url": url}, **members)]
    )
    message = only_error(doc, "packages[0].transport.url")
    assert f"'{{{missing}}}'" in message


def test_package_variables_do_not_leak_between_packages() -> None:
    doc = server_json(
        packages=[
            npm_package(environmentVariables=[{"name": "PORT"}]),
            npm_package(transport={"type": "sse", "url": "http://localhost:{PORT}/sse"}),
        ]
    )
    only_error(doc, "packages[1].transport.url")


def test_positional_argument_needs_value_hint_or_value() -> None:
    doc = server_json(
        packages=[
            npm_package(
                packageArguments=[
                    positional(valueHint="path"),
                    positional(value="serve"),
                    positional(description="nothing to go on"),
                ]
            )
        ]
    )
    message = only_error(doc, "packages[0].packageArguments[2]")
    assert "valueHint" in message
    assert "value" in message


def test_positional_rule_applies_to_runtime_arguments_too() -> None:
    doc = server_json(packages=[npm_package(runtimeArguments=[positional()])])
    only_error(doc, "packages[0].runtimeArguments[0]")


@pytest.mark.parametrize(
    "name", ["--port 8080", "--dir <path>", "<path>", "--x>", "$HOME", "--a\tb"]
)
def test_named_argument_name_characters(name: str) -> None:
    doc = server_json(packages=[npm_package(packageArguments=[named(name)])])
    message = only_error(doc, "packages[0].packageArguments[0].name")
    assert "'--port'" in message


def test_named_argument_needs_a_name() -> None:
    doc = server_json(
        packages=[
            npm_package(
                packageArguments=[{"type": "named"}, named(""), {"type": "named", "name": None}]
            )
        ]
    )
    found = errors(doc)
    assert set(found) == {
        "packages[0].packageArguments[0].name",
        "packages[0].packageArguments[1].name",
        "packages[0].packageArguments[2].name",
    }


@pytest.mark.parametrize("member", ["value", "default"])
@pytest.mark.parametrize("given", ["--port=8080", "--port 8080", "--port"])
def test_named_argument_value_must_not_start_with_name(member: str, given: str) -> None:
    doc = server_json(packages=[npm_package(packageArguments=[named("--port", **{member: given})])])
    message = only_error(doc, f"packages[0].packageArguments[0].{member}")
    assert "'--port'" in message
    assert "8080" in message


def test_named_argument_value_and_default_both_reported() -> None:
    arg = named("-p", value="-p1", default="-p2")
    found = errors(server_json(packages=[npm_package(runtimeArguments=[arg])]))
    assert set(found) == {
        "packages[0].runtimeArguments[0].value",
        "packages[0].runtimeArguments[0].default",
    }


def test_named_argument_plain_value_is_fine() -> None:
    arg = named("--port", value="8080", default="3000")
    assert validate_server_json(server_json(packages=[npm_package(packageArguments=[arg])])).ok


def test_positional_argument_may_have_any_value() -> None:
    # The value rule is about named arguments only.
    arg = positional(valueHint="x", name="--x", value="--x=1")
    assert validate_server_json(server_json(packages=[npm_package(packageArguments=[arg])])).ok


# --- remotes --------------------------------------------------------------------------------


def test_remote_url_variables_must_be_declared() -> None:
    doc = server_json(remotes=[remote(url="https://{tenant}.example.com/{region}/mcp")])
    found = errors(doc)
    assert list(found) == ["remotes[0].url"]
    assert len(found["remotes[0].url"]) == 2
    joined = " ".join(found["remotes[0].url"])
    assert "'{tenant}'" in joined
    assert "'{region}'" in joined


def test_remote_url_variables_declared() -> None:
    doc = server_json(
        remotes=[
            remote(
                url="https://{tenant}.example.com/{region}/mcp",
                variables={"tenant": {}, "region": {"choices": ["eu", "us"]}},
            )
        ]
    )
    assert validate_server_json(doc).ok


def test_remote_variables_do_not_count_header_names() -> None:
    doc = server_json(
        remotes=[remote(url="https://{tenant}.example.com/mcp", headers=[{"name": "tenant"}])]
    )
    only_error(doc, "remotes[0].url")


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/mcp",
        "http://localhost:8080/mcp",
        "https://LOCALHOST/mcp",
        "https://127.0.0.1:3000/mcp",
        "https://[::1]/mcp",
        "https://0.0.0.0/mcp",
        "https://api.localhost/mcp",
    ],
)
def test_remote_url_not_localhost(url: str) -> None:
    message = only_error(server_json(remotes=[remote(url=url)]), "remotes[0].url")
    assert "localhost" in message


def test_remote_with_localhost_like_public_host_is_fine() -> None:
    assert validate_server_json(server_json(remotes=[remote("https://localhost.example.com/")])).ok


def test_remotes_each_get_their_own_path() -> None:
    doc = server_json(
        remotes=[remote(), remote(url="https://localhost/a"), remote(url="https://{x}.example.com")]
    )
    assert set(errors(doc)) == {"remotes[1].url", "remotes[2].url"}


# --- _meta and unknown members --------------------------------------------------------------


def _meta_of_size(size: int) -> dict[str, Any]:
    # {"k":"..."} is 8 bytes of framing around the value.
    return {"k": "v" * (size - 8)}


def test_publisher_meta_at_limit_is_fine() -> None:
    provided = _meta_of_size(wire.PUBLISHER_META_MAX_BYTES)
    assert len(json.dumps(provided, separators=(",", ":"))) == wire.PUBLISHER_META_MAX_BYTES
    assert validate_server_json(server_json(_meta={wire.PUBLISHER_META: provided})).ok


def test_publisher_meta_over_limit_is_an_error() -> None:
    provided = _meta_of_size(wire.PUBLISHER_META_MAX_BYTES + 1)
    message = only_error(
        server_json(_meta={wire.PUBLISHER_META: provided}), f"_meta.{wire.PUBLISHER_META}"
    )
    assert "4KB" in message
    assert str(wire.PUBLISHER_META_MAX_BYTES + 1) in message


def test_publisher_meta_size_counts_utf8_bytes() -> None:
    # 2100 two-byte characters: 2100 characters but 4200+ bytes.
    provided = {"k": "é" * 2100}
    found = errors(server_json(_meta={wire.PUBLISHER_META: provided}))
    assert f"_meta.{wire.PUBLISHER_META}" in found


def test_publisher_meta_must_be_an_object() -> None:
    message = only_error(
        server_json(_meta={wire.PUBLISHER_META: "text"}), f"_meta.{wire.PUBLISHER_META}"
    )
    assert "object" in message


def test_other_meta_keys_are_warnings() -> None:
    doc = server_json(_meta={wire.PUBLISHER_META: {"a": 1}, "com.example/extra": {"b": 2}})
    report = validate_server_json(doc)
    assert report.ok
    assert [(p.path, p.severity) for p in report.warnings] == [
        ("_meta.com.example/extra", "warning")
    ]
    assert "dropped" in report.warnings[0].message


def test_other_meta_keys_are_not_size_limited() -> None:
    doc = server_json(_meta={"com.example/big": {"k": "v" * 10_000}})
    report = validate_server_json(doc)
    assert report.ok
    assert [p.path for p in report.warnings] == ["_meta.com.example/big"]


def test_unknown_top_level_members_are_warnings() -> None:
    doc = server_json(status="active", Name="typo", website_url="https://a.example.com")
    report = validate_server_json(doc)
    assert report.ok
    assert {p.path for p in report.warnings} == {"status", "Name", "website_url"}
    assert all(p.severity == "warning" for p in report.warnings)
    assert all("will be dropped" in p.message for p in report.warnings)


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("website_url", "http://insecure.example.com"),  # would dodge the https rule
        ("meta", {wire.PUBLISHER_META: {"k": "v" * 5000}}),  # would dodge the 4 KB rule
        ("schema_url", "https://static.modelcontextprotocol.io/schemas/2025-09-29/x.json"),
    ],
)
def test_python_field_names_are_not_wire_names(member: str, value: Any) -> None:
    report = validate_server_json(server_json(**{member: value}))
    assert report.ok
    assert report.document is not None
    canonical = report.document.canonical()
    assert member not in canonical
    assert "websiteUrl" not in canonical
    assert "_meta" not in canonical
    assert canonical["$schema"] == wire.CURRENT_SCHEMA_URL
    assert [p.path for p in report.warnings] == [member]


def test_snake_case_nested_members_are_not_wire_names() -> None:
    pkg = npm_package(registry_type="pypi", packageArguments=[positional(value_hint="x")])
    found = errors(server_json(packages=[pkg]))
    # value_hint is not valueHint: the positional argument has neither valueHint nor value.
    assert list(found) == ["packages[0].packageArguments[0]"]


# --- semantic_problems on its own, and helpers ----------------------------------------------


def test_semantic_problems_tolerates_wrong_types() -> None:
    # Wrong types are the model's business; the semantic pass must not crash on them.
    doc: dict[str, Any] = {
        "$schema": wire.CURRENT_SCHEMA_URL,
        "name": 5,
        "version": None,
        "title": 3,
        "websiteUrl": [],
        "repository": "x",
        "icons": [1, {"src": 2}],
        "packages": [None, {"transport": "stdio", "packageArguments": [3, {"type": 4}]}],
        "remotes": [5, {"url": 6}],
        "_meta": "x",
    }
    assert semantic_problems(doc) == []
    report = validate_server_json(doc)
    assert not report.ok


def test_semantic_problems_are_problems() -> None:
    problems = semantic_problems(server_json(version="latest"))
    assert problems == [
        Problem(
            "version",
            problems[0].message,
            "latest",
            rule="version-latest-reserved",
        )
    ]


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        ((), ""),
        (("name",), "name"),
        (("packages", 0, "version"), "packages[0].version"),
        (("packages", 1, "packageArguments", 2, "name"), "packages[1].packageArguments[2].name"),
        ((0,), "[0]"),
        (("_meta", "a/b"), "_meta.a/b"),
    ],
)
def test_json_path(loc: tuple[int | str, ...], path: str) -> None:
    assert json_path(loc) == path


def test_problem_location() -> None:
    assert Problem("", "m").location() == "body"
    assert Problem("name", "m").location() == "body.name"
    assert Problem("[0]", "m").location("body") == "body[0]"
    assert Problem("packages[0].version", "m").location("query") == "query.packages[0].version"


def test_nul_characters_are_refused_anywhere_even_in_meta():
    doc = server_json(
        description="weather\x00",
        _meta={"io.modelcontextprotocol.registry/publisher-provided": {"note": "a\x00b"}},
    )
    paths = set(errors(doc))
    assert "description" in paths
    assert "_meta.io.modelcontextprotocol.registry/publisher-provided.note" in paths


def test_an_empty_version_is_refused():
    assert "must not be empty" in only_error(server_json(version=""), "version")


def test_a_document_nested_too_deeply_is_one_clear_problem():
    deep: Any = "leaf"
    for _ in range(100):
        deep = {"x": deep}
    doc = server_json(_meta={"io.modelcontextprotocol.registry/publisher-provided": deep})
    report = validate_server_json(doc)
    assert len(report.errors) == 1
    assert "nested more than 64 levels" in report.errors[0].message


def test_unknown_members_get_a_spelling_suggestion():
    doc = server_json(websiteURL="https://example.com", status="active")
    doc["packages"] = [{**npm_package(), "runtime_hint": "npx"}]
    found = warnings(doc)
    assert "did you mean 'websiteUrl'?" in found["websiteURL"][0]
    assert "did you mean 'runtimeHint'?" in found["packages[0].runtime_hint"][0]
    assert "PATCH" in found["status"][0]
    assert "check its spelling" in warnings(server_json(zzz=1))["zzz"][0]
