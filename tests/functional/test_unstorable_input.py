"""Input that once reached a 500: integers past what the database holds, bodies the JSON
decoder chokes on, text PostgreSQL cannot store, URLs the URL parser cannot split. Each is a
4xx problem naming the parameter or member and the fix, or a plain answer; never a 5xx, and
the stored data is left as it was. On both backends."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import remote, server_json
from tests.functional.robustness_support import (
    PREFIXES,
    WEATHER,
    Seeded,
    assert_problem,
    enc,
)

X = "/x/io.registrum"
JSON = {"Content-Type": "application/json"}
INT64_MAX = 2**63 - 1


@pytest.fixture
def seeded(client, registry, token) -> Seeded:
    return Seeded(client, registry, token("publish:*", "edit:*"))


# --- integer query parameters ----------------------------------------------------------------


def integer_parameters(client: TestClient) -> list[tuple[str, str, str, dict[str, Any]]]:
    document = client.get("/openapi.json").json()
    return [
        (method, path, p["name"], p["schema"])
        for path, operations in document["paths"].items()
        for method, op in operations.items()
        for p in op.get("parameters", [])
        if p["schema"].get("type") == "integer"
    ]


def test_every_integer_parameter_is_bounded_in_the_document(client: TestClient) -> None:
    found = integer_parameters(client)
    assert {(path, name) for _, path, name, _ in found} >= {
        ("/v0.1/servers", "limit"),
        ("/v0/servers", "limit"),
        ("/v0.1/x/io.registrum/changes", "since"),
        ("/v0.1/x/io.registrum/changes", "limit"),
    }
    for method, path, name, schema in found:
        assert "minimum" in schema, (method, path, name)
        assert "maximum" in schema, (method, path, name)
        assert schema["maximum"] <= INT64_MAX, (method, path, name)


def test_every_integer_parameter_past_its_bounds_is_a_located_422(client: TestClient) -> None:
    for method, path, name, schema in integer_parameters(client):
        assert method == "get"
        for value in (schema["maximum"] + 1, 2**64, 10**30, schema["minimum"] - 1):
            r = client.get(path, params={name: str(value)})
            assert_problem(r, 422, location=f"query.{name}", case=f"{path}?{name}={value}")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_since_past_the_head_is_an_empty_page(client, seeded, prefix) -> None:
    head = client.get(f"{prefix}{X}/changes?limit=1").json()["metadata"]["head"]
    assert head > 0
    # Past the head, past PostgreSQL's 32-bit integers, up to the largest the API takes.
    for since in (head, head + 1, 2**31 - 1, 2**31, 2**32, INT64_MAX):
        r = client.get(f"{prefix}{X}/changes", params={"since": since})
        assert r.status_code == 200, (since, r.text)
        assert r.json() == {
            "changes": [],
            "metadata": {"count": 0, "head": head, "nextSince": since},
        }
    r = client.get(f"{prefix}{X}/changes", params={"since": INT64_MAX + 1})
    problem = assert_problem(r, 422, location="query.since")
    assert str(INT64_MAX) in problem["errors"][0]["message"]
    # And the feed still reads from the start.
    assert client.get(f"{prefix}{X}/changes?since=0").json()["metadata"]["count"] > 0


# --- bodies the decoder refuses --------------------------------------------------------------

# (label, body, the member the problem names)
UNDECODABLE: list[tuple[str, bytes, str]] = [
    ("lone surrogates, odd keys", b'{"name": "\\ud800", "\\udc00": 1}', "body.name"),
    ("lone surrogate in a name", b'{"version": "1.0.0", "\\udbff": "x"}', "body.\\udbff"),
    ("lone low surrogate", b'{"description": "a\\udc80b"}', "body.description"),
    ("reversed pair", b'{"title": "\\ude00\\ud83d"}', "body.title"),
    ("nested", b'{"packages": [{"identifier": "\\ud800"}]}', "body.packages[0].identifier"),
    ("invalid UTF-8 in a string", b'{"description": "caf\xe9"}', "body.description"),
    ("number past a double", b'{"name": "x", "_meta": {"n": 1e400}}', "body._meta.n"),
    ("integer of 400 digits", b'{"status": ' + b"1" * 400 + b"}", "body.status"),
    ("integer of 5000 digits", b'{"statusMessage": -' + b"9" * 5000 + b"}", "body.statusMessage"),
    ("NaN", b'{"version": NaN}', "body.version"),
    ("-Infinity", b'{"remotes": [-Infinity]}', "body.remotes[0]"),
]


def endpoints(prefix: str) -> list[tuple[str, str]]:
    one = f"{prefix}/servers/{enc(WEATHER)}/versions/1.0.0"
    return [
        ("POST", f"{prefix}/publish"),
        ("PUT", one),
        ("PATCH", f"{one}/status"),
        ("PATCH", f"{prefix}/servers/{enc(WEATHER)}/status"),
        ("POST", f"{prefix}{X}/servers/{enc(WEATHER)}/rename"),
    ]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_undecodable_bodies_name_the_member_and_the_fix(client, seeded, prefix) -> None:
    for method, url in endpoints(prefix):
        for label, body, location in UNDECODABLE:
            r = client.request(method, url, content=body, headers={**seeded.headers, **JSON})
            problem = assert_problem(r, 400, location=location, case=f"{label} {method} {url}")
            message = problem["errors"][0]["message"]
            assert "send" in message, (label, message)  # says what to do instead
            assert location.removeprefix("body.") in problem["detail"], (label, problem)
    seeded.assert_intact()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_validate_reports_where_an_undecodable_body_breaks(client, prefix) -> None:
    for label, body, location in UNDECODABLE:
        r = client.post(f"{prefix}/validate", content=body, headers=JSON)
        assert r.status_code == 200, (label, r.text)
        result = r.json()
        assert result["valid"] is False
        assert [i["path"] for i in result["issues"]] == [location.removeprefix("body.")], label
        assert result["issues"][0]["type"] == "json"


def test_an_undecodable_body_that_cannot_be_located_still_says_where_it_breaks(
    client, seeded
) -> None:
    for body, says in (
        (b"\xff\xfe{}", "byte 0"),
        (b'{"name": "\\ud800"', "line 1"),  # also truncated: where the syntax breaks
        (b"[" * 2000 + b"]" * 2000, "depth"),
    ):
        r = client.post("/v0.1/publish", content=body, headers={**seeded.headers, **JSON})
        problem = assert_problem(r, 400, location="body")
        assert says in problem["detail"], problem
    seeded.assert_intact()


# --- text PostgreSQL cannot hold -------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_status_message_with_nul_is_refused_where_it_is(client, seeded, prefix) -> None:
    one = f"{prefix}/servers/{enc(WEATHER)}/versions/1.0.0"
    for url in (f"{one}/status", f"{prefix}/servers/{enc(WEATHER)}/status"):
        for message in ("\x00", "moved\x00elsewhere"):
            r = client.patch(
                url,
                json={"status": "deprecated", "statusMessage": message},
                headers=seeded.headers,
            )
            problem = assert_problem(r, 400, location="body.statusMessage", case=url)
            assert "NUL" in problem["errors"][0]["message"]
    seeded.assert_intact()
    # Other control characters are text like any other.
    r = client.patch(
        f"{one}/status",
        json={"status": "deprecated", "statusMessage": "use\tv2\n"},
        headers=seeded.headers,
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_policy_explanation_of_a_name_with_control_characters_is_400(client, prefix) -> None:
    for name in ("\x00", "io.github.alice/a\x00b", "a\nb"):
        r = client.get(f"{prefix}{X}/policy/explain", params={"name": name})
        assert_problem(r, 400, location="query.name", case=repr(name))
    assert client.get(f"{prefix}{X}/policy/explain", params={"name": WEATHER}).status_code == 200


@pytest.mark.parametrize("prefix", PREFIXES)
def test_an_opaque_cursor_that_decodes_to_control_characters_is_not_an_error(
    client, seeded, prefix
) -> None:
    for raw in (b"io.github.alice/\x00:1.0.0", b"io.github.alice/weather:1.0.0\x00"):
        cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        r = client.get(f"{prefix}/servers", params={"cursor": cursor})
        assert r.status_code == 200, (raw, r.text)
        assert isinstance(r.json()["servers"], list)


# --- URLs the parser cannot split ------------------------------------------------------------

BROKEN_URLS = ("http://[", "https://[::1", "https://]x[/mcp")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_urls_that_cannot_be_parsed_are_refused_where_they_are(client, seeded, prefix) -> None:
    for url in BROKEN_URLS:
        docs: dict[str, dict[str, Any]] = {
            "remotes[0].url": server_json(WEATHER, "9.0.0", remotes=[remote(url)]),
            "websiteUrl": server_json(WEATHER, "9.0.0", websiteUrl=url),
        }
        for location, doc in docs.items():
            r = client.post(f"{prefix}/publish", json=doc, headers=seeded.headers)
            assert_problem(r, (400, 422), location=f"body.{location}", case=url)
            checked = client.post(f"{prefix}/validate", json=doc)
            assert checked.status_code == 200, checked.text
            assert location in [i["path"] for i in checked.json()["issues"]], (url, checked.json())
    seeded.assert_intact()
