"""The reference material (../shared/reference) and the corpus, read from disk at test time.

Nothing here is copied into the repository: every helper reads the files where they live and
the tests skip, saying why, when the folder is absent.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator

from tests.conftest import CORPUS, REFERENCE, require_reference

PREFIXES = ("/v0.1", "/v0")
REFERENCE_PREFIX = "/v0.1"
OFFICIAL_META = "io.modelcontextprotocol.registry/official"
PUBLISHER_META = "io.modelcontextprotocol.registry/publisher-provided"


def json_file(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def file_names(folder: Path) -> list[str]:
    """The ``*.json`` names in ``folder`` (empty when it is absent), for parametrisation."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.glob("*.json") if p.name != "MANIFEST.json")


def params(items: list[Any], folder: Path, width: int = 1) -> list[Any]:
    """Parameters for ``items``; one skipped parameter (``width`` values), with the reason,
    when there are none because ``folder`` is absent."""
    if items:
        return items
    reason = f"material not found at {folder} (../shared is not checked out)"
    return [pytest.param(*([None] * width), marks=pytest.mark.skip(reason=reason))]


def example_path(kind: str, name: str) -> Path:
    return require_reference() / "examples" / kind / name


def require_corpus() -> Path:
    if not (CORPUS / "MANIFEST.json").is_file():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus/real-server-json)")
    return CORPUS


@cache
def _manifest(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(json_file(path))


def manifest() -> tuple[dict[str, Any], ...]:
    return _manifest(require_corpus() / "MANIFEST.json")


def manifest_files(*, valid: bool | None = None) -> list[str]:
    """Corpus file names (all, or those whose ``valid_2025_12_11`` is ``valid``)."""
    path = CORPUS / "MANIFEST.json"
    if not path.is_file():
        return []
    return [e["file"] for e in _manifest(path) if valid is None or e["valid_2025_12_11"] is valid]


def corpus_entry(file: str) -> dict[str, Any]:
    return next(e for e in manifest() if e["file"] == file)


def corpus_document(file: str) -> Any:
    return json_file(require_corpus() / file)


# --- server.schema.json (draft-07) -------------------------------------------------------------


@cache
def _server_schema(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json_file(path)
    return schema


def server_schema() -> dict[str, Any]:
    return _server_schema(require_reference() / "server.schema.json")


def schema_validator() -> Draft7Validator:
    schema = server_schema()
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local refs are expected, got {ref}"
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**{k: v for k, v in node.items() if k != "$ref"}, **target}
    return node


def _branches(node: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    """``node`` and every subschema it combines with allOf/anyOf/oneOf, refs resolved."""
    node = _resolve(node, root)
    out = [node]
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key, []):
            out += _branches(sub, root)
    return out


def strip_unknown(value: Any, node: dict[str, Any], root: dict[str, Any]) -> Any:
    """``value`` without the object members the schema does not declare.

    A member is known if any branch of the schema at that position declares it (the union
    of anyOf branches, as a Go struct that merges them has every field). An object whose
    schema declares no properties at all is free-form and kept whole.
    """
    branches = _branches(node, root)
    if isinstance(value, list):
        items = [b["items"] for b in branches if isinstance(b.get("items"), dict)]
        item_schema: dict[str, Any] = {"allOf": items}
        return [strip_unknown(v, item_schema, root) for v in value]
    if not isinstance(value, dict):
        return value
    props: dict[str, list[dict[str, Any]]] = {}
    extra: list[dict[str, Any]] = []
    for b in branches:
        for key, sub in b.get("properties", {}).items():
            props.setdefault(key, []).append(sub)
        if isinstance(b.get("additionalProperties"), dict):
            extra.append(b["additionalProperties"])
    if not props and not extra:
        return value
    out = {}
    for key, member in value.items():
        if key in props:
            out[key] = strip_unknown(member, {"allOf": props[key]}, root)
        elif extra:
            out[key] = strip_unknown(member, {"allOf": extra}, root)
    return out


def expected_stored(doc: dict[str, Any]) -> dict[str, Any]:
    """What a registry keeps of ``doc``: members the schema declares, and of ``_meta`` only
    the publisher-provided extension, as the official registry stores a publish."""
    schema = server_schema()
    kept: dict[str, Any] = strip_unknown(doc, schema, schema)
    meta = kept.pop("_meta", None)
    if isinstance(meta, dict) and PUBLISHER_META in meta:
        kept["_meta"] = {PUBLISHER_META: meta[PUBLISHER_META]}
    return kept


# --- openapi.yaml (OpenAPI 3.1 = JSON Schema 2020-12) -------------------------------------------


@cache
def _openapi(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc


def openapi() -> dict[str, Any]:
    return _openapi(require_reference() / "openapi.yaml")


def openapi_operations() -> list[tuple[str, str]]:
    """(path, method) of every operation in the reference, or [] when it is absent."""
    path = REFERENCE / "openapi.yaml"
    if not path.is_file():
        return []
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return [(p, m) for p, item in _openapi(path)["paths"].items() for m in item if m in methods]


def component_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for ``schema`` (typically ``{"$ref": "#/components/schemas/X"}``) whose
    ``#/components/...`` references resolve inside the reference document's components."""
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": openapi()["components"],
        **schema,
    }
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def component(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = openapi()["components"]["schemas"][name]
    return schema


def response_schema(path: str, method: str, status: int) -> dict[str, Any] | None:
    """The JSON schema the reference declares for this operation's ``status`` answer."""
    op = openapi()["paths"][path][method]
    declared = op.get("responses", {}).get(str(status))
    if declared is None:
        return None
    schema: dict[str, Any] = declared["content"]["application/json"]["schema"]
    return schema


def schema_errors(validator: Draft202012Validator | Draft7Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


# --- checks on our answers ---------------------------------------------------------------------


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def official_block_schema() -> dict[str, Any]:
    meta = component("ServerResponse")["properties"]["_meta"]
    block: dict[str, Any] = meta["properties"][OFFICIAL_META]
    return block


def check_official(item: dict[str, Any]) -> dict[str, Any]:
    """The official ``_meta`` block is present, has no member the reference does not declare,
    carries every member but the optional statusMessage, with RFC 3339 times."""
    block_schema = official_block_schema()
    assert block_schema.get("additionalProperties") is False
    assert "_meta" in item, "ServerResponse without _meta"
    block = item["_meta"].get(OFFICIAL_META)
    assert isinstance(block, dict), f"no {OFFICIAL_META} block in {item['_meta']}"
    errors = schema_errors(component_validator(block_schema), block)
    assert not errors, errors
    declared = set(block_schema["properties"])
    assert set(block) <= declared
    assert declared - {"statusMessage"} <= set(block), declared - set(block)
    for key, prop in block_schema["properties"].items():
        if prop.get("format") == "date-time" and key in block:
            assert RFC3339.match(block[key]), (key, block[key])
            datetime.fromisoformat(block[key].replace("Z", "+00:00"))
    if block["status"] == "active":
        assert "statusMessage" not in block
    return block


def server_responses(body: dict[str, Any]) -> list[dict[str, Any]]:
    if "server" in body:
        return [body]
    items: list[dict[str, Any]] = body["servers"]
    return items


def check_ok(r: Any, path: str, method: str) -> dict[str, Any]:
    """A success answer that validates against what the reference declares for it."""
    assert r.status_code == 200, f"{method.upper()} {r.request.url} -> {r.status_code}: {r.text}"
    assert r.headers["content-type"].split(";")[0].strip() == "application/json"
    body: dict[str, Any] = r.json()
    schema = response_schema(path, method, 200)
    assert schema is not None, f"the reference declares no 200 answer for {method} {path}"
    errors = schema_errors(component_validator(schema), body)
    assert not errors, errors
    for item in server_responses(body):
        check_official(item)
    return body


def check_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, f"{r.request.url} -> {r.status_code}: {r.text}"
    assert r.headers["content-type"].split(";")[0].strip() == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["title"] == HTTPStatus(status).phrase
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body
