"""The client library against a real ``registrum serve`` process (and, for the async client, the
app in-process through httpx's ASGI transport); a misbehaving registry is an httpx transport."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registrum.api.app import create_app
from registrum.client import (
    AsyncRegistryClient,
    ForbiddenError,
    InvalidRequestError,
    LoginError,
    NotFoundError,
    RegistryClient,
    RegistryError,
    ServerError,
    ServerItem,
    TransportError,
    UnauthorizedError,
    UnexpectedResponseError,
    api_root,
    segment,
    token_claims,
)
from registrum.client.github import DeviceFlow, actions_id_token, audience_for
from registrum.server.wiring import Registry
from tests.conftest import TEST_SEED
from tests.factories import ANON, remote, server_json
from tests.fakes.github import FakeGitHub
from tests.fakes.oidc import FakeOIDCIssuer
from tests.processes import free_port, serving

pytestmark = pytest.mark.slow

NAME = f"{ANON}/weather"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("client-registry")
    env = {"MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED, "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true"}
    with serving(folder, env) as (url, _):
        yield url


@pytest.fixture
def client(base: str) -> Iterator[RegistryClient]:
    with RegistryClient(base) as c:
        yield c


def unique(prefix: str, request: pytest.FixtureRequest) -> str:
    """A server name of its own for each test (they share one registry)."""
    slug = request.node.name.replace("_", "-").replace("[", "-").replace("]", "")[:50]
    return f"{ANON}/{prefix}-{slug}".lower()


def shape(item: ServerItem) -> tuple[str, str, str | None, bool]:
    return (item.name, item.version, item.status, item.is_latest)


# --- reading and paging --------------------------------------------------------------------


def test_iter_servers_follows_every_cursor(client: RegistryClient, request) -> None:
    name = unique("paging", request)
    client.login_none()
    for i in range(7):
        client.publish(server_json(name=name, version=f"1.{i}.0"))
    first = client.list_servers(limit=3, search=name)
    assert len(first.items) == 3
    assert first.count == 3
    assert first.next_cursor
    paged = [i.version for i in client.iter_servers(search=name, page_size=2)]
    assert paged == [f"1.{i}.0" for i in range(7)]
    whole = client.list_servers(limit=100, search=name)
    assert whole.next_cursor is None
    assert paged == [i.version for i in whole.items]
    latest = list(client.search(name))
    assert [shape(i) for i in latest] == [(name, "1.6.0", "active", True)]
    assert [i.version for i in client.iter_servers(search=name, version="1.3.0")] == ["1.3.0"]
    # Raw pages: the items as served, each page's cursor, and a walk resumed from one.
    pages = list(client.iter_server_pages(search=name, page_size=3))
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert [p.next_cursor is None for p in pages] == [False, False, True]
    assert [i["server"]["version"] for p in pages for i in p.items] == paged
    rest = client.iter_server_pages(search=name, page_size=3, cursor=pages[0].next_cursor)
    assert [i["server"]["version"] for p in rest for i in p.items] == paged[3:]


def test_versions_get_latest_and_include_deleted(client: RegistryClient, request) -> None:
    name = unique("versions", request)
    client.login_none()
    for v in ("1.0.0", "2.0.0"):
        client.publish(server_json(name=name, version=v))
    assert sorted(i.version for i in client.versions(name)) == ["1.0.0", "2.0.0"]
    latest = client.get(name)
    assert latest.version == "2.0.0"
    assert latest.official is not None
    assert latest.official.published_at is not None
    assert latest.server["description"] == server_json()["description"]
    client.set_status(name, "2.0.0", "deleted", message="withdrawn")
    assert client.get(name, "latest").version == "1.0.0"
    with pytest.raises(NotFoundError):
        client.get(name, "2.0.0")
    hidden = client.get(name, "2.0.0", include_deleted=True)
    assert hidden.official is not None
    assert (hidden.status, hidden.official.status_message) == ("deleted", "withdrawn")
    assert len(client.versions(name, include_deleted=True)) == 2


def test_set_all_status_changes_every_version(client: RegistryClient, request) -> None:
    name = unique("all", request)
    client.login_none()
    for v in ("1.0.0", "1.1.0", "1.2.0"):
        client.publish(server_json(name=name, version=v))
    result = client.set_all_status(name, "deprecated", message="moved")
    assert result.updated_count == 3
    assert {i.status for i in result.servers} == {"deprecated"}
    again = [i.official.status_message for i in client.versions(name) if i.official]
    assert again == ["moved"] * 3


# --- names and versions are one path segment each ---------------------------------------------


def test_names_and_versions_travel_as_one_encoded_segment(base: str, request) -> None:
    seen: list[bytes] = []

    def record(req: httpx.Request) -> None:
        seen.append(req.url.raw_path)

    http = httpx.Client(event_hooks={"request": [record]})
    name = unique("enc", request)
    with RegistryClient(base, http=http) as client:
        client.login_none()
        client.publish(server_json(name=name, version="1.0.0+build.5"))
        got = client.get(name, "1.0.0+build.5")
        client.set_status(name, "1.0.0+build.5", "deprecated")
        assert [i.version for i in client.versions(name)] == ["1.0.0+build.5"]
    http.close()
    assert got.version == "1.0.0+build.5"
    encoded_name = name.replace("/", "%2F").encode()
    assert seen[2] == b"/v0.1/servers/" + encoded_name + b"/versions/1.0.0%2Bbuild.5"
    assert seen[3] == seen[2] + b"/status"
    assert segment("a/b c+d?e#f%") == "a%2Fb%20c%2Bd%3Fe%23f%25"


def test_api_root_accepts_a_base_or_a_versioned_url() -> None:
    assert api_root("http://h:1/") == "http://h:1/v0.1"
    assert api_root("http://h:1/v0") == "http://h:1/v0"
    assert api_root("https://h/mirror/v0.1/") == "https://h/mirror/v0.1"
    assert api_root("https://h", "v0") == "https://h/v0"
    with pytest.raises(ValueError, match="http"):
        api_root("h:1")


def test_the_v0_prefix_works_the_same(base: str, request) -> None:
    name = unique("v0", request)
    with RegistryClient(base, api_version="v0") as client:
        client.login_none()
        client.publish(server_json(name=name))
        assert client.get(name).name == name


# --- errors carry the problem JSON -------------------------------------------------------------


def test_not_found_carries_the_problem(client: RegistryClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get(f"{ANON}/no-such-server")
    err = caught.value
    assert err.status == 404
    assert err.problem["detail"] == "Server not found"
    assert err.detail == "Server not found"
    assert err.title == "Not Found"
    assert str(err) == "the registry answered 404 Not Found: Server not found"
    assert isinstance(err, RegistryError)


def test_invalid_document_lists_each_problem(client: RegistryClient) -> None:
    client.login_none()
    bad = server_json(name=f"{ANON}/x", version="latest")
    del bad["description"]
    with pytest.raises(InvalidRequestError) as caught:
        client.publish(bad)
    err = caught.value
    assert err.status == 422
    locations = {p.location for p in err.problems}
    assert {"body.name", "body.description", "body.version"} <= locations
    assert all(p.message for p in err.problems)


def test_query_problems_are_invalid_requests(client: RegistryClient) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.list_servers(limit=1000)
    assert [p.location for p in caught.value.problems] == ["query.limit"]


def test_unauthorized_and_forbidden(base: str, request) -> None:
    with RegistryClient(base) as anonymous:
        with pytest.raises(UnauthorizedError) as caught:
            anonymous.publish(server_json(name=unique("u", request)))
        assert caught.value.status == 401
        anonymous.token = "not-a-jwt"
        with pytest.raises(UnauthorizedError, match="Invalid or expired Registry JWT token"):
            anonymous.publish(server_json(name=unique("u", request)))
        anonymous.login_none()
        with pytest.raises(ForbiddenError) as forbidden:
            anonymous.publish(server_json(name="io.github.alice/weather"))
        assert forbidden.value.detail == "You do not have permission to publish this server"


def test_an_unreachable_registry_is_a_transport_error() -> None:
    with (
        RegistryClient(f"http://127.0.0.1:{free_port()}") as client,
        pytest.raises(TransportError, match=r"cannot reach http://127\.0\.0\.1:\d+"),
    ):
        client.health()


def fake_registry(handler: Any) -> RegistryClient:
    return RegistryClient("http://registry.example", transport=httpx.MockTransport(handler))


def test_server_errors_and_unexpected_answers() -> None:
    def broken(req: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    with pytest.raises(ServerError) as caught:
        fake_registry(broken).health()
    assert caught.value.status == 502
    assert caught.value.problem == "<html>bad gateway</html>"
    assert "502" in str(caught.value)

    def not_json(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="hello")

    with pytest.raises(UnexpectedResponseError, match="did not answer JSON"):
        fake_registry(not_json).get("a/b")

    def wrong_shape(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"servers": "nope"})

    with pytest.raises(UnexpectedResponseError, match="unexpected shape"):
        fake_registry(wrong_shape).list_servers()

    def teapot(req: httpx.Request) -> httpx.Response:
        return httpx.Response(418, json={"error": "short and stout"})

    with pytest.raises(UnexpectedResponseError) as other:
        fake_registry(teapot).health()
    # The generic OpenAPI document's error shape is read too.
    assert other.value.detail == "short and stout"


def test_paging_stops_when_a_registry_repeats_its_cursor() -> None:
    def looping(req: httpx.Request) -> httpx.Response:
        item = {"server": server_json(), "_meta": {}}
        return httpx.Response(200, json={"servers": [item], "metadata": {"nextCursor": "same"}})

    items = []
    with pytest.raises(UnexpectedResponseError, match="cursor 'same' twice"):
        items.extend(fake_registry(looping).iter_servers())
    assert len(items) == 2


def test_a_registry_without_our_extensions_reads_fine() -> None:
    """Another registry: no Registrum `_meta`, nanosecond timestamps, no `count`."""
    item = {
        "server": server_json(remotes=[remote()]),
        "_meta": {
            "io.modelcontextprotocol.registry/official": {
                "status": "active",
                "publishedAt": "2025-09-01T10:00:00.123456789Z",
                "updatedAt": "2025-09-01T10:00:00Z",
                "isLatest": True,
            }
        },
    }

    def other(req: httpx.Request) -> httpx.Response:
        assert req.url.params.get("cursor") in (None, "io.github.alice/weather:1.0.0")
        if req.url.params.get("cursor"):
            return httpx.Response(200, json={"servers": [], "metadata": {}})
        cursor = "io.github.alice/weather:1.0.0"
        return httpx.Response(200, json={"servers": [item], "metadata": {"nextCursor": cursor}})

    (got,) = list(fake_registry(other).iter_servers())
    assert got.official is not None
    assert got.official.published_at is not None
    assert got.official.published_at.year == 2025
    assert got.is_latest
    # Registrum's ids are simply absent.
    assert (got.registry_meta, got.server_id, got.version_id, got.seq) == (None, None, None, None)
    assert got.previous_names == ()


# --- logins, health, validation ------------------------------------------------------------


def test_login_none_sets_the_token_and_names_its_grants(client: RegistryClient) -> None:
    assert client.token is None
    token = client.login_none()
    assert client.token == token.registry_token
    assert [(p.action, p.resource) for p in token.permissions] == [("publish", f"{ANON}/*")]
    assert token.claims["auth_method"] == "none"
    assert not token.expired(token.expires_at - 1)
    assert token.expired(token.expires_at)


def test_a_login_method_the_registry_lacks_is_not_found(client: RegistryClient) -> None:
    # Generic OIDC is served only when the operator configures an identity provider.
    with pytest.raises(NotFoundError):
        client.login_oidc("header.payload.signature")
    with pytest.raises(ValueError, match="login method"):
        client.exchange_token("password")


def test_health_and_validate(client: RegistryClient) -> None:
    health = client.health()
    assert health.status == "ok"
    assert health.github_client_id is None
    good = client.validate(server_json())
    assert good.valid
    bad = client.validate(server_json(version="latest"))
    assert not bad.valid
    assert [i.path for i in bad.issues if i.severity == "error"] == ["version"]


def test_status_values_are_checked_before_sending(client: RegistryClient) -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        client.set_status(NAME, "1.0.0", "archived")


# --- the async client -----------------------------------------------------------------------


def scenario_sync(client: RegistryClient, name: str) -> list[Any]:
    client.login_none()
    out: list[Any] = [shape(client.publish(server_json(name=name, version=v))) for v in "123"]
    out.append([shape(i) for i in client.iter_servers(search=name, page_size=1)])
    pages = client.iter_server_pages(search=name, page_size=2)
    out.append([[i["server"]["version"] for i in p.items] for p in pages])
    out.append(shape(client.set_status(name, "3", "deprecated", message="m")))
    out.append(client.set_all_status(name, "active").updated_count)
    out.append(shape(client.get(name)))
    out.append([shape(i) for i in client.versions(name)])
    try:
        client.get(name, "9")
    except NotFoundError as exc:
        out.append((type(exc).__name__, exc.status, exc.detail))
    return out


async def scenario_async(client: AsyncRegistryClient, name: str) -> list[Any]:
    await client.login_none()
    out: list[Any] = [shape(await client.publish(server_json(name=name, version=v))) for v in "123"]
    out.append([shape(i) async for i in client.iter_servers(search=name, page_size=1)])
    pages = client.iter_server_pages(search=name, page_size=2)
    out.append([[i["server"]["version"] for i in p.items] async for p in pages])
    out.append(shape(await client.set_status(name, "3", "deprecated", message="m")))
    out.append((await client.set_all_status(name, "active")).updated_count)
    out.append(shape(await client.get(name)))
    out.append([shape(i) for i in await client.versions(name)])
    try:
        await client.get(name, "9")
    except NotFoundError as exc:
        out.append((type(exc).__name__, exc.status, exc.detail))
    return out


def test_sync_and_async_clients_agree(base: str, request) -> None:
    with RegistryClient(base) as sync_client:
        sync = scenario_sync(sync_client, unique("parity-a", request))

    async def run() -> list[Any]:
        async with AsyncRegistryClient(base) as async_client:
            return await scenario_async(async_client, unique("parity-a", request) + "b")

    got = asyncio.run(run())
    rename = {unique("parity-a", request) + "b": unique("parity-a", request)}

    def same_name(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return type(value)(same_name(v) for v in value)
        return rename.get(value, value)

    assert same_name(got) == sync
    assert sync[-1] == ("NotFoundError", 404, "Server not found")
    assert sync[3] == [(sync[0][0], v, "active", v == "3") for v in "123"]
    assert sync[4] == [["1", "2"], ["3"]]


def test_async_client_in_process(registry: Registry, tmp_path: Path) -> None:
    app = create_app(registry.context)

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with AsyncRegistryClient("http://registry.test", transport=transport) as client:
            assert (await client.health()).status == "ok"
            await client.login_none()
            item = await client.publish(server_json(name=NAME, version="1.0.0+b"))
            assert item.is_latest
            assert (await client.get(NAME, "1.0.0+b")).version == "1.0.0+b"
            page = await client.list_servers(limit=1)
            assert page.count == 1
            assert [i.name async for i in client.search("weather")] == [NAME]
            with pytest.raises(InvalidRequestError) as caught:
                await client.publish({"name": NAME})
            assert caught.value.problems
            client.token = None
            with pytest.raises(UnauthorizedError):
                await client.set_all_status(NAME, "deleted")

    asyncio.run(run())


# --- GitHub: the device flow and the Actions ID token, against the fakes ---------------------


def device_flow(gh: FakeGitHub, sleeps: list[float]) -> DeviceFlow:
    return DeviceFlow(gh.client_id, github_url=gh.url, sleep=sleeps.append)


def test_device_flow_waits_as_github_asks() -> None:
    with FakeGitHub(interval=3) as gh:
        gh.add_user("alice")
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            if len(sleeps) == 4:  # the user approves while the CLI waits a 4th time
                gh.approve("alice", code.user_code)

        flow = DeviceFlow(gh.client_id, github_url=gh.url, sleep=sleep)
        code = flow.start()
        assert (code.interval, code.verification_uri) == (3, f"{gh.url}/login/device")
        gh.slow_down(code.user_code, times=2)  # each adds 1 second and says the new interval
        token = flow.wait(code)
        flow.close()
    assert token.startswith("gho_")
    # 3 s, then 4 and 5 after the two slow_downs; the new interval holds from then on.
    assert sleeps == [3, 4, 5, 5]


@pytest.mark.parametrize(
    ("outcome", "message"),
    [("deny", "denied in the browser"), ("expire", "expired; log in again")],
)
def test_device_flow_failures_are_login_errors(outcome: str, message: str) -> None:
    with FakeGitHub() as gh:
        sleeps: list[float] = []
        flow = device_flow(gh, sleeps)
        code = flow.start()
        getattr(gh, outcome)(code.user_code)
        with pytest.raises(LoginError, match=message):
            flow.wait(code)
        flow.close()
        wrong = DeviceFlow("another-app", github_url=gh.url, sleep=sleeps.append)
        with pytest.raises(LoginError, match="refused: The client_id passed is incorrect"):
            wrong.start()
        wrong.close()


def test_actions_id_token_carries_the_registry_audience() -> None:
    assert audience_for("https://registry.example.com/v0.1") == "https://registry.example.com"
    assert audience_for("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    with FakeOIDCIssuer() as issuer:
        env = issuer.actions_env(issuer.github_actions_claims("octo-org"))
        token = actions_id_token("https://registry.example.com", env=env)
        claims = token_claims(token)
        assert claims["aud"] == "https://registry.example.com"
        assert claims["repository_owner"] == "octo-org"
        with pytest.raises(LoginError, match="answered 401"):
            actions_id_token("x", env={**env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "wrong"})
    with pytest.raises(LoginError, match="id-token: write"):
        actions_id_token("x", env={})
