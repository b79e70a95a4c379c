"""The list call's fast path (api/fastpath.py) answers exactly as the route does, for
well-formed and malformed queries alike: same status, same headers that matter, same bytes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.server.wiring import Registry
from tests.factories import server_json

QUERIES = [
    "",
    "limit=50&version=latest",
    "version=latest",
    "limit=1",
    "limit=2&cursor=io.github.alice%2Fbeta%3A1.0.0",
    "limit=2&cursor=io.github.alice%2Fbeta",
    "cursor=io.github.zed%2Fnothing-after",
    "version=1.0.0",
    "version=2.0.0&limit=100",
    "search=WEATHER",
    "search=al%25",
    "search=_",
    "search=",
    "search=caf%C3%A9",
    "search=caf%E9",  # not UTF-8: the route's 400
    "search=%00",  # a control character: the route's 400
    "limit=0",
    "limit=101",
    "limit=007",
    "limit=-1",
    "limit=abc",
    "limit=1&limit=2",
    "updated_since=2020-01-01T00:00:00Z",
    "updated_since=yesterday",
    "include_deleted=true",
    "unknown=1&limit=3",
    "version=latest&search=tool&limit=2",
    "search=+weather+",
]


SERVERS = (("alpha", "Weather tools"), ("beta", "Café menus"), ("gamma", "al%x_y"))


@pytest.fixture
def clients(registry: Registry, publish: Any) -> Iterator[tuple[TestClient, TestClient]]:
    for owner in ("alice", "bob", "carol"):
        for name, description in (
            ("alpha", "Weather tools"),
            ("beta", "Café menus"),
            ("gamma", "al%x_y"),
        ):
            for version in ("1.0.0", "1.1.0", "2.0.0", "2.0.1"):
                doc = server_json(
                    name=f"io.github.{owner}/{name}", version=version, description=description
                )
                assert publish(doc).status_code == 200
    fast = TestClient(create_app(registry.context), raise_server_exceptions=False)
    routed = TestClient(
        create_app(registry.context, fast_paths=False), raise_server_exceptions=False
    )
    with fast, routed:
        yield fast, routed


@pytest.mark.parametrize("prefix", ["/v0.1", "/v0"])
def test_the_fast_path_answers_as_the_route_does(
    clients: tuple[TestClient, TestClient], prefix: str
) -> None:
    fast, routed = clients
    seen_ok = seen_error = False
    for query in QUERIES:
        url = f"{prefix}/servers?{query}"
        a, b = fast.get(url), routed.get(url)
        assert (a.status_code, a.content) == (b.status_code, b.content), query
        assert a.headers["content-type"] == b.headers["content-type"], query
        assert a.headers.get("etag") == b.headers.get("etag"), query
        seen_ok |= a.status_code == 200 and bool(a.json()["servers"])
        seen_error |= a.status_code == 400
    assert seen_ok  # the cases cover both answers
    assert seen_error
