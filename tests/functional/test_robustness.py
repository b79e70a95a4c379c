"""No input produces a 500: malformed bodies, parameters, paths and credentials all get a 4xx
problem JSON, and leave the stored data exactly as it was."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.core.permissions import Action, Permission, Principal
from registrum.server.settings import Settings
from registrum.server.wiring import build
from tests.conftest import TEST_SEED, auth
from tests.factories import server_json
from tests.functional.robustness_support import (
    PREFIXES,
    TOOLS,
    WEATHER,
    Seeded,
    assert_problem,
    enc,
)

MAX_BODY = 1024 * 1024  # the default of settings.max_body_bytes


@pytest.fixture
def seeded(client, registry, token) -> Seeded:
    """A fresh registry with a few servers, for tests that try to write."""
    assert registry.context.max_body_bytes == MAX_BODY
    return Seeded(client, registry, token("publish:*", "edit:*"))


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """One seeded registry shared by the tests that only read (GET cannot change it)."""
    tmp: Path = tmp_path_factory.mktemp("reader")
    registry = build(
        Settings(
            data_dir=tmp / "data",
            database_url=f"sqlite:///{tmp / 'registry.db'}",
            jwt_private_key=TEST_SEED,
        )
    )
    admin = (Permission(Action.PUBLISH, "*"), Permission(Action.EDIT, "*"))
    jwt_, _ = registry.context.tokens.issue(Principal("test", "reader", admin))
    with TestClient(create_app(registry.context), raise_server_exceptions=False) as client:
        seeded = Seeded(client, registry, jwt_)
        yield seeded
        seeded.assert_intact()
    registry.close()


@pytest.fixture(params=PREFIXES)
def prefix(request) -> str:
    return request.param


def write_endpoints(prefix: str) -> dict[str, tuple[str, str]]:
    """Every endpoint that reads a JSON body, aimed at a stored version."""
    one = f"{prefix}/servers/{enc(WEATHER)}/versions/1.0.0"
    return {
        "publish": ("POST", f"{prefix}/publish"),
        "edit": ("PUT", one),
        "version-status": ("PATCH", f"{one}/status"),
        "server-status": ("PATCH", f"{prefix}/servers/{enc(WEATHER)}/status"),
    }


ENDPOINTS = ("publish", "edit", "version-status", "server-status")
JSON = {"Content-Type": "application/json"}
# A server.json that fails validation: 422 as the official framework answers a body that breaks
# its schema, or 400 as its semantic checks do. Either way a located problem.
DOCUMENT_INVALID = (400, 422)


# --- bodies --------------------------------------------------------------------------------

VALID = json.dumps(server_json(name=WEATHER, version="1.0.0"))

BAD_BODIES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("whitespace", b" \r\n\t "),
    ("null", b"null"),
    ("empty array", b"[]"),
    ("array of object", b"[" + VALID.encode() + b"]"),
    ("integer", b"42"),
    ("negative float", b"-1.5e3"),
    ("string", b'"io.github.alice/weather"'),
    ("boolean", b"true"),
    ("invalid UTF-8", b"\xff\xfe\xfd"),
    ("invalid UTF-8 inside a string", b'{"name": "io.github.alice/\xff"}'),
    ("truncated UTF-8 sequence", b'{"description": "caf\xc3"}'),
    ("UTF-16", VALID.encode("utf-16")),
    ("byte order mark", b"\xef\xbb\xbf" + VALID.encode()),
    ("truncated JSON", VALID.encode()[: len(VALID) // 2]),
    ("unterminated string", b'{"name": "io.github.alice/weather'),
    ("trailing garbage", VALID.encode() + b" }"),
    ("two documents", VALID.encode() + VALID.encode()),
    ("single quotes", b"{'name': 'x'}"),
    ("trailing comma", b'{"name": "x",}'),
    ("comment", b'/* c */ {"name": "x"}'),
    ("10000 nested arrays", b"[" * 10_000 + b"]" * 10_000),
    ("5000 nested objects", b'{"a":' * 5_000 + b"1" + b"}" * 5_000),
    ("unclosed nesting", b"[" * 100_000),
    ("NaN", b"NaN"),
    ("NaN member", VALID[:-1].encode() + b', "title": NaN}'),
    ("Infinity member", VALID[:-1].encode() + b', "title": Infinity}'),
    ("-Infinity member", VALID[:-1].encode() + b', "title": -Infinity}'),
    ("number overflowing a double", VALID[:-1].encode() + b', "title": 1e999}'),
    ("huge integer", VALID[:-1].encode() + b', "title": ' + b"9" * 5000 + b"}"),
    ("lone surrogate escape", b'{"name": "\\ud800"}'),
    ("raw NUL in a string", b'{"name": "a\x00b"}'),
    ("raw control characters", b'{"name": "a\nb\x1b"}'),
    ("duplicate keys of different types", b'{"status": "deleted", "status": 5, "name": 1}'),
    ("NUL bytes", b"\x00" * 64),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_malformed_bodies_are_problems_not_errors(client, seeded, prefix, endpoint):
    method, url = write_endpoints(prefix)[endpoint]
    for label, body in BAD_BODIES:
        r = client.request(method, url, content=body, headers={**seeded.headers, **JSON})
        problem = assert_problem(r, (400, 422), location="body", case=label)
        assert problem["errors"], f"{label}: no errors[] to point at the body"
    seeded.assert_intact()


def test_duplicate_keys_take_the_last_value_as_json_parsers_do(client, seeded, prefix):
    # The last of two equal keys wins (as in Go's encoding/json); the stored document has
    # only one of them.
    doc = server_json(name=WEATHER, version="3.0.0", description="first")
    body = json.dumps(doc)[:-1] + ', "description": "second"}'
    r = client.post(f"{prefix}/publish", content=body, headers={**seeded.headers, **JSON})
    assert r.status_code == 200, r.text
    assert r.json()["server"]["description"] == "second"
    stored = client.get(f"{prefix}/servers/{enc(WEATHER)}/versions/3.0.0").json()["server"]
    assert stored == {**doc, "description": "second"}


# Values of the wrong JSON type for each top-level member of server.json.
_NOT_STRING = [1, -1.5, True, [], {}, ["x"], {"a": "b"}]
_NOT_ARRAY = ["x", 1, True, {}, {"0": {}}, [1], ["x"], [None], [[]]]
_NOT_OBJECT = ["x", 1, True, [], [1], [{}]]
WRONG_TYPES: dict[str, list[Any]] = {
    "$schema": [*_NOT_STRING, None],
    "name": [*_NOT_STRING, None],
    "description": [*_NOT_STRING, None],
    "version": [*_NOT_STRING, None],
    "title": _NOT_STRING,
    "websiteUrl": _NOT_STRING,
    "packages": _NOT_ARRAY,
    "remotes": _NOT_ARRAY,
    "icons": _NOT_ARRAY,
    "repository": _NOT_OBJECT,
    "_meta": _NOT_OBJECT,
}


@pytest.mark.parametrize("member", WRONG_TYPES)
def test_wrong_type_for_a_member_is_located(client, seeded, member):
    for prefix in PREFIXES:
        urls = write_endpoints(prefix)
        for value in WRONG_TYPES[member]:
            for endpoint, version in (("publish", "9.9.9"), ("edit", "1.0.0")):
                doc = server_json(name=WEATHER, version=version)
                doc[member] = value
                method, url = urls[endpoint]
                r = client.request(method, url, json=doc, headers=seeded.headers)
                assert_problem(
                    r, DOCUMENT_INVALID, location=f"body.{member}", case=f"{member}={value!r}"
                )
    missing = client.get(f"/v0.1/servers/{enc(WEATHER)}/versions/9.9.9")
    assert_problem(missing, 404)
    seeded.assert_intact()


BAD_STATUS_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"status": None}, "body.status"),
    ({"status": 1}, "body.status"),
    ({"status": ["deleted"]}, "body.status"),
    ({"status": {"status": "deleted"}}, "body.status"),
    ({"status": "DELETED"}, "body.status"),
    ({"status": "deleted\u0000"}, "body.status"),
    ({"status": ""}, "body.status"),
    ({"status": "deprecated", "statusMessage": 5}, "body.statusMessage"),
    ({"status": "deprecated", "statusMessage": ["x"]}, "body.statusMessage"),
    ({"status": "deprecated", "statusMessage": {"a": 1}}, "body.statusMessage"),
    ({"status": "deprecated", "statusMessage": "x" * 501}, "body.statusMessage"),
    ({"status": "active", "statusMessage": "why"}, "body.statusMessage"),
    ({"statusMessage": "no status"}, "body.status"),
    ({}, "body.status"),
]


@pytest.mark.parametrize("endpoint", ["version-status", "server-status"])
def test_bad_status_bodies_are_located(client, seeded, prefix, endpoint):
    method, url = write_endpoints(prefix)[endpoint]
    for body, location in BAD_STATUS_BODIES:
        r = client.request(method, url, json=body, headers=seeded.headers)
        assert_problem(r, 400, location=location, case=repr(body)[:80])
    seeded.assert_intact()


def nested(depth: int) -> Any:
    """Arrays nested ``depth`` levels deep."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


PUBLISHER = "io.modelcontextprotocol.registry/publisher-provided"


DEEP = "@@deep@@"


def with_deep(doc: dict[str, Any], depth: int) -> bytes:
    """``doc`` as JSON, with the string ``DEEP`` in it replaced by arrays nested ``depth``
    levels deep (written out by hand: the JSON encoders stop at a few hundred levels)."""
    return json.dumps(doc).replace(f'"{DEEP}"', "[" * depth + "]" * depth).encode()


def deep_documents(version: str) -> list[tuple[str, dict[str, Any]]]:
    """Valid documents but for one member with ``DEEP`` inside."""
    doc = server_json(name=WEATHER, version=version)
    remote_ = {"type": "sse", "url": "https://mcp.example.com/sse", "headers": DEEP}
    return [
        ("_meta", {**doc, "_meta": {PUBLISHER: {"x": DEEP}}}),
        ("_meta", {**doc, "_meta": {"io.example/other": DEEP}}),
        ("unknown", {**doc, "unknown": DEEP}),
        ("packages", {**doc, "packages": DEEP}),
        ("remotes", {**doc, "remotes": [remote_]}),
    ]


@pytest.mark.parametrize("depth", [65, 100, 254, 300, 1000])
def test_deep_nesting_inside_a_document_is_refused_where_it_is(client, seeded, depth):
    # Below the JSON parser's own limit, but deeper than the model and encoder can walk.
    for prefix in PREFIXES:
        urls = write_endpoints(prefix)
        for endpoint, version in (("publish", "8.0.0"), ("edit", "1.0.0")):
            method, url = urls[endpoint]
            for member, doc in deep_documents(version):
                body = with_deep(doc, depth)
                r = client.request(method, url, content=body, headers={**seeded.headers, **JSON})
                assert_problem(r, 400, location=f"body.{member}", case=f"{member} {endpoint}")
        for endpoint in ("version-status", "server-status"):
            method, url = urls[endpoint]
            body = with_deep({"status": "deprecated", "statusMessage": DEEP}, depth)
            r = client.request(method, url, content=body, headers={**seeded.headers, **JSON})
            assert_problem(r, 400, location="body.statusMessage", case=endpoint)
    assert_problem(client.get(f"/v0.1/servers/{enc(WEATHER)}/versions/8.0.0"), 404)
    seeded.assert_intact()


def test_nesting_up_to_the_limit_is_stored_and_served(client, seeded, prefix):
    # The body, _meta and the extension are three levels: 61 more under "x" make 64.
    doc = server_json(name=WEATHER, version="8.0.0", _meta={PUBLISHER: {"x": nested(61)}})
    r = client.post(f"{prefix}/publish", json=doc, headers=seeded.headers)
    assert r.status_code == 200, r.text
    got = client.get(f"{prefix}/servers/{enc(WEATHER)}/versions/8.0.0")
    assert got.json()["server"] == doc
    deeper = server_json(name=WEATHER, version="8.0.1", _meta={PUBLISHER: {"x": nested(62)}})
    r = client.post(f"{prefix}/publish", json=deeper, headers=seeded.headers)
    assert_problem(r, 400, location=f"body._meta.{PUBLISHER}.x")


# --- versions that a URL or a cursor could not name ----------------------------------------


@pytest.mark.parametrize("version", ["1.0.0\n", "1.0.0\r\n", "\t1.0.0", "1.0.0\x00", "1\x1b[0m"])
def test_a_version_with_control_characters_is_refused(client, seeded, prefix, version):
    # It could never be read back: path segments and cursors refuse control characters.
    doc = server_json(name=WEATHER, version=version)
    r = client.post(f"{prefix}/publish", json=doc, headers=seeded.headers)
    assert_problem(r, DOCUMENT_INVALID, location="body.version")
    seeded.assert_intact()


ODD_VERSIONS_THAT_ARE_FINE = [
    "1.0.0:rc:1",
    "1.0.0+build.7",
    "1.0.0 beta",
    "100%",
    "a/b",
    "?#&=",
    " ",
]
# Publishing refuses these (versions are ASCII, without control characters), but another
# registry may serve them, and an import keeps them: they must page like any other.
ODD_VERSIONS_ONLY_INGESTED = ["ünïcödé-1", "\u2028", "\U0001f600", "\x7f"]


def test_every_cursor_the_list_gives_is_accepted_back(client, seeded, prefix):
    # Versions may hold ':' (the cursor separator), '/', '%', '?', spaces and any Unicode;
    # walking the list one item at a time must reach every one of them, each exactly once.
    for version in ODD_VERSIONS_THAT_ARE_FINE:
        doc = server_json(name=WEATHER, version=version)
        r = client.post("/v0.1/publish", json=doc, headers=seeded.headers)
        assert r.status_code == 200, f"{version!r}: {r.text}"
        got = client.get(f"{prefix}/servers/{enc(WEATHER)}/versions/{enc(version)}")
        assert got.status_code == 200, f"{version!r}: {got.text}"
        assert got.json()["server"] == doc
    for version in ODD_VERSIONS_ONLY_INGESTED:
        doc = server_json(name=WEATHER, version=version)
        assert client.post("/v0.1/publish", json=doc, headers=seeded.headers).status_code == 422
        assert seeded.registry.context.importer.import_items([doc]).added == 1
        got = client.get(f"{prefix}/servers/{enc(WEATHER)}/versions/{enc(version)}")
        assert got.status_code == 200, f"{version!r}: {got.text}"
        assert got.json()["server"] == doc
    seen: list[tuple[str, str]] = []
    cursor = None
    for _ in range(100):
        params: dict[str, Any] = {"limit": 1, "include_deleted": "true"}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.get(f"{prefix}/servers", params=params)
        items = list_ok(page)
        seen += [(i["server"]["name"], i["server"]["version"]) for i in items]
        cursor = page.json()["metadata"].get("nextCursor")
        if not cursor:
            break
    everything = {"limit": 100, "include_deleted": "true"}
    whole = list_ok(client.get(f"{prefix}/servers", params=everything))
    assert seen == [(i["server"]["name"], i["server"]["version"]) for i in whole]
    assert len(seen) == len(set(seen))
    odd = ODD_VERSIONS_THAT_ARE_FINE + ODD_VERSIONS_ONLY_INGESTED
    assert {(WEATHER, v) for v in odd} <= set(seen)


# --- body size -----------------------------------------------------------------------------


def padded(doc: dict[str, Any], size: int) -> bytes:
    """``doc`` as JSON, padded with whitespace to exactly ``size`` bytes."""
    raw = json.dumps(doc).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_body_of_exactly_the_cap_is_read(client, seeded, prefix):
    doc = server_json(name=WEATHER, version="5.0.0")
    r = client.post(
        f"{prefix}/publish", content=padded(doc, MAX_BODY), headers={**seeded.headers, **JSON}
    )
    assert r.status_code == 200, r.text
    assert r.json()["server"] == doc


def test_a_chunked_body_under_the_cap_is_read(client, seeded, prefix):
    doc = server_json(name=WEATHER, version="5.0.0")
    r = client.post(
        f"{prefix}/publish",
        content=chunks(padded(doc, MAX_BODY), size=1000),
        headers={**seeded.headers, **JSON},
    )
    assert "content-length" not in r.request.headers
    assert r.status_code == 200, r.text
    assert r.json()["server"] == doc


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_bodies_over_the_cap_are_413(client, seeded, endpoint):
    doc = server_json(name=WEATHER, version="5.0.0")
    over = padded(doc, MAX_BODY + 1)
    for prefix in PREFIXES:
        method, url = write_endpoints(prefix)[endpoint]
        headers = {**seeded.headers, **JSON}
        cases: list[tuple[str, Any, dict[str, str]]] = [
            ("one byte over", over, headers),
            ("eight times over", b"[" * (8 * MAX_BODY), headers),
            # A generator goes out chunked, without Content-Length: only counting what
            # arrives can catch it.
            ("chunked, one byte over", chunks(over), headers),
            ("chunked, in one-byte chunks at the end", chunks(over, size=MAX_BODY - 1), headers),
        ]
        # Refused on the declaration alone, whatever (little) actually follows.
        for declared in (str(MAX_BODY + 1), "99999999999999999999999", "abc", "1e9"):
            small = json.dumps(doc).encode()
            cases.append((f"declares {declared}", small, {**headers, "Content-Length": declared}))
        for label, content, sent in cases:
            r = client.request(method, url, content=content, headers=sent)
            problem = assert_problem(r, 413, case=label)
            assert str(MAX_BODY) in problem["detail"]
    assert_problem(client.get(f"/v0.1/servers/{enc(WEATHER)}/versions/5.0.0"), 404)
    seeded.assert_intact()


def test_a_lying_content_length_is_never_a_server_error(client, seeded, prefix):
    # The declared length is smaller than what follows; whatever the server reads (the
    # duplicate version, a fragment, or nothing) is refused.
    body = json.dumps(server_json(name=WEATHER, version="1.0.0")).encode()
    for declared in ("3", "0", "-5", " 7 ", "0x10"):
        r = client.post(
            f"{prefix}/publish",
            content=body,
            headers={**seeded.headers, **JSON, "Content-Length": declared},
        )
        assert_problem(r, case=f"Content-Length: {declared!r}")
    seeded.assert_intact()


# --- Content-Type --------------------------------------------------------------------------

NOT_JSON_TYPES = [
    "text/json",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/cbor",
    "application/octet-stream",
    "json",
    "application/jsonx",
    "application/json-patch",
    "garbage;;;=",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_body_that_is_not_declared_json_is_415(client, seeded, endpoint):
    # As the official registry's framework does: only JSON (or +json) bodies are read.
    for prefix in PREFIXES:
        method, url = write_endpoints(prefix)[endpoint]
        body: dict[str, Any] = {
            "publish": server_json(name=WEATHER, version="6.0.0"),
            "edit": server_json(name=WEATHER, version="1.0.0", description="Changed."),
        }.get(endpoint, {"status": "deprecated"})
        for content_type in NOT_JSON_TYPES:
            r = client.request(
                method,
                url,
                content=json.dumps(body),
                headers={**seeded.headers, "Content-Type": content_type},
            )
            assert_problem(r, 415, location="body", case=content_type)
    seeded.assert_intact()


def test_json_content_types_and_none_are_read(client, seeded, prefix):
    types = [None, "application/json", "application/json; charset=utf-8", "Application/JSON"]
    types.append("application/vnd.example+json")
    # What `curl -d` (and plain tools) send without an explicit header.
    types += ["application/x-www-form-urlencoded", "text/plain; charset=utf-8"]
    for i, content_type in enumerate(types):
        doc = server_json(name=WEATHER, version=f"6.0.{i}")
        headers = dict(seeded.headers)
        if content_type is not None:
            headers["Content-Type"] = content_type
        r = client.post(f"{prefix}/publish", content=json.dumps(doc).encode(), headers=headers)
        assert r.status_code == 200, f"{content_type}: {r.text}"
        assert r.json()["server"] == doc


# --- query parameters ----------------------------------------------------------------------

BAD_QUERIES: list[tuple[str, int, str | None]] = [
    ("limit=abc", 422, "query.limit"),
    ("limit=1.5", 422, "query.limit"),
    ("limit=1e2", 422, "query.limit"),
    ("limit=-1", 422, "query.limit"),
    ("limit=0", 422, "query.limit"),
    ("limit=101", 422, "query.limit"),
    ("limit=99999999999999999999", 422, "query.limit"),
    ("limit=-99999999999999999999", 422, "query.limit"),
    ("limit=", 422, "query.limit"),
    ("limit=%EF%BC%91", 422, "query.limit"),  # a full-width digit one
    ("limit=%ff", 400, "query.limit"),
    ("include_deleted=maybe", 422, "query.include_deleted"),
    ("include_deleted=", 422, "query.include_deleted"),
    ("include_deleted=2", 422, "query.include_deleted"),
    ("updated_since=garbage", 400, "query.updated_since"),
    ("updated_since=9999-99-99T99:99:99Z", 400, "query.updated_since"),
    ("updated_since=0000-01-01T00:00:00Z", 400, "query.updated_since"),
    ("updated_since=10000-01-01T00:00:00Z", 400, "query.updated_since"),
    ("updated_since=-2025-01-01T00:00:00Z", 400, "query.updated_since"),
    ("updated_since=2025-02-30T00:00:00Z", 400, "query.updated_since"),
    ("updated_since=2025-01-01T24:00:00Z", 400, "query.updated_since"),
    ("updated_since=2025-01-01T00:00:00", 400, "query.updated_since"),
    ("updated_since=2025-01-01", 400, "query.updated_since"),
    ("updated_since=1735689600", 400, "query.updated_since"),
    ("updated_since=2025-01-01T00:00:00%2B99:00", 400, "query.updated_since"),
    # Well-formed, but outside the calendar once moved to UTC.
    ("updated_since=9999-12-31T23:59:59-23:59", 400, "query.updated_since"),
    ("updated_since=0001-01-01T00:00:00%2B23:59", 400, "query.updated_since"),
    ("updated_since=%ff", 400, "query.updated_since"),
    ("updated_since=2025-01-01T00:00:00Z&include_deleted=false", 400, "query.include_deleted"),
    ("cursor=%00", 400, "query.cursor"),
    ("cursor=io.github.alice%2Fweather%00:1.0.0", 400, "query.cursor"),
    ("cursor=a%0Ab", 400, "query.cursor"),
    ("cursor=%1B%5B31m", 400, "query.cursor"),
    ("cursor=%ff", 400, "query.cursor"),
    ("cursor=%ff:%fe", 400, "query.cursor"),
    ("cursor=%C3%28", 400, "query.cursor"),  # a broken two-byte sequence
    ("cursor=%ED%A0%80", 400, "query.cursor"),  # an encoded UTF-16 surrogate
    ("search=%00", 400, "query.search"),
    ("search=%ff", 400, "query.search"),
    ("version=%00", 400, "query.version"),
    ("version=%fe%ff", 400, "query.version"),
    ("%ff=1", 400, None),
]


@pytest.mark.parametrize(("query", "status", "location"), BAD_QUERIES)
def test_bad_query_parameters_are_located_problems(reader, prefix, query, status, location):
    r = reader.client.get(f"{prefix}/servers?{query}")
    assert_problem(r, status, location=location)


@pytest.mark.parametrize("query", ["include_deleted=maybe", "include_deleted=%ff"])
def test_bad_include_deleted_on_one_server_is_located(reader, prefix, query):
    for url in (
        f"{prefix}/servers/{enc(WEATHER)}/versions?{query}",
        f"{prefix}/servers/{enc(WEATHER)}/versions/1.0.0?{query}",
        f"{prefix}/servers/{enc(WEATHER)}/versions/latest?{query}",
    ):
        assert_problem(reader.client.get(url), (400, 422), location="query.include_deleted")


def list_ok(r: Any) -> list[dict[str, Any]]:
    __tracebackhide__ = True
    assert r.status_code == 200, f"{r.request.url}: {r.text[:300]}"
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["metadata"]["count"] == len(body["servers"])
    return body["servers"]


ODD_BUT_FINE: list[str] = [
    "cursor=" + "a" * 10_240,
    "cursor=" + "%E2%9C%93" * 1000,
    "cursor=%E2%9C%93:%F0%9F%98%80",
    "cursor=:",
    "cursor=::::",
    "cursor=:1.0.0",
    "cursor=%25zz",
    "cursor=%zz",
    "cursor=",
    "cursor=zzzzzzzz:",
    "search=",
    "search=" + "x" * 10_240,
    "search=%F0%9F%98%80",
    "search=%7F",
    "version=",
    "version=%E2%9C%93..%2F%2F%3F%23",
    "version=" + "9" * 10_000,
    "version=LATEST",
    "updated_since=",
    "updated_since=0001-01-01T00:00:00Z",
    "updated_since=9999-12-31T23:59:59Z",
    "updated_since=2025-01-01T00:00:00.123456789%2B05:30",
    "limit=1&limit=2",
    "limit=+5",
    "limit=005",
    "unknown=%E2%9C%93",
    "include_deleted=TRUE",
    "include_deleted=0",
    "&&&==&",
]


@pytest.mark.parametrize("query", ODD_BUT_FINE)
def test_odd_but_well_formed_queries_answer_a_list(reader, prefix, query):
    list_ok(reader.client.get(f"{prefix}/servers?{query}"))


def test_search_metacharacters_are_literal(reader, prefix):
    # None of the seeded names or descriptions contains these characters; as wildcards
    # (LIKE '%' or '_') or a dangling escape they would match every server, or fail.
    for term in ["%", "_", "\\", "%_", "\\%", "'", '"', "*", "?", "[a-z]", "\\\\", "%%%%"]:
        found = list_ok(reader.client.get(f"{prefix}/servers", params={"search": term}))
        assert found == [], term


def test_search_finds_a_literal_underscore(client, seeded, prefix):
    doc = server_json(name="io.github.alice/snake_case", description="Under_score.")
    assert client.post("/v0.1/publish", json=doc, headers=seeded.headers).status_code == 200
    found = list_ok(client.get(f"{prefix}/servers", params={"search": "e_c"}))
    assert [s["server"]["name"] for s in found] == ["io.github.alice/snake_case"]


def test_extreme_cursors_give_the_first_or_an_empty_page(reader, prefix):
    client = reader.client
    assert list_ok(client.get(f"{prefix}/servers", params={"cursor": "\U0010ffff" * 50})) == []
    first = list_ok(client.get(f"{prefix}/servers", params={"cursor": ":"}))
    assert first
    assert first == list_ok(client.get(f"{prefix}/servers"))


# --- path parameters -----------------------------------------------------------------------

BAD_SEGMENTS: list[tuple[str, str]] = [
    ("%zz", "broken escape"),
    ("%", "lone percent"),
    ("%4", "short escape"),
    ("%ff", "invalid UTF-8"),
    ("%C3%28", "broken two-byte sequence"),
    ("%ED%A0%80", "encoded surrogate"),
    ("%00", "NUL"),
    ("a%0Ab", "newline"),
    ("io.github.alice%2Fweather%1B", "escape character"),
]


@pytest.mark.parametrize(("segment", "why"), BAD_SEGMENTS)
def test_bad_encodings_in_reads_are_400(reader, prefix, segment, why):
    name = f"{prefix}/servers/{segment}"
    for url in (f"{name}/versions", f"{name}/versions/1.0.0", f"{name}/versions/latest"):
        assert_problem(reader.client.get(url), 400, location="path.serverName", case=why)
    one = f"{prefix}/servers/{enc(WEATHER)}/versions/{segment}"
    assert_problem(reader.client.get(one), 400, location="path.version", case=why)


def test_bad_encodings_in_writes_are_400(client, seeded, prefix):
    for segment, why in BAD_SEGMENTS:
        name = f"{prefix}/servers/{segment}"
        one = f"{prefix}/servers/{enc(WEATHER)}/versions/{segment}"
        writes = [
            ("PUT", f"{name}/versions/1.0.0", server_json(name=WEATHER), "serverName"),
            ("DELETE", f"{name}/versions/1.0.0", None, "serverName"),
            ("PATCH", f"{name}/versions/1.0.0/status", {"status": "deleted"}, "serverName"),
            ("PATCH", f"{name}/status", {"status": "deleted"}, "serverName"),
            ("PUT", one, server_json(name=WEATHER), "version"),
            ("DELETE", one, None, "version"),
            ("PATCH", f"{one}/status", {"status": "deleted"}, "version"),
        ]
        for method, url, body, param in writes:
            r = client.request(method, url, json=body, headers=seeded.headers)
            assert_problem(r, 400, location=f"path.{param}", case=why)
    seeded.assert_intact()


ODD_NAMES = [
    "a" * 10_240,
    "io.github.alice%2F" + "w" * 10_240,
    "%E2%9C%93%2F%F0%9F%98%80",
    "io.github.alice%2Fweather%E2%80%8B",  # a zero-width space
    "io.github.alice%2Fweather%20",
    "io.github.alice%2F",
    "%2F",
    "%2Fweather",
    "%2E%2E",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "IO.GITHUB.ALICE%2FWEATHER",
    "io.github.alice%252Fweather",
]
# Not '.' or '..' unencoded: the HTTP client resolves those before sending.
ODD_VERSIONS = ["9" * 10_240, "%E2%9C%93", "1.0.0%2F..", "%2E%2E", "1.0.0%20", "Latest", "%2E"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_unknown_odd_names_are_404(reader, prefix, name):
    for url in (
        f"{prefix}/servers/{name}/versions",
        f"{prefix}/servers/{name}/versions/1.0.0",
        f"{prefix}/servers/{name}/versions/latest",
    ):
        assert_problem(reader.client.get(url), 404)


@pytest.mark.parametrize("version", ODD_VERSIONS)
def test_unknown_odd_versions_are_404(reader, prefix, version):
    url = f"{prefix}/servers/{enc(WEATHER)}/versions/{version}"
    assert_problem(reader.client.get(url), 404)


def test_writes_to_odd_names_and_versions_are_404(client, seeded, prefix):
    for name in ODD_NAMES:
        r = client.patch(
            f"{prefix}/servers/{name}/status", json={"status": "deleted"}, headers=seeded.headers
        )
        assert_problem(r, 404, case=name[:40])
    for version in ODD_VERSIONS:
        url = f"{prefix}/servers/{enc(WEATHER)}/versions/{version}"
        for method, suffix, body in (
            ("PATCH", "/status", {"status": "deleted"}),
            ("DELETE", "", None),
            ("PUT", "", server_json(name=WEATHER, version=version)),
        ):
            r = client.request(method, url + suffix, json=body, headers=seeded.headers)
            assert_problem(r, (*DOCUMENT_INVALID, 404), case=f"{method} {version[:40]}")
    seeded.assert_intact()


@pytest.mark.parametrize(
    "path",
    [
        "/v0.1/servers//versions",
        "/v0.1/servers//versions/1.0.0",
        "/v0.1/servers/x/y/z/versions",
        "/v0.1/servers/%2F/%2F/versions",
        "/v0.1/server",
        "/v0.1/nope",
        "/v0.2/servers",
        "/v1/servers",
        "/servers",
        "/nope",
        "/%ff",
        "/v0.1/%ff",
        "/v0.1/%00",
        "/v0.1/servers/io.github.alice%2Fweather/versions/1.0.0/extra",
        "/v0.1/servers/io.github.alice%2Fweather",
        "/" + "x" * 10_240,
    ],
)
def test_unknown_routes_are_404_problems(reader, path):
    problem = assert_problem(reader.client.get(path), 404)
    assert "/docs" in problem["detail"] or problem["detail"] == "Server not found"


def test_dot_segments_do_not_escape_the_api(reader, prefix):
    # An HTTP client resolves '..' before sending; what arrives is an unknown route.
    r = reader.client.get(f"{prefix}/servers/../../openapi.json/../servers/x/versions")
    assert_problem(r, 404)


@pytest.mark.parametrize(
    "path",
    ["/servers/", "/servers/io.github.alice%2Fweather/versions/", "/ping/", "/health/"],
)
def test_trailing_slashes_redirect_to_the_route(reader, prefix, path):
    r = reader.client.get(f"{prefix}{path}", follow_redirects=False)
    assert r.status_code in (307, 308)
    assert r.headers["location"].endswith(f"{prefix}{path}".rstrip("/"))
    assert reader.client.get(f"{prefix}{path}").status_code == 200


WRONG_METHODS: list[tuple[str, str, str | None]] = [
    ("DELETE", "/servers", "GET"),
    ("PUT", "/servers", "GET"),
    ("POST", "/servers", "GET"),
    ("PATCH", "/servers", "GET"),
    ("GET", "/publish", "POST"),
    ("PUT", "/publish", "POST"),
    ("DELETE", "/publish", "POST"),
    ("POST", "/servers/io.github.alice%2Fweather/versions", "GET"),
    ("POST", "/servers/io.github.alice%2Fweather/versions/1.0.0", None),
    ("GET", "/servers/io.github.alice%2Fweather/versions/1.0.0/status", "PATCH"),
    ("PUT", "/servers/io.github.alice%2Fweather/versions/1.0.0/status", "PATCH"),
    ("GET", "/servers/io.github.alice%2Fweather/status", "PATCH"),
    ("POST", "/ping", "GET"),
]


def test_wrong_methods_are_405_problems(client, seeded, prefix):
    for method, path, allowed in WRONG_METHODS:
        r = client.request(
            method, f"{prefix}{path}", json={"status": "deleted"}, headers=seeded.headers
        )
        assert_problem(r, 405, case=f"{method} {path}")
        if allowed is not None:
            assert allowed in r.headers["allow"]
    seeded.assert_intact()


# --- credentials ---------------------------------------------------------------------------

REGISTRY_KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(TEST_SEED))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex("22" * 32))
_ABSENT = object()


def claims(**changes: Any) -> dict[str, Any]:
    """The claims of a registry token granting everything; ``_ABSENT`` removes a claim."""
    now = int(time.time())
    out: dict[str, Any] = {
        "iss": "mcp-registry",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "auth_method": "test",
        "auth_method_sub": "mallory",
        "permissions": [
            {"action": "publish", "resource": "*"},
            {"action": "edit", "resource": "*"},
        ],
    }
    out.update(changes)
    return {k: v for k, v in out.items() if v is not _ABSENT}


def sign(payload: dict[str, Any], key: Ed25519PrivateKey = REGISTRY_KEY) -> str:
    return jwt.encode(payload, key, algorithm="EdDSA")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_with_header(header: dict[str, Any], payload: dict[str, Any], sig: bytes) -> str:
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(sig)])


def hs256_with_public_key(payload: dict[str, Any]) -> str:
    """The algorithm-confusion forgery: an HMAC keyed with the registry's public key."""
    key = REGISTRY_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = f"{header}.{b64(json.dumps(payload).encode())}"
    sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


def bad_authorizations() -> list[tuple[str, str | bytes]]:
    genuine = sign(claims())
    head, body, sig = genuine.split(".")
    now = int(time.time())
    return [
        ("empty", ""),
        ("only spaces", "   "),
        ("scheme only", "Bearer"),
        ("scheme and spaces", "Bearer  "),
        ("basic", "Basic x"),
        ("basic credentials", "Basic " + base64.b64encode(b"admin:admin").decode()),
        ("token without scheme", genuine),
        ("wrong scheme", f"Token {genuine}"),
        ("two tokens", f"Bearer {genuine} {genuine}"),
        ("garbage", "Bearer garbage"),
        ("garbage base64", "Bearer eyJ!!!.eyJ???.***"),
        ("three dots", "Bearer ..."),
        ("empty parts", "Bearer .."),
        ("not JSON inside", f"Bearer {b64(b'not json')}.{b64(b'nor this')}.{b64(b'sig')}"),
        ("header is a list", f"Bearer {b64(b'[1]')}.{body}.{sig}"),
        ("very long", "Bearer " + "a" * 10_240),
        ("non-ASCII bytes", b"Bearer \xff\xfe\xfd"),
        ("signed with another key", f"Bearer {sign(claims(), OTHER_KEY)}"),
        ("alg none", f"Bearer {jwt.encode(claims(), None, algorithm='none')}"),
        (
            "alg none with a signature",
            f"Bearer {forged_with_header({'alg': 'none'}, claims(), b'x')}",
        ),
        ("HS256 keyed with the public key", f"Bearer {hs256_with_public_key(claims())}"),
        ("signature of another token", f"Bearer {head}.{b64(b'{}')}.{sig}"),
        ("tampered payload", f"Bearer {head}.{b64(json.dumps(claims(iss='x')).encode())}.{sig}"),
        ("truncated signature", f"Bearer {head}.{body}.{sig[:-4]}"),
        ("missing exp", f"Bearer {sign(claims(exp=_ABSENT))}"),
        # Correctly signed, but not what this registry issues: another issuer, a lifetime
        # far beyond the registry's five minutes, no time of issue, issued in the future.
        ("wrong issuer", f"Bearer {sign(claims(iss='https://idp.example.com'))}"),
        ("no issuer", f"Bearer {sign(claims(iss=_ABSENT))}"),
        ("ten-year lifetime", f"Bearer {sign(claims(exp=now + 10 * 365 * 86400))}"),
        ("missing iat", f"Bearer {sign(claims(iat=_ABSENT))}"),
        ("iat in the future", f"Bearer {sign(claims(iat=now + 3600, exp=now + 3700))}"),
        ("expired", f"Bearer {sign(claims(exp=now - 3600, iat=now - 7200, nbf=now - 7200))}"),
        ("not yet valid", f"Bearer {sign(claims(nbf=now + 3600))}"),
        ("exp is text", f"Bearer {sign(claims(exp='tomorrow'))}"),
        ("exp is a float string", f"Bearer {sign(claims(exp=str(now + 300.5)))}"),
        ("permissions is a string", f"Bearer {sign(claims(permissions='publish:*'))}"),
        ("permissions is a number", f"Bearer {sign(claims(permissions=7))}"),
        ("permissions is true", f"Bearer {sign(claims(permissions=True))}"),
        (
            "permissions is an object",
            f"Bearer {sign(claims(permissions={'action': 'publish', 'resource': '*'}))}",
        ),
        ("permission is a string", f"Bearer {sign(claims(permissions=['publish:*']))}"),
        ("permission is a list", f"Bearer {sign(claims(permissions=[['publish', '*']]))}"),
        (
            "permission without resource",
            f"Bearer {sign(claims(permissions=[{'action': 'publish'}]))}",
        ),
        ("permission without action", f"Bearer {sign(claims(permissions=[{'resource': '*'}]))}"),
        (
            "unknown action",
            f"Bearer {sign(claims(permissions=[{'action': 'own', 'resource': '*'}]))}",
        ),
        (
            "action is a list",
            f"Bearer {sign(claims(permissions=[{'action': ['publish'], 'resource': '*'}]))}",
        ),
        (
            "resource is a list",
            f"Bearer {sign(claims(permissions=[{'action': 'publish', 'resource': ['*']}]))}",
        ),
        (
            "resource is a number",
            f"Bearer {sign(claims(permissions=[{'action': 'publish', 'resource': 1}]))}",
        ),
        (
            "resource is null",
            f"Bearer {sign(claims(permissions=[{'action': 'publish', 'resource': None}]))}",
        ),
    ]


def authorization_targets(prefix: str) -> list[tuple[str, str, Any]]:
    one = f"{prefix}/servers/{enc(WEATHER)}/versions/1.0.0"
    return [
        ("POST", f"{prefix}/publish", server_json(name=WEATHER, version="7.0.0")),
        ("PUT", one, server_json(name=WEATHER, version="1.0.0", description="Hijacked.")),
        ("DELETE", one, None),
        ("PATCH", f"{one}/status", {"status": "deleted"}),
        ("PATCH", f"{prefix}/servers/{enc(TOOLS)}/status", {"status": "deleted"}),
    ]


def test_crafted_tokens_are_accepted_when_genuine(client, seeded, prefix):
    # The control for the forgeries below: the same crafting, with the registry's key and
    # well-formed claims, does publish.
    doc = server_json(name=WEATHER, version="7.0.0")
    r = client.post(f"{prefix}/publish", json=doc, headers=auth(sign(claims())))
    assert r.status_code == 200, r.text


def test_no_permissions_claim_is_a_valid_token_that_may_do_nothing(client, seeded, prefix):
    for permissions in (_ABSENT, None, []):
        token = sign(claims(permissions=permissions))
        for method, url, body in authorization_targets(prefix):
            r = client.request(method, url, json=body, headers=auth(token))
            assert_problem(r, 403, case=f"permissions={permissions!r}")
    seeded.assert_intact()


def test_bad_credentials_are_401(client, seeded, prefix):
    cases = [("no header", None), *bad_authorizations()]
    for case, value in cases:
        headers = {} if value is None else {"Authorization": value}
        for method, url, body in authorization_targets(prefix):
            r = client.request(method, url, json=body, headers=headers)
            problem = assert_problem(r, 401, case=case)
            assert r.headers.get("www-authenticate", "").lower().startswith("bearer"), case
            assert not problem.get("errors"), problem
    seeded.assert_intact()


# --- everything at once --------------------------------------------------------------------


def test_after_all_the_abuse_the_data_reads_back_unchanged(client, seeded):
    # One pass of every kind of abuse above, in one registry, on both prefixes; then the
    # seeded data, the lists and the change log are exactly as they were.
    headers = {**seeded.headers, **JSON}
    for prefix in PREFIXES:
        for endpoint in ENDPOINTS:
            method, url = write_endpoints(prefix)[endpoint]
            for _, body in BAD_BODIES:
                assert client.request(method, url, content=body, headers=headers).status_code < 500
            r = client.request(method, url, content=b" " * (MAX_BODY + 1), headers=headers)
            assert r.status_code == 413
            for content_type in NOT_JSON_TYPES:
                r = client.request(
                    method,
                    url,
                    content=b'{"status": "deleted"}',
                    headers={**seeded.headers, "Content-Type": content_type},
                )
                assert r.status_code == 415
        for query, status, _ in BAD_QUERIES:
            assert client.get(f"{prefix}/servers?{query}").status_code == status
        for query in ODD_BUT_FINE:
            assert client.get(f"{prefix}/servers?{query}").status_code == 200
        for segment, _ in BAD_SEGMENTS:
            r = client.patch(
                f"{prefix}/servers/{segment}/status",
                json={"status": "deleted"},
                headers=seeded.headers,
            )
            assert r.status_code == 400
        for _, value in bad_authorizations():
            for method, url, body in authorization_targets(prefix):
                r = client.request(method, url, json=body, headers={"Authorization": value})
                assert r.status_code == 401
    seeded.assert_intact()
    assert len(seeded.change_log()) == len(seeded.before["change log"])
