"""The server.json model: strict JSON types, wire names, and the canonical stored form."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from registrum.core import wire
from registrum.core.server_json import Argument, Input, Package, RemoteTransport, ServerDetail
from tests.factories import npm_package, remote, server_json

# The official registry's Go struct order for ServerJSON.
TOP_LEVEL_ORDER = [
    "$schema",
    "name",
    "description",
    "title",
    "repository",
    "version",
    "websiteUrl",
    "icons",
    "packages",
    "remotes",
    "_meta",
]


def full_document() -> dict[str, Any]:
    # Members deliberately given in an order unlike the model's.
    return {
        "_meta": {wire.PUBLISHER_META: {"z": 1, "a": 2}},
        "remotes": [remote()],
        "packages": [npm_package()],
        "icons": [{"src": "https://weather.example.com/i.png"}],
        "websiteUrl": "https://weather.example.com",
        "version": "1.0.0",
        "repository": {"url": "https://github.com/alice/weather", "source": "github"},
        "title": "Weather",
        "description": "Weather forecasts.",
        "name": "io.github.alice/weather",
        "$schema": wire.CURRENT_SCHEMA_URL,
    }


def test_canonical_uses_model_order() -> None:
    canonical = ServerDetail.model_validate(full_document()).canonical()
    assert list(canonical) == TOP_LEVEL_ORDER


def test_canonical_nested_model_order() -> None:
    pkg = {
        "transport": {"type": "stdio"},
        "version": "1.0.0",
        "identifier": "@example/weather-mcp",
        "runtimeHint": "npx",
        "registryType": "npm",
    }
    canonical = ServerDetail.model_validate(server_json(packages=[pkg])).canonical()
    assert list(canonical["packages"][0]) == [
        "registryType",
        "identifier",
        "version",
        "runtimeHint",
        "transport",
    ]


def test_canonical_keeps_only_members_given() -> None:
    doc = server_json()
    canonical = ServerDetail.model_validate(doc).canonical()
    assert canonical == doc
    assert "title" not in canonical
    assert "packages" not in canonical


def test_canonical_does_not_fill_defaults_in_nested_models() -> None:
    doc = server_json(packages=[npm_package(environmentVariables=[{"name": "API_KEY"}])])
    canonical = ServerDetail.model_validate(doc).canonical()
    assert canonical["packages"][0]["environmentVariables"] == [{"name": "API_KEY"}]


def test_canonical_drops_unknown_members_at_every_level() -> None:
    doc = server_json(
        status="active",
        packages=[
            npm_package(
                extra="x",
                transport={"type": "stdio", "note": 1},
                packageArguments=[{"type": "positional", "value": "v", "junk": True}],
            )
        ],
        remotes=[remote(unknown=[1, 2])],
        repository={"url": "https://github.com/alice/weather", "source": "github", "x": 1},
    )
    canonical = ServerDetail.model_validate(doc).canonical()
    assert "status" not in canonical
    pkg = canonical["packages"][0]
    assert "extra" not in pkg
    assert pkg["transport"] == {"type": "stdio"}
    assert pkg["packageArguments"] == [{"type": "positional", "value": "v"}]
    assert canonical["remotes"] == [{"type": "streamable-http", "url": remote()["url"]}]
    assert canonical["repository"] == {
        "url": "https://github.com/alice/weather",
        "source": "github",
    }


def test_canonical_keeps_meta_content_verbatim() -> None:
    meta = {wire.PUBLISHER_META: {"z": [1, {"b": None}], "a": "x"}, "other": 1}
    canonical = ServerDetail.model_validate(server_json(_meta=meta)).canonical()
    assert canonical["_meta"] == meta
    assert list(canonical["_meta"][wire.PUBLISHER_META]) == ["z", "a"]


def test_canonical_round_trips() -> None:
    first = ServerDetail.model_validate(full_document()).canonical()
    second = ServerDetail.model_validate(first).canonical()
    assert second == first
    assert list(second) == list(first)


def test_wire_names_in_canonical() -> None:
    canonical = ServerDetail.model_validate(full_document()).canonical()
    assert canonical["$schema"] == wire.CURRENT_SCHEMA_URL
    assert canonical["websiteUrl"] == "https://weather.example.com"
    assert canonical["packages"][0]["registryType"] == "npm"
    for python_name in ("schema_url", "website_url", "meta"):
        assert python_name not in canonical


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Input, {"isRequired": "true"}),
        (Input, {"isSecret": 1}),
        (Input, {"value": 8080}),
        (Input, {"default": 1.5}),
        (Input, {"choices": "a,b"}),
        (Input, {"choices": [1, 2]}),
        (Argument, {"type": "named", "name": "--x", "isRepeated": "false"}),
        (RemoteTransport, {"type": "sse", "url": 5}),
        (Package, {"registryType": "npm", "identifier": 5, "transport": {"type": "stdio"}}),
    ],
)
def test_strict_types_are_not_coerced(model: type[Any], data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(data)


def test_strict_accepts_the_right_types() -> None:
    parsed = Input.model_validate(
        {"isRequired": True, "isSecret": False, "value": "8080", "choices": ["a"]}
    )
    assert parsed.is_required is True
    assert parsed.value == "8080"


def test_models_are_frozen() -> None:
    doc = ServerDetail.model_validate(server_json())
    with pytest.raises(ValidationError):
        doc.name = "io.github.bob/other"  # type: ignore[misc]


def test_python_field_names_are_not_accepted_on_input() -> None:
    doc = ServerDetail.model_validate(server_json(website_url="http://x.example.com"))
    assert doc.website_url is None
    pkg_data = {"registry_type": "npm", "identifier": "x", "transport": {"type": "stdio"}}
    with pytest.raises(ValidationError):
        Package.model_validate(pkg_data)


@pytest.mark.parametrize(
    "name",
    [
        "io.github.alice/weather",
        "a.b/c",
    ],
)
def test_schema_name_pattern_accepts(name: str) -> None:
    ServerDetail.model_validate(server_json(name=name))


@pytest.mark.parametrize(
    "name", ["ab", "no-slash-here", "a b/c", "io.github.alice/weather\n", "a_b/c", "x" * 201]
)
def test_schema_name_pattern_rejects(name: str) -> None:
    with pytest.raises(ValidationError):
        ServerDetail.model_validate(server_json(name=name))
