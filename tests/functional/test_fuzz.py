"""Property tests: whatever JSON is published and whatever query is sent, the answer is never a
5xx, every error is problem JSON, and the data published before stays as it was."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import npm_package, remote, server_json
from tests.functional.robustness_support import (
    PREFIXES,
    SEEDED_NAMES,
    Seeded,
    assert_log_consistent,
    assert_problem,
    enc,
)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no example database written into the working tree
    print_blob=True,  # a failure prints how to reproduce it with @reproduce_failure
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FUZZ_NAME = "io.github.fuzz/target"


@pytest.fixture
def seeded(client, registry, token) -> Seeded:
    return Seeded(client, registry, token("publish:*", "edit:*"))


def segment(text: str) -> str:
    """``text`` as one path segment; dots escaped too, so '.' and '..' reach the server
    instead of being resolved by the HTTP client."""
    return quote(text, safe="").replace(".", "%2E")


def check(r: Any, *, published: bool = False) -> None:
    """Never a server error; an error is problem JSON; a success is the document served."""
    __tracebackhide__ = True
    assert r.status_code < 500, f"{r.request.method} {r.request.url} -> {r.text[:500]}"
    if r.status_code >= 400:
        assert_problem(r)
    elif published:
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert isinstance(r.json()["server"], dict)


# --- JSON values ---------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "latest", "1.0.0", "io.github.fuzz/x", "https://example.com/mcp"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)


def valid_document() -> dict[str, Any]:
    """A valid server.json touching most of the schema, under a name only the fuzz uses."""
    return server_json(
        name=FUZZ_NAME,
        version="1.0.0",
        title="Fuzz target",
        websiteUrl="https://example.com/fuzz",
        repository={"url": "https://github.com/fuzz/target", "source": "github"},
        packages=[
            npm_package(
                environmentVariables=[{"name": "API_KEY", "isSecret": True}],
                packageArguments=[{"type": "positional", "value": "serve"}],
            )
        ],
        # Its own remote URL: the seeded registry's servers hold the default one, and a remote
        # URL belongs to one live server.
        remotes=[
            remote("https://fuzz.example.com/mcp", headers=[{"name": "X-Key", "value": "{key}"}])
        ],
        _meta={"io.modelcontextprotocol.registry/publisher-provided": {"tool": "fuzz"}},
    )


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location inside a JSON value, the value itself first."""
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += paths(child, (*prefix, i))
    return out


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """The valid document with a few places retexted, replaced, removed, or given extra
    members. Retexting a string keeps the document valid often enough to publish it."""
    doc: Any = valid_document()
    major, minor = draw(st.integers(0, 10**9)), draw(st.integers(0, 99))
    doc["version"] = draw(st.sampled_from([f"{major}.{minor}.0", f"{major}.0.0-rc.{minor}"]))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(paths(doc)))
        action = draw(st.sampled_from(["retext", "retext", "replace", "delete", "add"]))
        if not where:
            if action == "replace":
                doc = draw(json_values)
            continue
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        last = where[-1]
        if action == "retext" and isinstance(parent[last], str):
            parent[last] = draw(st.text(max_size=40))
        elif action in ("replace", "retext"):
            parent[last] = draw(json_values)
        elif action == "delete":
            del parent[last]
        elif isinstance(parent[last], dict):
            parent[last][draw(st.text(max_size=12))] = draw(json_values)
        elif isinstance(parent[last], list):
            parent[last].append(draw(json_values))
        else:
            parent[last] = draw(json_values)
    return doc


def test_the_fuzzed_document_is_valid_before_mutation(client, seeded):
    r = client.post("/v0.1/publish", json=valid_document(), headers=seeded.headers)
    assert r.status_code == 200, r.text
    assert r.json()["server"] == valid_document()


@FUZZ
@given(body=json_values)
def test_publishing_any_json_value_is_never_a_server_error(client, seeded, body):
    r = client.post("/v0.1/publish", json=body, headers=seeded.headers)
    check(r)
    assert r.status_code != 200, "an arbitrary JSON value was published"


@FUZZ
@given(doc=mutated_documents())
def test_publishing_a_mutated_document_is_never_a_server_error(client, seeded, doc):
    r = client.post("/v0.1/publish", json=doc, headers=seeded.headers)
    check(r, published=True)
    if r.status_code == 200:
        # What was accepted is served back exactly, under its name and version.
        served = r.json()["server"]
        name = segment(served["name"])
        listed = client.get(f"/v0.1/servers/{name}/versions")
        assert listed.status_code == 200, listed.text
        assert served in [item["server"] for item in listed.json()["servers"]]
        # The official rules accept an empty version, which no URL can name; any other
        # version is one path segment.
        if served["version"]:
            got = client.get(f"/v0.1/servers/{name}/versions/{segment(served['version'])}")
            assert got.status_code == 200, got.text
            assert got.json()["server"] == served


@FUZZ
@given(doc=mutated_documents())
def test_editing_with_a_mutated_document_is_never_a_server_error(client, seeded, doc):
    r = client.put(
        f"/v0.1/servers/{enc(FUZZ_NAME)}/versions/1.0.0", json=doc, headers=seeded.headers
    )
    check(r)  # FUZZ_NAME is never published here: at best a 404


@FUZZ
@given(body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_posting_any_bytes_is_never_a_server_error(client, seeded, body):
    for url in ("/v0.1/publish", f"/v0/servers/{enc(SEEDED_NAMES[0])}/status"):
        method = "POST" if url.endswith("publish") else "PATCH"
        r = client.request(
            method,
            url,
            content=body,
            headers={**seeded.headers, "Content-Type": "application/json"},
        )
        check(r)
        assert r.status_code != 200, body


@FUZZ
@given(body=json_values)
def test_any_status_body_is_never_a_server_error(client, seeded, body):
    url = f"/v0.1/servers/{enc(SEEDED_NAMES[0])}/versions/9.9.9/status"  # not a version
    check(client.patch(url, json=body, headers=seeded.headers))


# --- query strings and paths ---------------------------------------------------------------

# RFC 3339 times, the calendar's edges and every offset included: 9999-12-31T23:00:00-02:00
# is well-formed but later than any time Python can hold once moved to UTC.
_edge_times = st.datetimes(min_value=datetime(9999, 12, 31)) | st.datetimes(
    max_value=datetime(1, 1, 2)
)
_offsets = st.just("Z") | st.builds(
    "{}{:02d}:{:02d}".format, st.sampled_from("+-"), st.integers(0, 23), st.integers(0, 59)
)
timestamps = st.builds(
    lambda when, offset: when.isoformat() + offset, st.datetimes() | _edge_times, _offsets
)

PARAMS = ["limit", "cursor", "search", "updated_since", "version", "include_deleted"]
param_values = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.floats().map(str),
    timestamps,
    st.sampled_from(["true", "false", "latest", ":", "%", "_", "\\", "0", "-1", "101"]),
)
query_strings = st.one_of(
    st.dictionaries(st.sampled_from(PARAMS) | st.text(max_size=8), param_values, max_size=4).map(
        urlencode
    ),
    # Raw bytes, percent-encoded: invalid UTF-8 and control characters included.
    st.lists(
        st.tuples(st.sampled_from(PARAMS).map(str.encode) | st.binary(max_size=6), st.binary()),
        max_size=4,
    ).map(lambda pairs: "&".join(f"{quote_from_bytes(k)}={quote_from_bytes(v)}" for k, v in pairs)),
)


@FUZZ
@given(query=query_strings)
def test_any_list_query_is_never_a_server_error(client, seeded, query):
    for prefix in PREFIXES:
        r = client.get(f"{prefix}/servers?{query}")
        check(r)
        if r.status_code == 200:
            body = r.json()
            assert body["metadata"]["count"] == len(body["servers"])


@FUZZ
@given(when=timestamps | st.text(max_size=40))
def test_any_updated_since_is_a_list_or_a_located_400(client, seeded, when):
    r = client.get("/v0.1/servers", params={"updated_since": when})
    if r.status_code != 200:
        assert_problem(r, 400, location="query")


segments = st.one_of(
    st.text(min_size=1, max_size=40).map(segment),
    st.binary(min_size=1, max_size=20).map(
        lambda b: quote_from_bytes(b, safe="").replace(".", "%2E")
    ),
    # Raw, possibly broken escapes (but never a bare '.' or '..').
    st.text(alphabet="%0123456789abcdefgzAFZ.-_:+~", min_size=1, max_size=12).filter(
        lambda s: s.strip(".") != ""
    ),
)


@FUZZ
@given(name=segments, version=segments)
def test_any_path_segment_is_never_a_server_error(client, seeded, name, version):
    for url in (
        f"/v0.1/servers/{name}/versions",
        f"/v0.1/servers/{name}/versions/{version}",
        f"/v0/servers/{enc(SEEDED_NAMES[0])}/versions/{version}",
    ):
        check(client.get(url))
    r = client.patch(
        f"/v0.1/servers/{name}/versions/{version}/status",
        json={"status": "deprecated"},
        headers=seeded.headers,
    )
    check(r)


# --- and afterwards ------------------------------------------------------------------------


def test_after_fuzzing_the_seeded_data_is_intact(client, seeded):
    # The fuzz tests above each end with the registry they were given; this one runs a
    # little of every kind in one registry and checks the seeded data and the change log.
    @settings(FUZZ, max_examples=75)
    @given(doc=mutated_documents(), body=json_values, query=query_strings)
    def abuse(doc: Any, body: Any, query: str) -> None:
        check(client.post("/v0.1/publish", json=copy.deepcopy(doc), headers=seeded.headers))
        check(client.post("/v0/publish", json=body, headers=seeded.headers))
        check(
            client.patch(
                f"/v0.1/servers/{enc(SEEDED_NAMES[0])}/versions/9.9.9/status",
                content=json.dumps(body),
                headers={**seeded.headers, "Content-Type": "application/json"},
            )
        )
        check(client.get(f"/v0.1/servers?{query}"))

    abuse()
    seeded.assert_intact()
    assert_log_consistent(client, seeded.registry)
