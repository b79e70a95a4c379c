"""The client's side of Registrum's extensions (docs/guides/change-feed-ids-and-renames.md):
the change feed, look-ups by id, renames and transfers, and the opt-in ETag cache. Against a
real ``registrum serve`` (and, for the async client, the app in-process through httpx's ASGI
transport). What went over the wire is seen by an httpx transport that records each exchange
and passes it on unchanged."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from registrum.api.app import create_app
from registrum.client import (
    AsyncRegistryClient,
    CachedResponse,
    Change,
    ConflictError,
    DirectoryCache,
    ForbiddenError,
    MemoryCache,
    NotFoundError,
    RegistryClient,
    UnexpectedResponseError,
)
from registrum.core.permissions import Action, Permission, Principal
from registrum.server.wiring import Registry
from registrum.services.tokens import TokenService
from tests.conftest import TEST_SEED
from tests.factories import ANON, server_json
from tests.processes import serving

pytestmark = pytest.mark.slow

ORG = "org.example"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("client-extensions-registry")
    env = {"MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED, "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true"}
    with serving(folder, env) as (url, _):
        yield url


@pytest.fixture
def client(base: str) -> Iterator[RegistryClient]:
    with RegistryClient(base) as c:
        c.login_none()
        yield c


def unique(prefix: str, request: pytest.FixtureRequest, namespace: str = ANON) -> str:
    slug = request.node.name.replace("_", "-").replace("[", "-").replace("]", "")[:40]
    return f"{namespace}/{prefix}-{slug}".lower()


def org_token() -> str:
    """A registry token for org.example/*, signed with the test registry's key (as a DNS
    login for example.org would give)."""
    principal = Principal("dns", "example.org", (Permission(Action.PUBLISH, f"{ORG}/*"),))
    token, _ = TokenService(bytes.fromhex(TEST_SEED)).issue(principal)
    return token


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    if_none_match: str | None


class Recording(httpx.BaseTransport):
    """Passes every request on to a real transport and notes what went over the wire."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.seen: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.seen.append(
            Exchange(
                request.method,
                request.url.path,
                response.status_code,
                request.headers.get("if-none-match"),
            )
        )
        return response

    def close(self) -> None:
        self.inner.close()

    def statuses(self) -> list[int]:
        return [e.status for e in self.seen]


# --- the change feed --------------------------------------------------------------------------


def test_follow_changes_sees_every_change_exactly_once(client: RegistryClient, request) -> None:
    name = unique("feed", request)
    start = client.changes(limit=1).head
    # Writers keep going while the reader follows.
    writer = RegistryClient(client.base_url, token=client.token)

    def write() -> None:
        for i in range(12):
            writer.publish(server_json(name=name, version=f"1.{i}.0"))
            if i % 4 == 3:
                writer.set_status(name, f"1.{i - 1}.0", "deprecated")

    failures: list[BaseException] = []

    def guarded() -> None:
        try:
            write()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=guarded)
    thread.start()
    seen: list[Change] = []
    since = start

    def follow() -> None:
        nonlocal since
        for change in client.follow_changes(since, page_size=3):
            seen.append(change)
            since = change.seq

    while thread.is_alive():
        follow()
        time.sleep(0.02)
    thread.join()
    writer.close()
    assert failures == []
    follow()
    head = client.changes(since).head
    assert [c.seq for c in seen] == list(range(start + 1, head + 1))  # each once, none missed
    mine = [c for c in seen if c.name == name]
    kinds = {c.kind for c in mine}
    assert {"published", "status-changed", "latest-moved"} <= kinds
    assert len([c for c in mine if c.kind == "published"]) == 12
    # Applying each entry's server by version id rebuilds the server as it stands.
    rebuilt: dict[str, Any] = {}
    for change in mine:
        if change.server is not None and change.version_id:
            rebuilt[change.version_id] = change.server
    server_id = mine[0].server_id
    assert {c.server_id for c in mine} == {server_id}
    now = client.versions_by_id(server_id, include_deleted=True)
    assert {i.version_id: (i.version, i.status, i.is_latest) for i in now} == {
        k: (v.version, v.status, v.is_latest) for k, v in rebuilt.items()
    }
    # A follower that is caught up gets nothing more.
    assert list(client.follow_changes(head)) == []
    page = client.changes(head)
    assert (page.changes, page.next_since, page.caught_up) == ([], head, True)


def test_change_pages_are_typed(client: RegistryClient, request) -> None:
    name = unique("typed", request)
    first = client.publish(server_json(name=name, version="1.0.0"))
    assert first.seq is not None
    page = client.changes(first.seq - 1, limit=1)
    (change,) = page.changes
    assert (change.seq, change.kind, change.name, change.version) == (
        first.seq,
        "published",
        name,
        "1.0.0",
    )
    assert change.at is not None
    assert (change.server_id, change.version_id) == (first.server_id, first.version_id)
    assert change.server is not None
    assert change.server.name == name
    assert not change.tombstone
    assert page.next_since == first.seq
    assert page.head >= first.seq
    client.set_status(name, "1.0.0", "deleted")
    (deleted,) = client.changes(first.seq, limit=1).changes
    assert (deleted.kind, deleted.tombstone) == ("status-changed", True)
    with pytest.raises(ValueError, match="limit must be between 1 and 1000"):
        client.changes(0, 0)


def test_a_feed_whose_cursor_does_not_move_is_an_error() -> None:
    def stuck(req: httpx.Request) -> httpx.Response:
        change = {"seq": 5, "kind": "published", "serverId": "s", "name": "a/b"}
        meta = {"head": 9, "nextSince": 0}
        return httpx.Response(200, json={"changes": [change], "metadata": meta})

    with (
        RegistryClient("http://registry.test", transport=httpx.MockTransport(stuck)) as c,
        pytest.raises(UnexpectedResponseError, match="stopping to avoid a loop"),
    ):
        list(c.follow_changes(0))


# --- ids ------------------------------------------------------------------------------------


def test_items_carry_ids_and_look_ups_by_id(client: RegistryClient, request) -> None:
    name = unique("ids", request)
    one = client.publish(server_json(name=name, version="1.0.0"))
    two = client.publish(server_json(name=name, version="2.0.0"))
    assert one.server_id
    assert one.server_id == two.server_id
    assert one.version_id
    assert two.version_id
    assert one.version_id != two.version_id
    assert one.seq is not None
    assert two.seq is not None
    assert two.seq > one.seq
    assert one.previous_names == ()
    latest = client.server_by_id(one.server_id)
    assert (latest.name, latest.version, latest.version_id) == (name, "2.0.0", two.version_id)
    assert latest.server == client.get(name).server
    assert sorted(i.version for i in client.versions_by_id(one.server_id)) == ["1.0.0", "2.0.0"]
    with pytest.raises(NotFoundError, match="404"):
        client.server_by_id("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError):
        client.versions_by_id("no-such-id")


# --- renames and transfers -----------------------------------------------------------------


def test_rename_keeps_the_id_and_the_old_name_redirects(client: RegistryClient, request) -> None:
    old, new = unique("old", request), unique("new", request)
    first = client.publish(server_json(name=old, version="1.0.0"))
    client.publish(server_json(name=old, version="1.1.0"))
    moved = client.rename(old, new)
    assert (moved.name, moved.version) == (new, "1.1.0")
    assert moved.server_id == first.server_id
    assert moved.previous_names == (old,)
    # Reads of the old name follow the 308 to the new one.
    assert client.get(old, "1.0.0").name == new
    assert {i.name for i in client.versions(old)} == {new}
    assert client.server_by_id(moved.server_id).name == new
    (entry, *_) = [c for c in client.follow_changes(first.seq or 0) if c.kind == "renamed"]
    assert (entry.name, entry.previous_name) == (new, old)


def test_a_refused_rename_carries_the_registrys_words(client: RegistryClient, request) -> None:
    name, taken = unique("mine", request), unique("taken", request)
    client.publish(server_json(name=name))
    client.publish(server_json(name=taken))
    with pytest.raises(ForbiddenError) as forbidden:
        client.rename(name, f"{ORG}/{name.rsplit('/', 1)[1]}")
    assert forbidden.value.status == 403
    assert "You do not have permission to publish under" in forbidden.value.detail
    assert "transfer" in forbidden.value.detail
    with pytest.raises(ConflictError) as conflict:
        client.rename(name, taken)
    assert conflict.value.status == 409
    assert conflict.value.detail == f"{taken!r} is taken: another server has that name"
    assert f"409 Conflict: {taken!r} is taken" in str(conflict.value)
    with pytest.raises(NotFoundError):
        client.rename(unique("nobody", request), unique("nobody-2", request))


def test_transfer_offer_show_and_accept(client: RegistryClient, request) -> None:
    name = unique("gift", request)
    new_name = f"{ORG}/{name.rsplit('/', 1)[1]}"
    first = client.publish(server_json(name=name))
    offer = client.transfer_offer(name, new_name)
    assert (offer.name, offer.new_name, offer.server_id) == (name, new_name, first.server_id)
    assert offer.offered_by == "none:anonymous"
    assert offer.expires_at is not None
    assert offer.created_at is not None
    assert offer.expires_at > offer.created_at
    assert not offer.accepted
    shown = client.transfer(offer.id)
    assert (shown.id, shown.new_name, shown.accepted) == (offer.id, new_name, False)
    # Only the holder of the new name may accept.
    with pytest.raises(ForbiddenError, match="Only the holder of"):
        client.transfer_accept(offer.id)
    with RegistryClient(client.base_url, token=org_token()) as org:
        moved = org.transfer_accept(offer.id)
        assert (moved.name, moved.server_id, moved.previous_names) == (
            new_name,
            first.server_id,
            (name,),
        )
        with pytest.raises(ConflictError) as twice:
            org.transfer_accept(offer.id)
        assert twice.value.status == 409
        assert "already accepted" in twice.value.detail
    done = client.transfer(offer.id)
    assert done.accepted
    assert done.accepted_by == "dns:example.org"
    kinds = [
        c.kind for c in client.follow_changes(first.seq or 0) if c.server_id == first.server_id
    ]
    assert kinds[-2:] == ["transfer-offered", "renamed"]
    offered = next(c for c in client.follow_changes(first.seq or 0) if c.offer_id == offer.id)
    assert (offered.new_name, offered.server, offered.version_id) == (new_name, None, None)
    with pytest.raises(NotFoundError, match="Transfer offer not found"):
        client.transfer("no-such-offer")


# --- the ETag cache ---------------------------------------------------------------------------


def test_a_repeated_get_is_a_304_answered_from_the_cache(base: str, request) -> None:
    name = unique("cached", request)
    wire = Recording()
    with RegistryClient(base, transport=wire, cache=MemoryCache()) as c:
        c.login_none()
        c.publish(server_json(name=name, version="1.0.0"))
        wire.seen.clear()
        first = c.get(name)
        again = c.get(name)
        assert wire.statuses() == [200, 304]
        assert wire.seen[0].if_none_match is None
        assert wire.seen[1].if_none_match  # the ETag of the first answer
        assert (again.server, again.meta) == (first.server, first.meta)
        page = c.changes(first.seq or 0)
        assert c.changes(first.seq or 0) == page
        assert wire.statuses()[-2:] == [200, 304]
        # A write goes past the cache; the next GET is a 200 with the new data.
        wire.seen.clear()
        c.publish(server_json(name=name, version="2.0.0"))
        assert wire.seen[0] == Exchange("POST", "/v0.1/publish", 200, None)
        latest = c.get(name)
        assert wire.seen[-1].status == 200
        assert wire.seen[-1].if_none_match == wire.seen[1].if_none_match  # the old tag: stale
        assert latest.version == "2.0.0"
        assert c.get(name).version == "2.0.0"
        assert wire.statuses()[-2:] == [200, 304]


def test_without_a_cache_nothing_changes(base: str, request) -> None:
    wire = Recording()
    with RegistryClient(base, transport=wire) as c:
        c.list_servers(limit=1)
        c.list_servers(limit=1)
    assert wire.statuses() == [200, 200]
    assert [e.if_none_match for e in wire.seen] == [None, None]


def test_the_directory_cache_outlives_the_client(base: str, tmp_path: Path, request) -> None:
    name = unique("disk", request)
    folder = tmp_path / "http"
    with RegistryClient(base) as writer:
        writer.login_none()
        writer.publish(server_json(name=name))
    wire = Recording()
    with RegistryClient(base, transport=wire, cache=DirectoryCache(folder)) as c:
        first = c.versions(name)
    assert len(list(folder.glob("*.http"))) == 1
    again_wire = Recording()
    with RegistryClient(base, transport=again_wire, cache=DirectoryCache(folder)) as c:
        again = c.versions(name)
    assert (wire.statuses(), again_wire.statuses()) == ([200], [304])
    assert [i.server for i in again] == [i.server for i in first]
    # A damaged file is a miss, not an error.
    (kept,) = folder.glob("*.http")
    kept.write_bytes(b"registrum-http-cache 1\n{not json")
    third = Recording()
    with RegistryClient(base, transport=third, cache=DirectoryCache(folder)) as c:
        assert [i.server for i in c.versions(name)] == [i.server for i in first]
    assert third.statuses() == [200]
    assert third.seen[0].if_none_match is None


def test_answers_without_an_etag_or_marked_no_store_are_not_kept() -> None:
    calls: list[str | None] = []

    def registry(req: httpx.Request) -> httpx.Response:
        calls.append(req.headers.get("if-none-match"))
        body = {"servers": [], "metadata": {"count": 0}}
        if req.url.params.get("search") == "private":
            headers = {"ETag": '"1-a"', "Cache-Control": "no-store"}
            return httpx.Response(200, json=body, headers=headers)
        return httpx.Response(200, json=body)

    cache = MemoryCache()
    transport = httpx.MockTransport(registry)
    with RegistryClient("http://registry.test", transport=transport, cache=cache) as c:
        for search in ("open", "open", "private", "private"):
            c.list_servers(search=search)
    assert len(cache) == 0
    assert calls == [None, None, None, None]


def test_the_directory_cache_keeps_at_most_max_entries(tmp_path: Path) -> None:
    cache = DirectoryCache(tmp_path / "http", max_entries=3)
    for n in range(5):
        key = f"http://registry.test/v0.1/x/io.registrum/changes?since={n}"
        cache.put(key, CachedResponse(key, f'"{n}"', b"{}", {}))
        path = cache.path(key)
        os.utime(path, ns=(n * 10**9, n * 10**9))  # written one second apart
    assert len(list((tmp_path / "http").glob("*.http"))) == 3
    kept = [
        cache.get(f"http://registry.test/v0.1/x/io.registrum/changes?since={n}") for n in range(5)
    ]
    assert [e.etag if e else None for e in kept] == [None, None, '"2"', '"3"', '"4"']


def test_processes_sharing_a_directory_never_read_half_a_file(tmp_path: Path) -> None:
    """Writers replace the file whole, so a reader sees one complete answer or none."""
    cache = DirectoryCache(tmp_path / "http")
    key = "http://registry.test/v0.1/servers"
    bodies = {f'"{n}"': (str(n) * 50_000 * (n + 1)).encode() for n in range(6)}
    torn: list[CachedResponse] = []
    stop = threading.Event()

    def write(etag: str) -> None:
        for _ in range(30):
            cache.put(key, CachedResponse(key, etag, bodies[etag], {}))

    def read() -> None:
        while not stop.is_set():
            entry = cache.get(key)
            if entry is not None and bodies.get(entry.etag) != entry.body:
                torn.append(entry)

    readers = [threading.Thread(target=read) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(etag,)) for etag in bodies]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert torn == []
    assert [p.name for p in (tmp_path / "http").iterdir() if p.suffix == ".tmp"] == []


# --- the async client -----------------------------------------------------------------------


class AsyncRecording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


def test_async_client_follows_renames_and_caches(registry: Registry) -> None:
    app = create_app(registry.context)
    name, new = f"{ANON}/async-feed", f"{ANON}/async-moved"

    async def run() -> None:
        wire = AsyncRecording(httpx.ASGITransport(app=app))
        async with AsyncRegistryClient(
            "http://registry.test", transport=wire, cache=MemoryCache()
        ) as client:
            await client.login_none()
            for v in ("1.0.0", "1.1.0"):
                await client.publish(server_json(name=name, version=v))
            moved = await client.rename(name, new)
            assert moved.previous_names == (name,)
            assert moved.server_id is not None
            changes = [c async for c in client.follow_changes(0, page_size=2)]
            assert [c.seq for c in changes] == list(range(1, len(changes) + 1))
            assert [c.kind for c in changes][-2:] == ["renamed", "renamed"]
            assert (await client.server_by_id(moved.server_id)).name == new
            assert len(await client.versions_by_id(moved.server_id)) == 2
            offer = await client.transfer_offer(new, f"{ORG}/async")
            assert (await client.transfer(offer.id)).new_name == f"{ORG}/async"
            client.token = org_token()
            accepted = await client.transfer_accept(offer.id)
            assert accepted.name == f"{ORG}/async"
            wire.statuses.clear()
            first = await client.changes(0)
            assert await client.changes(0) == first
            assert wire.statuses == [200, 304]

    asyncio.run(run())
