"""Rate limits through the whole app: per client address (behind trusted proxies only) and
per token, counted in memory or in a real Redis server shared by several app instances."""

from __future__ import annotations

import ipaddress
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.core.permissions import Action, Permission, Principal
from registrum.server.settings import SettingsError, load
from registrum.server.wiring import Registry, build
from tests.conftest import TEST_SEED, auth, sqlite_settings
from tests.factories import assert_problem, enc, remote, server_json
from tests.processes import free_port, new_registry, serving

REDIS = os.environ.get("REGISTRUM_TEST_REDIS", "")
LOGIN = "/v0.1/auth/none"

AppFactory = Callable[..., tuple[Registry, TestClient]]


def redis_url() -> str:
    if not REDIS:
        pytest.skip(
            "REGISTRUM_TEST_REDIS is not set: run the tests with `make test`, which starts a "
            "throwaway Redis server (scripts/redis)"
        )
    return REDIS


def address() -> str:
    """A client address no other test (or earlier run on the same Redis) has used."""
    random = uuid.uuid4().int & (2**96 - 1)
    # In the documentation prefix, written as the server writes it back (compressed).
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | random))


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[AppFactory]:
    """``make_app(client=..., **settings)``: one more app on one SQLite file, as a host of a
    several-host deployment is, driven through an in-process HTTP client from ``client``."""
    with ExitStack() as stack:

        def make(client: str = "203.0.113.9", **overrides: Any) -> tuple[Registry, TestClient]:
            registry = build(sqlite_settings(tmp_path, **overrides))
            stack.callback(registry.close)
            http = TestClient(
                create_app(registry.context), raise_server_exceptions=False, client=(client, 1)
            )
            stack.enter_context(http)
            return registry, http

        yield make


def jwt_for(registry: Registry, subject: str) -> str:
    grants = (Permission(Action.PUBLISH, "*"), Permission(Action.EDIT, "*"))
    token, _ = registry.context.tokens.issue(Principal("test", subject, grants))
    return token


def burst(client: TestClient, n: int, path: str = LOGIN, **kwargs: Any) -> list[httpx.Response]:
    method = client.post if path == LOGIN else client.get
    return [method(path, **kwargs) for _ in range(n)]


def assert_limited(response: httpx.Response, what: str) -> int:
    body = assert_problem(response, 429)
    assert body["type"] == "about:blank"
    assert body["title"] == "Too Many Requests"
    assert f"too many {what}" in body["detail"]
    assert "retry after" in body["detail"]
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 60
    return retry


# --- the default: logins only ------------------------------------------------------------


def test_the_default_login_limit_stops_a_burst_of_200_from_one_address(make_app) -> None:
    _, client = make_app()
    codes = [r.status_code for r in burst(client, 200)]
    assert codes[:60] == [200] * 60
    assert set(codes[60:]) == {429}
    assert_limited(client.post(LOGIN), "login requests")


def test_reads_publishes_and_edits_are_unlimited_by_default(make_app) -> None:
    registry, client = make_app()
    admin = auth(jwt_for(registry, "admin"))
    name = "io.github.alice/weather"
    for n in range(70):
        doc = server_json(name, f"1.0.{n}", remotes=[remote()])
        assert client.post("/v0.1/publish", json=doc, headers=admin).status_code == 200
    for _ in range(70):
        r = client.patch(
            f"/v0.1/servers/{enc(name)}/versions/1.0.0/status",
            json={"status": "deprecated"},
            headers=admin,
        )
        assert r.status_code in (200, 400), r.text  # 400: already deprecated
    assert {r.status_code for r in burst(client, 300, "/v0.1/servers")} == {200}


def test_each_address_has_its_own_count(make_app) -> None:
    _, first = make_app(rate_limit_auth="3/minute")
    second = TestClient(first.app, client=("203.0.113.10", 1))
    with second:
        assert [r.status_code for r in burst(first, 4)] == [200, 200, 200, 429]
        assert [r.status_code for r in burst(second, 3)] == [200, 200, 200]


# --- configured limits -----------------------------------------------------------------


def test_a_read_limit_counts_cached_answers_too_but_not_health(make_app) -> None:
    _, client = make_app(rate_limit_read="5/minute")
    codes = [r.status_code for r in burst(client, 6, "/v0.1/servers")]
    assert codes == [200] * 5 + [429]
    assert_limited(client.get("/v0/servers"), "read requests")
    assert client.get("/v0.1/health").status_code == 200


def test_several_limits_in_one_setting(make_app) -> None:
    _, client = make_app(rate_limit_auth="2/second;3/hour")
    codes = [r.status_code for r in burst(client, 4)]
    assert codes == [200, 200, 429, 429]


def test_publish_is_limited_per_token_across_addresses(make_app) -> None:
    registry, client = make_app(rate_limit_publish="3/minute")
    alice = auth(jwt_for(registry, "alice"))
    bob = auth(jwt_for(registry, "bob"))

    def publish(jwt: dict[str, str], version: str) -> httpx.Response:
        with TestClient(client.app, client=(address(), 1)) as elsewhere:
            doc = server_json("io.github.alice/weather", version, remotes=[remote()])
            return elsewhere.post("/v0.1/publish", json=doc, headers=jwt)

    # Each publish from a new address: only the token's count can stop the fourth.
    assert [publish(alice, f"1.0.{n}").status_code for n in range(3)] == [200] * 3
    assert_limited(publish(alice, "1.0.3"), "publish requests from this token")
    assert publish(bob, "1.0.3").status_code == 200


def test_publish_is_limited_per_address_whatever_the_token(make_app) -> None:
    registry, client = make_app(rate_limit_publish="2/minute")
    doc = server_json("io.github.alice/weather", "1.0.0", remotes=[remote()])
    for n in range(2):
        r = client.post("/v0.1/publish", json=doc, headers=auth(jwt_for(registry, f"u{n}")))
        assert r.status_code in (200, 400)
    fresh = auth(jwt_for(registry, "u9"))
    assert_limited(client.post("/v0.1/publish", json=doc, headers=fresh), "publish requests")
    # An invalid token is counted by its address alone, and refused here, before the route.
    assert_limited(client.post("/v0.1/publish", json=doc, headers=auth("junk")), "publish")


def test_edits_renames_and_transfers_share_the_edit_limit(make_app) -> None:
    registry, client = make_app(rate_limit_edit="2/minute")
    admin = auth(jwt_for(registry, "admin"))
    name = enc("io.github.alice/weather")
    doc = server_json("io.github.alice/weather", "1.0.0", remotes=[remote()])
    assert client.post("/v0.1/publish", json=doc, headers=admin).status_code == 200
    r = client.put(f"/v0.1/servers/{name}/versions/1.0.0", json=doc, headers=admin)
    assert r.status_code != 429
    r = client.patch(f"/v0/servers/{name}/status", json={"status": "active"}, headers=admin)
    assert r.status_code != 429
    r = client.post(
        f"/v0.1/x/io.registrum/servers/{name}/rename", json={"newName": "x/y"}, headers=admin
    )
    assert_limited(r, "edit requests")
    assert client.post("/v0.1/publish", json=doc, headers=admin).status_code != 429


# --- trusted proxies -------------------------------------------------------------------


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(make_app) -> None:
    _, client = make_app(rate_limit_auth="3/minute", trusted_proxies="10.0.0.0/8")
    codes = [
        client.post(LOGIN, headers={"X-Forwarded-For": address()}).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_a_trusted_proxy_names_each_client(make_app) -> None:
    _, client = make_app(
        client="10.1.2.3", rate_limit_auth="3/minute", trusted_proxies="10.0.0.0/8"
    )
    one, two = address(), address()
    via = {"X-Forwarded-For": f"{two}, {one}, 10.9.9.9"}  # `two` is the client's forgery
    assert [client.post(LOGIN, headers=via).status_code for _ in range(4)] == [200] * 3 + [429]
    r = client.post(LOGIN, headers={"X-Forwarded-For": two})
    assert r.status_code == 200
    assert_limited(client.post(LOGIN, headers=via), f"login requests from address {one}")


# --- Redis -----------------------------------------------------------------------------


def test_a_burst_is_limited_on_redis(make_app) -> None:
    _, client = make_app(
        client=address(), rate_limit_auth="5/minute", rate_limit_storage=redis_url()
    )
    codes = [r.status_code for r in burst(client, 7)]
    assert codes == [200] * 5 + [429, 429]
    assert_limited(client.post(LOGIN), "login requests")


def test_two_hosts_sharing_redis_share_the_count(make_app) -> None:
    client_ip, shared = address(), redis_url()
    _, one = make_app(client=client_ip, rate_limit_auth="5/minute", rate_limit_storage=shared)
    _, two = make_app(client=client_ip, rate_limit_auth="5/minute", rate_limit_storage=shared)
    assert [r.status_code for r in burst(one, 3)] == [200] * 3
    assert [r.status_code for r in burst(two, 3)] == [200, 200, 429]
    assert_limited(one.post(LOGIN), "login requests")


def test_two_hosts_counting_in_memory_count_apart(make_app) -> None:
    _, one = make_app(rate_limit_auth="5/minute")
    _, two = make_app(rate_limit_auth="5/minute")
    assert [r.status_code for r in burst(one, 3)] == [200] * 3
    assert [r.status_code for r in burst(two, 3)] == [200] * 3


def test_an_unreachable_redis_lets_requests_through_and_says_so(make_app, caplog) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    _, client = make_app(
        rate_limit_auth="1/minute", rate_limit_read="1/minute", rate_limit_storage=dead
    )
    with caplog.at_level(logging.WARNING, logger="registrum.api.limits"):
        codes = [r.status_code for r in burst(client, 3)]
        codes += [r.status_code for r in burst(client, 3, "/v0.1/servers")]
    assert codes == [200] * 6
    warnings = [r for r in caplog.records if "rate-limit storage unreachable" in r.message]
    assert len(warnings) == 1  # once, not once a request


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("rate_limit_auth", "lots", "expected limits such as 100/minute"),
        ("rate_limit_read", "10/fortnight", "expected limits such as 100/minute"),
        ("rate_limit_storage", "memcached://cache.example.com", "expected memory://"),
        ("trusted_proxies", "10.0.0.0/8,proxy.example.com", "is not an IP address or CIDR"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(field, value, expected) -> None:
    with pytest.raises(SettingsError) as caught:
        load(**{field: value})
    message = str(caught.value)
    assert f"MCP_REGISTRY_{field.upper()}=" in message
    assert expected in message


def test_an_empty_limit_is_no_limit() -> None:
    settings = load(rate_limit_auth="")
    assert not settings.rate_limits.active


# --- a real server ------------------------------------------------------------------------


@pytest.mark.slow
def test_registrum_serve_limits_logins_and_ignores_forwarding_headers(tmp_path: Path) -> None:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: the registry's
    own trusted-proxy setting decides, and by default it trusts nobody."""
    env = {"MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED, "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true"}
    new_registry(tmp_path, env)
    with serving(tmp_path, env) as (base, _), httpx.Client(base_url=base) as http:
        codes = [
            http.post(LOGIN, headers={"X-Forwarded-For": address()}).status_code for _ in range(200)
        ]
    assert codes.count(200) == 60
    assert set(codes[60:]) == {429}
