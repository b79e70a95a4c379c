"""GET /servers: paging, ordering, filters and deleted versions."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from registrum.core.cursors import decode_cursor
from tests.conftest import auth
from tests.factories import PREFIXES, assert_problem, enc, official, server_json, ts

BAD_SINCE = (
    "Invalid updated_since format: expected RFC3339 timestamp (e.g., 2025-08-07T13:15:04.280Z)"
)
SINCE_AND_NOT_DELETED = (
    "Cannot set include_deleted=false when using updated_since "
    "(incremental sync requires deleted servers)"
)


def _seed(publish: Any, pairs: list[tuple[str, str]], **members: Any) -> None:
    for name, version in pairs:
        r = publish(server_json(name=name, version=version, **members))
        assert r.status_code == 200, r.text


def _keys(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["server"]["name"], s["server"]["version"]) for s in body["servers"]]


def _list(client: Any, prefix: str, **params: Any) -> dict[str, Any]:
    r = client.get(f"{prefix}/servers", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert body["metadata"]["count"] == len(body["servers"])
    return body


def _walk(client: Any, prefix: str, **params: Any) -> tuple[list[tuple[str, str]], int]:
    """Follow nextCursor to the end; return every row and the number of pages read."""
    rows: list[tuple[str, str]] = []
    pages = 0
    cursor = None
    while True:
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        body = _list(client, prefix, **query)
        pages += 1
        rows += _keys(body)
        cursor = body["metadata"].get("nextCursor")
        if not cursor:
            return rows, pages
        assert pages < 100, "paging does not terminate"


def _delete(client: Any, jwt: str, name: str, version: str) -> None:
    r = client.patch(
        f"/v0.1/servers/{enc(name)}/versions/{enc(version)}/status",
        json={"status": "deleted"},
        headers=auth(jwt),
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_default_limit_is_30_with_a_cursor_to_the_rest(client, publish, prefix):
    pairs = [(f"io.github.alice/s{i:02d}", "1.0.0") for i in range(35)]
    _seed(publish, pairs)
    first = _list(client, prefix)
    assert first["metadata"]["count"] == 30
    assert _keys(first) == sorted(pairs)[:30]
    cursor = first["metadata"]["nextCursor"]
    second = _list(client, prefix, cursor=cursor)
    assert _keys(second) == sorted(pairs)[30:]
    assert "nextCursor" not in second["metadata"]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc"])
def test_limit_out_of_bounds_is_422_on_query_limit(client, publish, prefix, limit):
    _seed(publish, [("io.github.alice/alpha", "1.0.0")])
    r = client.get(f"{prefix}/servers", params={"limit": limit})
    body = assert_problem(r, 422)
    assert [e["location"] for e in body["errors"]] == ["query.limit"]
    assert all(e["message"] for e in body["errors"])


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("limit", [1, 100])
def test_limit_bounds_are_inclusive(client, publish, prefix, limit):
    pairs = [(f"io.github.alice/s{i}", "1.0.0") for i in range(3)]
    _seed(publish, pairs)
    body = _list(client, prefix, limit=limit)
    assert _keys(body) == sorted(pairs)[:limit]
    assert ("nextCursor" in body["metadata"]) == (limit == 1)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_rows_are_ordered_by_name_then_version_as_plain_text(client, publish, prefix):
    pairs = [
        ("io.github.bob/tool", "1.0.0"),
        ("io.github.alice/beta", "1.10.0"),
        ("io.github.alice/beta", "1.9.0"),
        ("io.github.alice/beta", "1.2.0"),
        ("io.github.alice/alpha", "2.0.0"),
        ("io.github.alice/alpha-z", "1.0.0"),
        ("io.github.alice/alpha", "10.0.0"),
    ]
    random.Random(7).shuffle(pairs)
    _seed(publish, pairs)
    rows = _keys(_list(client, prefix))
    # Text order, not semver: 1.10.0 < 1.2.0 < 1.9.0 and 10.0.0 < 2.0.0.
    assert rows == sorted(pairs)
    assert [v for n, v in rows if n == "io.github.alice/beta"] == ["1.10.0", "1.2.0", "1.9.0"]
    assert [v for n, v in rows if n == "io.github.alice/alpha"] == ["10.0.0", "2.0.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_next_cursor_is_opaque_url_safe_and_resumes_after_the_last_row(client, publish, prefix):
    pairs = [("io.github.alice/alpha", "1.0.0"), ("io.github.alice/alpha", "2.0.0+build.7")]
    pairs += [("io.github.alice/beta", "1.0.0")]
    _seed(publish, pairs)
    body = _list(client, prefix, limit=2)
    cursor = body["metadata"]["nextCursor"]
    # Needs no escaping anywhere in a URL (no '+', '/', ':', '=', '%' or space).
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor), cursor
    assert decode_cursor(cursor) == ("io.github.alice/alpha", "2.0.0+build.7")
    rest = _list(client, prefix, limit=2, cursor=cursor)
    assert _keys(rest) == [("io.github.alice/beta", "1.0.0")]
    assert "nextCursor" not in rest["metadata"]
    # The official form is still read, encoded or with its '+' turned into a space.
    for held in ("io.github.alice/alpha:2.0.0+build.7", "io.github.alice/alpha:2.0.0 build.7"):
        assert _keys(_list(client, prefix, limit=2, cursor=held)) == _keys(rest)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_cursor_appended_raw_to_the_url_pages_exactly_once(client, publish, prefix):
    """As VS Code's gallery client does: ``url + '&cursor=' + nextCursor``, unencoded. With
    build metadata in versions, an official-form cursor would lose its '+'."""
    pairs = [("io.github.alice/aa", f"1.0.{i}+build.{i}") for i in range(5)]
    pairs += [("io.github.alice/aa", "1.0.0"), ("io.github.alice/aa", "1.0.0+build.0x")]
    pairs += [("io.github.alice/bb", f"2.0.0+{i}") for i in range(4)]
    _seed(publish, pairs)
    rows: list[tuple[str, str]] = []
    url = f"{prefix}/servers?limit=2"
    for _ in range(50):
        r = client.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        rows += _keys(body)
        cursor = body["metadata"].get("nextCursor")
        if not cursor:
            break
        url = f"{prefix}/servers?limit=2&cursor={cursor}"
    assert rows == sorted(pairs)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_exactly_full_last_page_is_followed_by_an_empty_page(client, publish, prefix):
    pairs = [(f"io.github.alice/s{i}", "1.0.0") for i in range(4)]
    _seed(publish, pairs)
    first = _list(client, prefix, limit=2)
    second = _list(client, prefix, limit=2, cursor=first["metadata"]["nextCursor"])
    assert _keys(first) + _keys(second) == sorted(pairs)
    # The second page is full, so it carries a cursor although nothing follows.
    assert second["metadata"]["nextCursor"]
    third = _list(client, prefix, limit=2, cursor=second["metadata"]["nextCursor"])
    assert third["servers"] == []
    assert third["metadata"] == {"count": 0}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_cursor_without_colon_is_a_bare_name(client, publish, prefix):
    pairs = [
        ("io.github.alice/alpha", "1.0.0"),
        ("io.github.alice/beta", "1.0.0"),
        ("io.github.alice/beta", "2.0.0"),
        ("io.github.alice/gamma", "1.0.0"),
    ]
    _seed(publish, pairs)
    body = _list(client, prefix, cursor="io.github.alice/beta")
    # Every version of the cursor's name is skipped: rows with name > cursor only.
    assert _keys(body) == [p for p in sorted(pairs) if p[0] > "io.github.alice/beta"]
    with_version = _list(client, prefix, cursor="io.github.alice/beta:1.0.0")
    assert _keys(with_version) == [
        p for p in sorted(pairs) if p > ("io.github.alice/beta", "1.0.0")
    ]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_cursor_splits_at_the_first_colon(client, publish, prefix):
    # Versions may contain ':'; names cannot, so the split is at the first one.
    pairs = [
        ("io.github.alice/alpha", "1.0.0:a"),
        ("io.github.alice/alpha", "1.0.0:b"),
        ("io.github.alice/alpha", "1.0.0:c"),
    ]
    _seed(publish, pairs)
    first = _list(client, prefix, limit=1)
    assert decode_cursor(first["metadata"]["nextCursor"]) == ("io.github.alice/alpha", "1.0.0:a")
    held = _list(client, prefix, limit=1, cursor="io.github.alice/alpha:1.0.0:a")
    assert _keys(held) == [("io.github.alice/alpha", "1.0.0:b")]
    rows, _ = _walk(client, prefix, limit=1)
    assert rows == sorted(pairs)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_version_latest_returns_only_latest_rows(client, publish, prefix):
    pairs = [
        ("io.github.alice/alpha", "1.0.0"),
        ("io.github.alice/alpha", "2.0.0"),
        ("io.github.alice/alpha", "1.5.0"),
        ("io.github.alice/beta", "0.1.0"),
        ("io.github.alice/gamma", "3.0.0"),
        ("io.github.alice/gamma", "3.0.0-rc.1"),
    ]
    _seed(publish, pairs)
    body = _list(client, prefix, version="latest")
    expected = []
    for name in sorted({n for n, _ in pairs}):
        r = client.get(f"{prefix}/servers/{enc(name)}/versions/latest")
        expected.append((name, r.json()["server"]["version"]))
    assert _keys(body) == expected
    assert expected == [
        ("io.github.alice/alpha", "2.0.0"),
        ("io.github.alice/beta", "0.1.0"),
        ("io.github.alice/gamma", "3.0.0"),
    ]
    assert all(official(s)["isLatest"] is True for s in body["servers"])


@pytest.mark.parametrize("prefix", PREFIXES)
def test_version_exact_match(client, publish, prefix):
    pairs = [
        ("io.github.alice/alpha", "1.0.0"),
        ("io.github.alice/alpha", "1.0.0-rc.1"),
        ("io.github.alice/beta", "1.0.0"),
        ("io.github.alice/beta", "11.0.0"),
        ("io.github.alice/gamma", "2.0.0"),
    ]
    _seed(publish, pairs)
    body = _list(client, prefix, version="1.0.0")
    assert _keys(body) == [("io.github.alice/alpha", "1.0.0"), ("io.github.alice/beta", "1.0.0")]
    assert _list(client, prefix, version="9.9.9")["servers"] == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_search_is_case_insensitive_substring_of_name(client, publish, prefix):
    _seed(
        publish,
        [("io.github.alice/WeatherNow", "1.0.0"), ("io.github.alice/weather-lite", "1.0.0")],
        description="Forecasts.",
    )
    _seed(publish, [("io.github.bob/maps", "1.0.0")], description="Draws maps.")
    body = _list(client, prefix, search="wEaThEr")
    assert _keys(body) == [
        ("io.github.alice/WeatherNow", "1.0.0"),
        ("io.github.alice/weather-lite", "1.0.0"),
    ]
    assert _keys(_list(client, prefix, search="BOB/MA")) == [("io.github.bob/maps", "1.0.0")]
    assert _list(client, prefix, search="nothing-like-this")["servers"] == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_search_matches_description_too(client, publish, prefix):
    _seed(publish, [("io.github.alice/tides", "1.0.0")], description="Reads TIDE tables.")
    _seed(publish, [("io.github.alice/maps", "1.0.0")], description="Draws maps.")
    body = _list(client, prefix, search="tide ta")
    assert _keys(body) == [("io.github.alice/tides", "1.0.0")]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_search_folds_case_beyond_ascii(client, publish, prefix):
    _seed(publish, [("io.github.alice/meteo", "1.0.0")], description="Prévisions MÉTÉO à Zürich.")
    _seed(publish, [("io.github.alice/pogoda", "1.0.0")], description="ПОГОДА в Москве.")
    _seed(publish, [("io.github.alice/other", "1.0.0")], description="Nothing to see.")
    for term in ("météo", "MÉTÉO", "Météo", "zÜRICH", "prévisions"):
        assert _keys(_list(client, prefix, search=term)) == [("io.github.alice/meteo", "1.0.0")]
    for term in ("погода", "ПОГОДА", "москве"):
        assert _keys(_list(client, prefix, search=term)) == [("io.github.alice/pogoda", "1.0.0")]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_percent_and_underscore_in_search_are_literal(client, publish, prefix):
    _seed(publish, [("io.github.alice/aa_bb", "1.0.0")], description="Plain.")
    _seed(publish, [("io.github.alice/aaxbb", "1.0.0")], description="Plain.")
    _seed(publish, [("io.github.alice/pct", "1.0.0")], description="Covers 100% of it.")
    _seed(publish, [("io.github.alice/zero", "1.0.0")], description="Covers 1000 of it.")
    assert _keys(_list(client, prefix, search="aa_bb")) == [("io.github.alice/aa_bb", "1.0.0")]
    assert _keys(_list(client, prefix, search="_")) == [("io.github.alice/aa_bb", "1.0.0")]
    assert _keys(_list(client, prefix, search="%")) == [("io.github.alice/pct", "1.0.0")]
    assert _keys(_list(client, prefix, search="0%")) == [("io.github.alice/pct", "1.0.0")]
    assert _keys(_list(client, prefix, search="aa%bb")) == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_backslash_in_search_is_literal(client, publish, prefix):
    _seed(publish, [("io.github.alice/win", "1.0.0")], description="Reads C:\\data\\x.")
    _seed(publish, [("io.github.alice/nix", "1.0.0")], description="Reads /data/x.")
    assert _keys(_list(client, prefix, search="\\")) == [("io.github.alice/win", "1.0.0")]
    assert _keys(_list(client, prefix, search="\\data")) == [("io.github.alice/win", "1.0.0")]
    assert _keys(_list(client, prefix, search="\\%")) == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_updated_since_is_strictly_greater(client, publish, prefix):
    stamps = {}
    for name in ("io.github.alice/alpha", "io.github.alice/beta", "io.github.alice/gamma"):
        r = publish(server_json(name=name))
        assert r.status_code == 200, r.text
        stamps[name] = official(r.json())["updatedAt"]
    b = stamps["io.github.alice/beta"]
    body = _list(client, prefix, updated_since=b)
    assert _keys(body) == [("io.github.alice/gamma", "1.0.0")]
    assert all(ts(official(s)["updatedAt"]) > ts(b) for s in body["servers"])
    body = _list(client, prefix, updated_since=stamps["io.github.alice/alpha"])
    assert _keys(body) == [("io.github.alice/beta", "1.0.0"), ("io.github.alice/gamma", "1.0.0")]
    assert _list(client, prefix, updated_since=stamps["io.github.alice/gamma"])["servers"] == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_updated_since_accepts_any_rfc3339_offset(client, publish, prefix):
    r = publish(server_json(name="io.github.alice/alpha"))
    published = datetime.fromisoformat(official(r.json())["updatedAt"])
    before = (published - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=2)))
    after = (published + timedelta(seconds=1)).astimezone(UTC)
    assert _keys(_list(client, prefix, updated_since=before.isoformat())) == [
        ("io.github.alice/alpha", "1.0.0")
    ]
    since_after = after.isoformat().replace("+00:00", "Z")
    assert _list(client, prefix, updated_since=since_after)["servers"] == []
    # Go clients send nanoseconds; lower-case separators are RFC 3339 too.
    for since in ("2000-01-01T00:00:00.123456789Z", "2000-01-01t00:00:00z"):
        assert len(_list(client, prefix, updated_since=since)["servers"]) == 1


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "since",
    ["yesterday", "2025-08-07", "2025-13-07T00:00:00Z", "2025-08-07T13:15:04", "1754572504"],
)
def test_bad_updated_since_is_400(client, prefix, since):
    r = client.get(f"{prefix}/servers", params={"updated_since": since})
    assert_problem(r, 400, BAD_SINCE)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_updated_since_includes_deleted_versions(client, publish, token, prefix):
    jwt = token("publish:io.github.alice/*")
    _seed(publish, [("io.github.alice/alpha", "1.0.0"), ("io.github.alice/alpha", "2.0.0")])
    mark = official(client.get("/v0.1/servers/io.github.alice%2Falpha/versions/2.0.0").json())
    _delete(client, jwt, "io.github.alice/alpha", "1.0.0")
    body = _list(client, prefix, updated_since=mark["updatedAt"])
    assert _keys(body) == [("io.github.alice/alpha", "1.0.0")]
    assert official(body["servers"][0])["status"] == "deleted"
    # The same with include_deleted=true said explicitly.
    explicit = _list(client, prefix, updated_since=mark["updatedAt"], include_deleted="true")
    assert _keys(explicit) == _keys(body)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("false", ["false", "0"])
def test_include_deleted_false_with_updated_since_is_400(client, prefix, false):
    r = client.get(
        f"{prefix}/servers",
        params={"updated_since": "2025-08-07T13:15:04.280Z", "include_deleted": false},
    )
    assert_problem(r, 400, SINCE_AND_NOT_DELETED)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_deleted_versions_hidden_unless_include_deleted(client, publish, token, prefix):
    jwt = token("publish:io.github.alice/*")
    pairs = [
        ("io.github.alice/alpha", "1.0.0"),
        ("io.github.alice/alpha", "2.0.0"),
        ("io.github.alice/beta", "1.0.0"),
    ]
    _seed(publish, pairs)
    _delete(client, jwt, "io.github.alice/alpha", "2.0.0")
    _delete(client, jwt, "io.github.alice/beta", "1.0.0")
    assert _keys(_list(client, prefix)) == [("io.github.alice/alpha", "1.0.0")]
    assert _keys(_list(client, prefix, include_deleted="false")) == [
        ("io.github.alice/alpha", "1.0.0")
    ]
    everything = _list(client, prefix, include_deleted="true")
    assert _keys(everything) == sorted(pairs)
    statuses = {
        k: official(s)["status"]
        for k, s in zip(_keys(everything), everything["servers"], strict=True)
    }
    assert statuses == {
        ("io.github.alice/alpha", "1.0.0"): "active",
        ("io.github.alice/alpha", "2.0.0"): "deleted",
        ("io.github.alice/beta", "1.0.0"): "deleted",
    }
    # version=latest skips a server whose only version is deleted, unless asked.
    assert _keys(_list(client, prefix, version="latest")) == [("io.github.alice/alpha", "1.0.0")]
    latest_all = _list(client, prefix, version="latest", include_deleted="true")
    assert _keys(latest_all) == [
        ("io.github.alice/alpha", "1.0.0"),
        ("io.github.alice/beta", "1.0.0"),
    ]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_walking_every_page_returns_each_version_once(client, publish, token, prefix, limit):
    jwt = token("publish:io.github.*")
    pairs = [
        (f"io.github.{owner}/{tool}", version)
        for owner in ("alice", "bob")
        for tool in ("alpha", "alpha-beta", "beta")
        for version in ("1.0.0", "1.10.0", "1.2.0:x")
    ]
    random.Random(limit).shuffle(pairs)
    _seed(publish, pairs)
    deleted = [("io.github.alice/alpha", "1.10.0"), ("io.github.bob/beta", "1.0.0")]
    for name, version in deleted:
        _delete(client, jwt, name, version)

    rows, pages = _walk(client, prefix, limit=limit)
    visible = sorted(p for p in pairs if p not in deleted)
    assert rows == visible
    assert len(set(rows)) == len(rows)
    assert pages == len(visible) // limit + 1

    rows, _ = _walk(client, prefix, limit=limit, include_deleted="true")
    assert rows == sorted(pairs)
    assert len(set(rows)) == len(pairs)
