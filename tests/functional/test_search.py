"""GET /x/io.registrum/search: ranked search with facets through the API, on SQLite and
PostgreSQL: each ranking rule, each facet rule, paging, the items as the list writes them,
search kept in step by every kind of write, and bad parameters named in problem JSON."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import auth
from tests.factories import PREFIXES, assert_problem, enc, npm_package, remote, server_json

PATH = "/x/io.registrum/search"


def _search(client: Any, prefix: str = "/v0.1", **params: Any) -> dict[str, Any]:
    r = client.get(f"{prefix}{PATH}", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["metadata"]["count"] == len(body["servers"])
    assert set(body["facets"]) == {"registryType", "transport", "status", "namespace", "hasRemote"}
    return body


def _names(body: dict[str, Any]) -> list[str]:
    return [item["server"]["name"] for item in body["servers"]]


def _facet(body: dict[str, Any], facet: str) -> dict[str, int]:
    return {f["value"]: f["count"] for f in body["facets"][facet]}


def _seed(publish: Any, *docs: dict[str, Any]) -> None:
    for doc in docs:
        r = publish(doc)
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_each_ranking_rule(client, publish, prefix: str) -> None:
    _seed(
        publish,
        server_json("com.example/sea", description="Tides, and the weather at sea."),
        server_json("com.example/sky", description="Clouds.", title="Weather station"),
        server_json("com.example/tools-weather", description="Tools."),
        server_json("com.example/weatherly", description="Nice."),
        server_json("com.example/weather-tools", description="Tools."),
        server_json("io.github.alice/weather", description="Forecasts."),
        server_json("io.github.bob/other", description="Nothing of the kind."),
    )
    body = _search(client, prefix, q="Weather")
    assert _names(body) == [
        "io.github.alice/weather",  # the name's last part
        "com.example/weather-tools",  # a prefix of the last part (ties by name)
        "com.example/weatherly",
        "com.example/tools-weather",  # a word of the name
        "com.example/sky",  # in the title
        "com.example/sea",  # in the description
    ]
    assert body["metadata"]["total"] == 6
    # The exact name beats everything; a prefix of the whole name counts as one.
    assert _names(_search(client, prefix, q="io.github.alice/weather")) == [
        "io.github.alice/weather"
    ]
    assert _names(_search(client, prefix, q="io.github"))[:2] == [
        "io.github.alice/weather",
        "io.github.bob/other",
    ]
    # Every term must be found, each in the name, title or description.
    assert _names(_search(client, prefix, q="weather tools")) == [
        "com.example/tools-weather",
        "com.example/weather-tools",
    ]
    assert _names(_search(client, prefix, q="weather nothing")) == []


def test_active_beats_deprecated_and_deleted_shows_only_when_asked(client, publish, token) -> None:
    _seed(
        publish,
        server_json("com.example/aaa-weather"),
        server_json("com.example/zzz-weather"),
        server_json("com.example/gone-weather"),
    )
    admin = auth(token("edit:*"))
    for name, status in (
        ("com.example/aaa-weather", "deprecated"),
        ("com.example/gone-weather", "deleted"),
    ):
        r = client.patch(
            f"/v0.1/servers/{enc(name)}/status", json={"status": status}, headers=admin
        )
        assert r.status_code == 200, r.text
    body = _search(client, q="weather")
    assert _names(body) == ["com.example/zzz-weather", "com.example/aaa-weather"]
    assert _facet(body, "status") == {"active": 1, "deprecated": 1}
    assert _names(_search(client, q="weather", status="deleted")) == ["com.example/gone-weather"]
    assert _names(_search(client, q="weather", status="active")) == ["com.example/zzz-weather"]


def test_facets_count_the_matches_and_ignore_their_own_filter(client, publish) -> None:
    _seed(
        publish,
        server_json("io.github.alice/aa", packages=[npm_package()]),
        server_json(
            "io.github.alice/bb",
            packages=[npm_package(), npm_package(registryType="pypi", identifier="b")],
        ),
        server_json("com.example/cc", remotes=[remote("https://c.example.com/mcp")]),
        server_json(
            "com.example/dd",
            packages=[npm_package(registryType="pypi", identifier="d")],
            remotes=[remote("https://d.example.com/sse", type="sse")],
        ),
    )
    body = _search(client)
    assert body["metadata"]["total"] == 4
    assert body["facets"]["registryType"] == [
        {"value": "npm", "count": 2},
        {"value": "pypi", "count": 2},
    ]
    assert _facet(body, "transport") == {"stdio": 3, "streamable-http": 1, "sse": 1}
    assert _facet(body, "namespace") == {"io.github.alice": 2, "com.example": 2}
    assert body["facets"]["namespace"][0] == {"value": "com.example", "count": 2}  # ties by value
    assert _facet(body, "hasRemote") == {"true": 2, "false": 2}
    assert _facet(body, "status") == {"active": 4}

    npm = _search(client, registryType="npm")
    assert sorted(_names(npm)) == ["io.github.alice/aa", "io.github.alice/bb"]
    assert _facet(npm, "registryType") == {"npm": 2, "pypi": 2}  # its own filter ignored
    assert _facet(npm, "namespace") == {"io.github.alice": 2}
    assert _facet(npm, "hasRemote") == {"false": 2}

    both = _search(client, registryType="pypi", hasRemote="true")
    assert _names(both) == ["com.example/dd"]
    assert _facet(both, "registryType") == {"pypi": 1}
    assert _facet(both, "hasRemote") == {"true": 1, "false": 1}
    assert _names(_search(client, transport="sse")) == ["com.example/dd"]
    assert _names(_search(client, namespace="com.example", hasRemote="false")) == []
    assert _search(client, q="nothing-at-all")["facets"]["status"] == []


def test_pages_follow_the_cursor_and_items_are_written_as_the_list_writes_them(
    client, publish
) -> None:
    _seed(publish, *(server_json(f"com.example/s{i:02d}") for i in range(7)))
    _seed(publish, server_json("com.example/s03", version="1.1.0"))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = _search(client, q="com.example", **params)
        assert body["metadata"]["total"] == 7
        seen += _names(body)
        pages += 1
        cursor = body["metadata"].get("nextCursor")
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(seen)
    assert len(set(seen)) == 7
    listed = client.get("/v0.1/servers", params={"version": "latest"}).json()["servers"]
    by_name = {item["server"]["name"]: item for item in listed}
    for item in _search(client, limit=100)["servers"]:
        assert item == by_name[item["server"]["name"]]
    assert by_name["com.example/s03"]["server"]["version"] == "1.1.0"


def test_every_write_keeps_search_in_step(client, publish, token) -> None:
    admin = auth(token("publish:*", "edit:*"))
    _seed(publish, server_json("io.github.alice/weather", description="Forecasts."))
    assert _names(_search(client, q="forecasts")) == ["io.github.alice/weather"]
    # A new version becomes the latest: its text is what is searched.
    _seed(publish, server_json("io.github.alice/weather", version="2.0.0", description="Tides."))
    assert _names(_search(client, q="forecasts")) == []
    assert _names(_search(client, q="tides")) == ["io.github.alice/weather"]
    # An edit of the latest version.
    edited = server_json("io.github.alice/weather", version="2.0.0", description="Rain radar.")
    r = client.put(
        f"/v0.1/servers/{enc('io.github.alice/weather')}/versions/2.0.0",
        json=edited,
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert _names(_search(client, q="radar")) == ["io.github.alice/weather"]
    # A status change of one version, then a rename.
    r = client.patch(
        f"/v0.1/servers/{enc('io.github.alice/weather')}/versions/2.0.0/status",
        json={"status": "deprecated"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert _facet(_search(client, q="radar"), "status") == {"deprecated": 1}
    r = client.post(
        f"/v0.1/x/io.registrum/servers/{enc('io.github.alice/weather')}/rename",
        json={"newName": "io.github.alice/rain"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    body = _search(client, q="radar")
    assert _names(body) == ["io.github.alice/rain"]
    assert _names(_search(client, q="io.github.alice/rain")) == ["io.github.alice/rain"]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"q": "x" * 201}, 422, "q"),
        ({"q": "a\x00b"}, 400, "q"),
        ({"cursor": "not-ours"}, 400, "cursor"),
        ({"cursor": "x" * 5000}, 422, "cursor"),
        ({"status": "gone"}, 422, "status"),
        ({"hasRemote": "yes"}, 422, "hasRemote"),
        ({"limit": 0}, 422, "limit"),
        ({"limit": 101}, 422, "limit"),
        ({"namespace": "a\tb"}, 400, "namespace"),
    ],
)
def test_bad_parameters_are_named(client, params, status: int, field: str) -> None:
    r = client.get(f"/v0.1{PATH}", params=params)
    body = assert_problem(r, status)
    assert field in r.text, body
