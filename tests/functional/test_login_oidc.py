"""``POST /auth/github-oidc`` (GitHub Actions tokens) and ``POST /auth/oidc`` (the operator's
identity provider, for administrators), through the real API against a fake OIDC issuer on
127.0.0.1 with real RSA keys."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.server.settings import Settings, SettingsError, load
from registrum.server.wiring import build
from tests.conftest import TEST_SEED, auth
from tests.factories import PREFIXES, assert_problem, enc, server_json
from tests.fakes.oidc import GITHUB_ACTIONS_ISSUER, JWKS, FakeOIDCIssuer
from tests.processes import run_cli, serving

FAILED = "Token exchange failed"
AUDIENCE = "https://registry.example.com"
CLIENT_ID = "registrum-admins"

AppFactory = Callable[..., Any]


@pytest.fixture
def idp() -> Iterator[FakeOIDCIssuer]:
    with FakeOIDCIssuer() as fake:
        yield fake


@pytest.fixture
def app_with(settings: Settings, tmp_path: Path) -> AppFactory:
    """A registry built from the test settings with some of them changed."""
    count = iter(range(1000))

    @contextmanager
    def make(**changes: Any) -> Iterator[TestClient]:
        db = f"sqlite:///{tmp_path / f'login-{next(count)}.db'}"
        reg = build(settings.model_copy(update={"database_url": db, **changes}))
        try:
            with TestClient(create_app(reg.context), raise_server_exceptions=False) as c:
                yield c
        finally:
            reg.close()

    return make


def claims_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"registry_token", "expires_at"}
    decoded: dict[str, Any] = jwt.decode(
        body["registry_token"], options={"verify_signature": False}
    )
    return decoded


def grants(response: Any) -> set[tuple[str, str]]:
    return {(p["action"], p["resource"]) for p in claims_of(response)["permissions"]}


def reason(response: Any) -> str:
    body = assert_problem(response, 401, FAILED)
    [error] = body["errors"]
    assert error["location"] == "body.oidc_token"
    message: str = error["message"]
    return message


# === github-oidc ================================================================================


@pytest.fixture
def actions(app_with: AppFactory, idp: FakeOIDCIssuer) -> Iterator[TestClient]:
    with app_with(github_oidc_audience=AUDIENCE, github_oidc_issuer=idp.url) as c:
        yield c


def gh_login(api: TestClient, token: str, prefix: str = "/v0.1") -> Any:
    return api.post(f"{prefix}/auth/github-oidc", json={"oidc_token": token})


@pytest.mark.parametrize("prefix", PREFIXES)
def test_an_actions_token_grants_the_repository_owner_namespace(actions, idp, prefix):
    token = idp.mint(idp.github_actions_claims("octo-org", "weather"), aud=AUDIENCE)
    r = gh_login(actions, token, prefix)
    decoded = claims_of(r)
    assert decoded["auth_method"] == "github-oidc"
    assert decoded["auth_method_sub"] == "repo:octo-org/weather:ref:refs/heads/main"
    assert grants(r) == {("publish", "io.github.octo-org/*")}
    jwt_ = r.json()["registry_token"]
    ok = actions.post(
        "/v0.1/publish", json=server_json(name="io.github.octo-org/weather"), headers=auth(jwt_)
    )
    assert ok.status_code == 200, ok.text
    other = actions.post(
        "/v0.1/publish", json=server_json(name="io.github.someone/weather"), headers=auth(jwt_)
    )
    assert_problem(other, 403)


def test_the_audience_may_be_one_of_several(actions, idp):
    token = idp.mint(idp.github_actions_claims("octo"), aud=["other", AUDIENCE])
    assert grants(gh_login(actions, token)) == {("publish", "io.github.octo/*")}


def test_tokens_with_githubs_real_issuer_and_a_configured_jwks_url(app_with):
    with (
        FakeOIDCIssuer(issuer=GITHUB_ACTIONS_ISSUER) as github,
        app_with(github_oidc_audience=AUDIENCE, github_oidc_jwks_url=github.jwks_url) as api,
    ):
        token = github.mint(github.github_actions_claims("octo"), aud=AUDIENCE)
        assert jwt.decode(token, options={"verify_signature": False})["iss"] == (
            GITHUB_ACTIONS_ISSUER
        )
        assert gh_login(api, token).status_code == 200
        assert [r.path for r in github.requests] == [JWKS]


def test_the_key_set_is_refetched_when_the_issuer_rotates_keys(actions, idp):
    first = idp.mint(idp.github_actions_claims("octo"), aud=AUDIENCE)
    assert gh_login(actions, first).status_code == 200
    new = idp.new_key()
    idp.unpublish(idp.key)
    second = idp.mint(idp.github_actions_claims("octo"), aud=AUDIENCE, key=new)
    assert gh_login(actions, second).status_code == 200


def test_the_cli_can_get_its_token_from_the_actions_runner_endpoint(actions, idp):
    env = idp.actions_env(idp.github_actions_claims("octo"))
    r = httpx.get(
        env["ACTIONS_ID_TOKEN_REQUEST_URL"],
        params={"audience": AUDIENCE},
        headers={"Authorization": f"Bearer {env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"},
    )
    assert grants(gh_login(actions, r.json()["value"])) == {("publish", "io.github.octo/*")}


@pytest.mark.parametrize(
    ("mint", "expected"),
    [
        (lambda i, c: i.mint(c, aud="mcp-registry"), 'got ["mcp-registry"]'),
        (lambda i, c: i.mint(c, aud=None), "no 'aud' claim"),
        (lambda i, c: i.mint(c, aud=AUDIENCE, iss="https://evil.example"), "invalid issuer"),
        (lambda i, c: i.mint(c, aud=AUDIENCE, exp=-600), "expired"),
        (lambda i, c: i.mint(c, aud=AUDIENCE, exp=None), "no 'exp' claim"),
        (lambda i, c: i.mint(c, aud=AUDIENCE, alg="RS384"), "'RS384' are not accepted"),
        (lambda i, c: i.mint(c, aud=AUDIENCE, alg="PS256"), "'PS256' are not accepted"),
        (lambda i, c: i.mint(c, aud=AUDIENCE, kid="not-published"), "no RS256 key with id"),
        (lambda i, c: i.mint(c, aud=AUDIENCE, kid=""), "no key id"),
        (
            lambda i, c: i.mint(c, aud=AUDIENCE, key=i.new_key(publish=False), kid=i.key.kid),
            "signature does not verify",
        ),
        (
            lambda i, c: i.mint(c, aud=AUDIENCE, key=i.new_key(publish=False)),
            "no RS256 key with id",
        ),
        (lambda i, c: i.mint({**c, "nbf": 4_000_000_000}, aud=AUDIENCE), "not valid yet"),
        (lambda i, c: i.forge_alg_none(c, aud=AUDIENCE), "'none' are not accepted"),
        (lambda i, c: i.forge_hs256_with_public_key(c, aud=AUDIENCE), "'HS256'"),
        (lambda i, c: "not.a.jwt", "not a well-formed JWT"),
    ],
)
def test_bad_actions_tokens_are_refused(actions, idp, mint, expected):
    token = mint(idp, idp.github_actions_claims("octo"))
    assert expected in reason(gh_login(actions, token))


def test_the_wrong_audience_says_which_one_is_expected(actions, idp):
    token = idp.mint(idp.github_actions_claims("octo"), aud="mcp-registry")
    assert reason(gh_login(actions, token)) == (
        f'invalid audience: expected {AUDIENCE}, got ["mcp-registry"]'
    )


def test_a_token_of_another_issuer_is_refused(actions, idp):
    with FakeOIDCIssuer() as other:
        claims = other.github_actions_claims("octo")
        forged_iss = other.mint(claims, aud=AUDIENCE, iss=idp.url)
        assert "no RS256 key with id" in reason(gh_login(actions, forged_iss))
        same_kid = other.mint(claims, aud=AUDIENCE, iss=idp.url, kid=idp.key.kid)
        assert "signature does not verify" in reason(gh_login(actions, same_kid))


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        (None, "no repository_owner claim"),
        ("", "no repository_owner claim"),
        (42, "no repository_owner claim"),
        ("octo/org", "not a GitHub name"),
        ("octo.org", "not a GitHub name"),
    ],
)
def test_the_repository_owner_must_be_a_github_name(actions, idp, owner, expected):
    claims = idp.github_actions_claims("octo")
    if owner is None:
        del claims["repository_owner"]
    else:
        claims["repository_owner"] = owner
    assert expected in reason(gh_login(actions, idp.mint(claims, aud=AUDIENCE)))


def test_an_unreachable_key_set_refuses(actions, idp):
    idp.fail(JWKS, 500)
    token = idp.mint(idp.github_actions_claims("octo"), aud=AUDIENCE)
    assert "answered HTTP 500" in reason(gh_login(actions, token))


def test_github_oidc_is_absent_without_an_audience(app_with, idp):
    with app_with(github_oidc_issuer=idp.url) as api:
        token = idp.mint(idp.github_actions_claims("octo"), aud=AUDIENCE)
        for prefix in PREFIXES:
            assert gh_login(api, token, prefix).status_code == 404
    assert idp.requests == []


def test_a_missing_oidc_token_is_a_400(actions, idp):
    problem = assert_problem(actions.post("/v0.1/auth/github-oidc", json={}), 400)
    assert problem["errors"][0]["location"] == "body.oidc_token"
    assert idp.requests == []


# === oidc (an operator's identity provider) ====================================================


@pytest.fixture
def tenant() -> Iterator[FakeOIDCIssuer]:
    with FakeOIDCIssuer(path="realms/admins") as fake:
        yield fake


def oidc_app(app_with: AppFactory, issuer: FakeOIDCIssuer, **changes: Any) -> Any:
    return app_with(
        oidc_enabled=True,
        oidc_issuer=issuer.url,
        oidc_client_id=CLIENT_ID,
        **changes,
    )


def oidc_login(api: TestClient, token: str, prefix: str = "/v0.1") -> Any:
    return api.post(f"{prefix}/auth/oidc", json={"oidc_token": token})


@pytest.mark.parametrize("prefix", PREFIXES)
def test_an_admin_token_grants_the_configured_patterns(app_with, tenant, prefix):
    with oidc_app(
        app_with,
        tenant,
        oidc_publish_permissions=" com.example/* ,, io.github.acme/* ",
        oidc_edit_permissions="*",
    ) as api:
        r = oidc_login(api, tenant.mint({"sub": "admin-1", "hd": "x"}, aud=CLIENT_ID), prefix)
        decoded = claims_of(r)
        assert decoded["auth_method"] == "oidc"
        assert decoded["auth_method_sub"] == "admin-1"
        assert grants(r) == {
            ("publish", "com.example/*"),
            ("publish", "io.github.acme/*"),
            ("edit", "*"),
        }
    discovery, jwks_ = (r.path for r in tenant.requests)
    assert discovery == "/realms/admins/.well-known/openid-configuration"
    assert jwks_ == "/realms/admins/.well-known/jwks"


def test_an_edit_grant_can_use_the_admin_edit(app_with, tenant):
    with oidc_app(
        app_with,
        tenant,
        oidc_publish_permissions="com.example/*",
        oidc_edit_permissions="com.example/*",
    ) as api:
        jwt_ = oidc_login(api, tenant.mint({"sub": "admin"}, aud=CLIENT_ID)).json()[
            "registry_token"
        ]
        name = "com.example/tools"
        published = api.post("/v0.1/publish", json=server_json(name=name), headers=auth(jwt_))
        assert published.status_code == 200, published.text
        edited = server_json(name=name, description="Edited by an operator.")
        r = api.put(f"/v0.1/servers/{enc(name)}/versions/1.0.0", json=edited, headers=auth(jwt_))
        assert r.status_code == 200, r.text
        got = api.get(f"/v0.1/servers/{enc(name)}/versions/1.0.0").json()
        assert got["server"]["description"] == "Edited by an operator."
        other = api.put(
            f"/v0.1/servers/{enc('com.other/tools')}/versions/1.0.0",
            json=server_json(name="com.other/tools"),
            headers=auth(jwt_),
        )
        assert other.status_code in (403, 404)


def test_without_edit_patterns_the_admin_edit_is_refused(app_with, tenant):
    with oidc_app(app_with, tenant, oidc_publish_permissions="com.example/*") as api:
        jwt_ = oidc_login(api, tenant.mint({"sub": "a"}, aud=CLIENT_ID)).json()["registry_token"]
        name = "com.example/tools"
        assert (
            api.post("/v0.1/publish", json=server_json(name=name), headers=auth(jwt_)).status_code
            == 200
        )
        r = api.put(
            f"/v0.1/servers/{enc(name)}/versions/1.0.0",
            json=server_json(name=name, description="No."),
            headers=auth(jwt_),
        )
        assert_problem(r, 403)


RULES_HD = [{"hd": "example.com"}]


@pytest.mark.parametrize(
    ("rules", "extra", "expected"),
    [
        # scalar rule, scalar claim
        (RULES_HD, {"hd": "example.com"}, None),
        (RULES_HD, {"hd": "gmail.com"}, 'claim \'hd\': expected "example.com", got "gmail.com"'),
        (RULES_HD, {}, "claim 'hd' is required"),
        # scalar rule, array claim: contained; a one-element array is its element
        ([{"groups": "admins"}], {"groups": ["users", "admins"]}, None),
        ([{"groups": "admins"}], {"groups": ["users", "staff"]}, "claim 'groups'"),
        ([{"groups": "admins"}], {"groups": ["admins"]}, None),
        ([{"groups": "admins"}], {"groups": []}, "claim 'groups'"),
        # array rule: any shared element
        ([{"groups": ["ops", "admins"]}], {"groups": ["users", "admins"]}, None),
        ([{"groups": ["ops", "admins"]}], {"groups": ["users"]}, "claim 'groups'"),
        ([{"groups": ["ops", "admins"]}], {"groups": "admins"}, "claim 'groups'"),
        # every key of every object
        ([{"hd": "example.com", "email_verified": True}], {"hd": "example.com"}, "email_ver"),
        (
            [{"hd": "example.com"}, {"email_verified": True}],
            {"hd": "example.com", "email_verified": True},
            None,
        ),
        (
            [{"hd": "example.com"}, {"email_verified": True}],
            {"hd": "example.com", "email_verified": False},
            "claim 'email_verified'",
        ),
        # JSON types: true is not 1, 2 is 2.0
        ([{"level": 1}], {"level": True}, "claim 'level'"),
        ([{"level": 2}], {"level": 2.0}, None),
        ([{"level": "2"}], {"level": 2}, "claim 'level'"),
        # standard claims are not extra claims
        ([{"sub": "admin"}], {}, "claim 'sub' is required"),
        # no rules, or an empty object: anything goes
        ([], {}, None),
        ([{}], {}, None),
    ],
)
def test_extra_claim_rules(app_with, tenant, rules, extra, expected):
    with oidc_app(
        app_with, tenant, oidc_extra_claims=json.dumps(rules), oidc_publish_permissions="*"
    ) as api:
        r = oidc_login(api, tenant.mint({"sub": "admin", **extra}, aud=CLIENT_ID))
        if expected is None:
            assert grants(r) == {("publish", "*")}
        else:
            assert expected in reason(r)


@pytest.mark.parametrize(
    ("mint", "expected"),
    [
        (lambda i: i.mint({"sub": "a"}, aud="someone-else"), "invalid audience"),
        (lambda i: i.mint({"sub": "a"}, aud=CLIENT_ID, iss=i.url + "/"), "invalid issuer"),
        (lambda i: i.mint({"sub": "a"}, aud=CLIENT_ID, exp=-600), "expired"),
        (lambda i: i.mint({"sub": "a"}, aud=CLIENT_ID, exp=None), "no 'exp' claim"),
        (lambda i: i.mint({"sub": "a"}, aud=CLIENT_ID, kid="unknown"), "no RS256 key with id"),
        (lambda i: i.mint({"sub": "a"}, aud=CLIENT_ID, alg="RS512"), "'RS512' are not accepted"),
        (lambda i: i.forge_alg_none({"sub": "a"}, aud=CLIENT_ID), "'none' are not accepted"),
        (lambda i: i.forge_hs256_with_public_key({"sub": "a"}, aud=CLIENT_ID), "'HS256'"),
        (
            lambda i: i.mint(
                {"sub": "a"}, aud=CLIENT_ID, key=i.new_key(publish=False), kid=i.key.kid
            ),
            "signature does not verify",
        ),
        (lambda i: i.mint({}, aud=CLIENT_ID), "no 'sub' claim"),
    ],
)
def test_bad_admin_tokens_are_refused(app_with, tenant, mint, expected):
    with oidc_app(app_with, tenant, oidc_edit_permissions="*") as api:
        assert expected in reason(oidc_login(api, mint(tenant)))


def test_a_token_without_kid_is_checked_against_every_key(app_with, tenant):
    tenant.new_key()
    with oidc_app(app_with, tenant, oidc_edit_permissions="*") as api:
        assert oidc_login(api, tenant.mint({"sub": "a"}, aud=CLIENT_ID, kid="")).status_code == 200
        stray = tenant.new_key(publish=False)
        forged = tenant.mint({"sub": "a"}, aud=CLIENT_ID, kid="", key=stray)
        assert "signature does not verify" in reason(oidc_login(api, forged))


def test_the_algorithms_the_provider_announces_are_accepted(app_with):
    with (
        FakeOIDCIssuer(algorithms=("RS256", "RS512", "HS256")) as issuer,
        oidc_app(app_with, issuer, oidc_edit_permissions="*") as api,
    ):
        # A published key that names RS256 is only used with RS256.
        token = issuer.mint({"sub": "a"}, aud=CLIENT_ID, alg="RS512")
        assert "no RS512 key" in reason(oidc_login(api, token))
        # One that names no algorithm verifies any announced algorithm that fits it.
        any_alg = issuer.new_key()
        any_alg.alg = None
        token = issuer.mint({"sub": "a"}, aud=CLIENT_ID, alg="RS512", key=any_alg)
        assert oidc_login(api, token).status_code == 200
        # An announced HMAC algorithm is still never accepted.
        forged = issuer.forge_hs256_with_public_key({"sub": "a"}, aud=CLIENT_ID)
        assert "'HS256' are not accepted" in reason(oidc_login(api, forged))


def test_a_provider_naming_another_issuer_is_refused(app_with, tenant):
    tenant.discovery_overrides["issuer"] = "https://elsewhere.example"
    with oidc_app(app_with, tenant, oidc_edit_permissions="*") as api:
        message = reason(oidc_login(api, tenant.mint({"sub": "a"}, aud=CLIENT_ID)))
        assert "names the issuer 'https://elsewhere.example'" in message


def test_an_unreachable_provider_refuses_and_recovers(app_with, tenant):
    tenant.fail("/.well-known/openid-configuration", 503)
    with oidc_app(app_with, tenant, oidc_edit_permissions="*") as api:
        token = tenant.mint({"sub": "a"}, aud=CLIENT_ID)
        assert "answered HTTP 503" in reason(oidc_login(api, token))
        tenant.clear_failures()
        assert oidc_login(api, token).status_code == 200


def test_oidc_is_absent_unless_enabled(client):
    assert client.post("/v0.1/auth/oidc", json={"oidc_token": "x"}).status_code == 404


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"oidc_enabled": True, "oidc_client_id": "c"}, "MCP_REGISTRY_OIDC_ISSUER"),
        (
            {"oidc_enabled": True, "oidc_issuer": "https://id.example"},
            "MCP_REGISTRY_OIDC_CLIENT_ID",
        ),
        ({"oidc_extra_claims": '{"hd": "example.com"}'}, "MCP_REGISTRY_OIDC_EXTRA_CLAIMS"),
        ({"oidc_extra_claims": "[1, 2]"}, "MCP_REGISTRY_OIDC_EXTRA_CLAIMS"),
        ({"oidc_extra_claims": "[{"}, "MCP_REGISTRY_OIDC_EXTRA_CLAIMS"),
        ({"oidc_enabled": True, "oidc_issuer": "id.example", "oidc_client_id": "c"}, "ISSUER"),
    ],
)
def test_bad_oidc_settings_stop_start_up(changes, variable):
    with pytest.raises(SettingsError) as caught:
        load(**changes)
    assert variable in str(caught.value)


def test_registrum_serve_refuses_bad_extra_claims(tmp_path):
    result = run_cli(
        "serve",
        cwd=tmp_path,
        env={"MCP_REGISTRY_OIDC_EXTRA_CLAIMS": '{"hd": "example.com"}'},
    )
    assert result.returncode == 2
    assert "MCP_REGISTRY_OIDC_EXTRA_CLAIMS" in result.stderr
    assert "JSON array of objects" in result.stderr


@pytest.mark.slow
def test_a_served_registry_configured_by_environment(tmp_path, idp):
    env = {
        "MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED,
        "MCP_REGISTRY_GITHUB_OIDC_AUDIENCE": AUDIENCE,
        "MCP_REGISTRY_GITHUB_OIDC_ISSUER": idp.url,
        "MCP_REGISTRY_OIDC_ENABLED": "true",
        "MCP_REGISTRY_OIDC_ISSUER": idp.url,
        "MCP_REGISTRY_OIDC_CLIENT_ID": CLIENT_ID,
        "MCP_REGISTRY_OIDC_EXTRA_CLAIMS": '[{"groups": "registry-admins"}]',
        "MCP_REGISTRY_OIDC_EDIT_PERMISSIONS": "*",
    }
    with serving(tmp_path, env) as (base, _log):
        actions_token = idp.mint(idp.github_actions_claims("octo"), aud=AUDIENCE)
        r = httpx.post(f"{base}/v0/auth/github-oidc", json={"oidc_token": actions_token})
        assert grants(r) == {("publish", "io.github.octo/*")}
        admin = idp.mint({"sub": "ops", "groups": ["registry-admins"]}, aud=CLIENT_ID)
        r = httpx.post(f"{base}/v0.1/auth/oidc", json={"oidc_token": admin})
        assert grants(r) == {("edit", "*")}
        outsider = idp.mint({"sub": "ops", "groups": ["users", "staff"]}, aud=CLIENT_ID)
        r = httpx.post(f"{base}/v0.1/auth/oidc", json={"oidc_token": outsider})
        assert r.status_code == 401


def test_the_key_set_is_cached_between_logins(actions, idp):
    for _ in range(3):
        token = idp.mint(idp.github_actions_claims("octo"), aud=AUDIENCE)
        assert gh_login(actions, token).status_code == 200
    assert [r.path for r in idp.requests] == [JWKS]


def test_discovery_and_keys_are_cached_between_admin_logins(app_with, tenant):
    with oidc_app(app_with, tenant, oidc_edit_permissions="*") as api:
        for _ in range(3):
            assert oidc_login(api, tenant.mint({"sub": "a"}, aud=CLIENT_ID)).status_code == 200
    assert len(tenant.requests) == 2
