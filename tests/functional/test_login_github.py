"""``POST /auth/github-at`` (the official GitHub token exchange), through the real API
against a fake GitHub on 127.0.0.1: who gets which namespaces, and every way the exchange is
refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.server.wiring import build
from tests.conftest import auth
from tests.factories import PREFIXES, assert_problem, server_json
from tests.fakes.github import MEMBERSHIPS, FakeGitHub

FAILED = "Token exchange failed"


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def api(settings, gh) -> Iterator[TestClient]:
    reg = build(
        settings.model_copy(update={"github_api_url": gh.url, "github_client_id": gh.client_id})
    )
    with TestClient(create_app(reg.context), raise_server_exceptions=False) as c:
        yield c
    reg.close()


def login(api: TestClient, token: Any, prefix: str = "/v0.1") -> Any:
    return api.post(f"{prefix}/auth/github-at", json={"github_token": token})


def claims(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"registry_token", "expires_at"}
    decoded: dict[str, Any] = jwt.decode(
        body["registry_token"], options={"verify_signature": False}
    )
    assert decoded["exp"] == body["expires_at"]
    return decoded


def granted(response: Any) -> set[str]:
    return {p["resource"] for p in claims(response)["permissions"] if p["action"] == "publish"}


def reason(response: Any) -> str:
    body = assert_problem(response, 401, FAILED)
    assert response.headers["www-authenticate"] == "Bearer"
    [error] = body["errors"]
    assert error["location"] == "body.github_token"
    message: str = error["message"]
    return message


# --- granted ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_user_gets_their_namespace_and_the_orgs_they_own(api, gh, prefix):
    token = gh.add_user("alice", orgs={"acme": "admin", "friends": "member", "Big-Co": "admin"})
    gh.add_membership("alice", "invited", role="admin", state="pending")
    r = login(api, token, prefix)
    decoded = claims(r)
    assert decoded["auth_method"] == "github-at"
    assert decoded["auth_method_sub"] == "alice"
    assert granted(r) == {"io.github.alice/*", "io.github.acme/*", "io.github.Big-Co/*"}
    assert all(p["action"] == "publish" for p in decoded["permissions"])


def test_github_is_asked_as_the_official_registry_asks(api, gh):
    token = gh.add_user("alice")
    assert login(api, token).status_code == 200
    user, memberships = gh.requests
    assert user.path == "/user"
    assert memberships.path == MEMBERSHIPS
    assert memberships.query == {"state": ["active"], "per_page": ["100"], "page": ["1"]}
    for req in gh.requests:
        assert req.header("authorization") == f"Bearer {token}"
        assert req.header("x-github-api-version") == "2022-11-28"


def test_the_token_publishes_to_the_granted_namespaces_only(api, gh):
    token = gh.add_user("alice", orgs={"acme": "admin", "friends": "member"})
    jwt_ = login(api, token).json()["registry_token"]
    for name, status in [
        ("io.github.alice/weather", 200),
        ("io.github.acme/tools", 200),
        ("io.github.friends/tools", 403),
        ("io.github.bob/weather", 403),
    ]:
        r = api.post("/v0.1/publish", json=server_json(name=name), headers=auth(jwt_))
        assert r.status_code == status, (name, r.text)


def test_all_membership_pages_are_read(api, gh):
    orgs = {f"member-{i}": "member" for i in range(150)}
    orgs.update({"first-page-owner": "admin"})
    token = gh.add_user("alice", orgs=orgs)
    gh.add_membership("alice", "last-page-owner", role="admin")
    r = login(api, token)
    assert granted(r) == {
        "io.github.alice/*",
        "io.github.first-page-owner/*",
        "io.github.last-page-owner/*",
    }
    pages = [q.query["page"] for q in gh.requests if q.path == MEMBERSHIPS]
    assert pages == [["1"], ["2"]]


def test_a_full_last_page_is_followed_by_an_empty_one(api, gh):
    token = gh.add_user("alice", orgs={f"org-{i}": "admin" for i in range(100)})
    r = login(api, token)
    assert len(granted(r)) == 101
    assert [q.query["page"] for q in gh.requests if q.path == MEMBERSHIPS] == [["1"], ["2"]]


def test_a_token_without_read_org_gets_the_user_namespace_only(api, gh):
    token = gh.add_user("alice", orgs={"acme": "admin"}, read_org=False)
    r = login(api, token)
    assert granted(r) == {"io.github.alice/*"}


def test_org_names_that_are_not_github_names_are_skipped(api, gh):
    token = gh.add_user("alice", orgs={"acme": "admin", "bad/org*": "admin", "x.y": "admin"})
    assert granted(login(api, token)) == {"io.github.alice/*", "io.github.acme/*"}


def test_a_blocked_org_namespace_refuses_the_whole_token(settings, gh):
    reg = build(
        settings.model_copy(
            update={
                "github_api_url": gh.url,
                "github_client_id": gh.client_id,
                "blocked_namespaces": "io.github.acme",
            }
        )
    )
    try:
        with TestClient(create_app(reg.context), raise_server_exceptions=False) as c:
            token = gh.add_user("alice", orgs={"acme": "admin"})
            assert "blocked" in assert_problem(login(c, token), 403)["detail"]
            other = gh.add_user("bob")
            assert login(c, other).status_code == 200
    finally:
        reg.close()


# --- refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_an_unknown_token_is_refused(api, gh, prefix):
    gh.add_user("alice")
    message = reason(login(api, "ghp_not-a-real-token", prefix))
    assert "GitHub rejected the token (401)" in message
    assert "ghp_not-a-real-token" not in message


def test_a_revoked_token_is_refused(api, gh):
    token = gh.add_user("alice")
    assert login(api, token).status_code == 200
    gh.revoke(token)
    assert "(401)" in reason(login(api, token))


def test_a_member_who_is_not_an_owner_cannot_publish_for_the_org(api, gh):
    token = gh.add_user("alice", orgs={"acme": "member"})
    r = login(api, token)
    assert granted(r) == {"io.github.alice/*"}
    jwt_ = r.json()["registry_token"]
    refused = api.post(
        "/v0.1/publish", json=server_json(name="io.github.acme/tools"), headers=auth(jwt_)
    )
    assert "permission" in assert_problem(refused, 403)["detail"].lower()


def test_a_rate_limited_membership_list_fails_closed(api, gh):
    token = gh.add_user("alice", orgs={"acme": "admin"})
    gh.rate_limit()
    message = reason(login(api, token))
    assert "rate limit" in message
    assert "try again after" in message


def test_a_secondary_rate_limit_fails_closed(api, gh):
    token = gh.add_user("alice", orgs={"acme": "admin"})
    gh.secondary_rate_limit(retry_after=42)
    assert "try again in 42 seconds" in reason(login(api, token))


def test_a_rate_limited_user_lookup_fails(api, gh):
    token = gh.add_user("alice")
    gh.rate_limit("/user")
    assert "rate limit" in reason(login(api, token))


def test_an_sso_protected_org_fails_closed(api, gh):
    token = gh.add_user("alice", orgs={"acme": "admin"})
    gh.require_sso(org="acme")
    assert "single sign-on" in reason(login(api, token))


def test_a_rate_limit_on_a_later_page_fails_closed(api, gh):
    token = gh.add_user("alice", orgs={f"org-{i}": "admin" for i in range(120)})
    gh.rate_limit(after=1)  # page 1 answers, page 2 is throttled
    assert "rate limit" in reason(login(api, token))
    assert [q.query["page"] for q in gh.requests if q.path == MEMBERSHIPS] == [["1"], ["2"]]


@pytest.mark.parametrize("status", [500, 502, 404])
def test_github_errors_fail_the_exchange(api, gh, status):
    token = gh.add_user("alice")
    gh.fail(MEMBERSHIPS, status)
    assert f"GitHub answered {status}" in reason(login(api, token))


def test_github_down_fails_the_exchange(settings, gh):
    token = gh.add_user("alice")
    url = gh.url
    gh.stop()
    reg = build(settings.model_copy(update={"github_api_url": url, "github_client_id": "Iv1.x"}))
    try:
        with TestClient(create_app(reg.context), raise_server_exceptions=False) as c:
            assert "could not reach GitHub" in reason(login(c, token))
    finally:
        reg.close()


def test_a_login_that_is_not_a_github_name_is_refused(api, gh):
    token = gh.add_user("alice")
    gh.rename("alice", "alice/../../evil")
    assert "not a GitHub name" in reason(login(api, token))


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({}, "body.github_token"),
        ({"github_token": 12}, "body.github_token"),
        ({"github_token": ""}, "body.github_token"),
        ({"github_token": "two words"}, "body.github_token"),
        ([], "body.github_token"),
    ],
)
def test_a_malformed_body_is_a_400(api, gh, body, location):
    r = api.post("/v0.1/auth/github-at", json=body)
    problem = assert_problem(r, 400)
    assert problem["errors"][0]["location"] == location
    assert gh.requests == []


def test_github_at_can_be_switched_off(settings):
    reg = build(settings.model_copy(update={"enable_github_auth": False}))
    with TestClient(create_app(reg.context), raise_server_exceptions=False) as off:
        assert off.post("/v0.1/auth/github-at", json={"github_token": "x"}).status_code == 404
    reg.close()


def test_health_shows_the_client_id_the_cli_uses_for_the_device_flow(api, gh):
    assert api.get("/v0.1/health").json()["github_client_id"] == gh.client_id
