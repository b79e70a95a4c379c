"""The mirror engine against real upstreams on loopback ports: a Registrum upstream (a real
``registrum serve``, followed through its change feed), a registry that speaks only the
official API (a fake on 127.0.0.1), and a dump file. The mirror is a real registry on its own
database; syncs are driven through the same service ``registrum mirror sync`` uses, and the
CLI and ``serve`` are exercised as processes (on SQLite); the in-process mirrors run on both
backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.core import wire
from registrum.core.policy import Policy
from registrum.server.settings import Settings
from registrum.server.wiring import Registry, build
from tests.conftest import TEST_SEED
from tests.factories import ANON, enc, remote, server_json
from tests.fakes.official_registry import FakeOfficialRegistry
from tests.processes import new_registry, run_cli, serving

pytestmark = pytest.mark.slow

SERVE_ENV = {
    "MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED,
    "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true",
}


class Upstream:
    """A real `registrum serve`, published to through its API with an anonymous token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=30)
        token = self.http.post("/v0.1/auth/none").json()["registry_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def publish(self, name: str, version: str, **members: Any) -> dict[str, Any]:
        r = self.http.post("/v0.1/publish", json=server_json(f"{ANON}/{name}", version, **members))
        assert r.status_code == 200, r.text
        return dict(r.json())

    def status(self, name: str, version: str, status: str) -> None:
        r = self.http.patch(
            f"/v0.1/servers/{enc(f'{ANON}/{name}')}/versions/{enc(version)}/status",
            json={"status": status},
        )
        assert r.status_code == 200, r.text

    def state(self) -> dict[tuple[str, str], tuple[str, str]]:
        return served(self.http)


def served(http: Any) -> dict[tuple[str, str], tuple[str, str]]:
    """(name, version) -> (server.json text, status) of everything served, deleted included."""
    state: dict[tuple[str, str], tuple[str, str]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, "include_deleted": "true"}
        if cursor:
            params["cursor"] = cursor
        body = http.get("/v0.1/servers", params=params).json()
        for item in body["servers"]:
            server = item["server"]
            status = item["_meta"][wire.OFFICIAL_META]["status"]
            state[(server["name"], server["version"])] = (orjson.dumps(server).decode(), status)
        cursor = body["metadata"].get("nextCursor")
        if not cursor:
            return state


def live(state: dict[tuple[str, str], tuple[str, str]]) -> dict[tuple[str, str], str]:
    return {k: body for k, (body, status) in state.items() if status != "deleted"}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    folder = tmp_path_factory.mktemp("upstream")
    with serving(folder, SERVE_ENV) as (base, _):
        root = Upstream(base)
        yield root
        root.http.close()


def mirror_registry(
    tmp_path: Path, name: str = "mirror", database_url: str | None = None, **settings: Any
) -> Registry:
    return build(
        Settings(
            data_dir=tmp_path / name,
            database_url=database_url or f"sqlite:///{tmp_path / name / 'registry.db'}",
            jwt_private_key=TEST_SEED,
            enable_registry_validation=False,
            mirror_sync=False,
            **settings,
        )
    )


@pytest.fixture
def mirror(tmp_path: Path, database_url: str) -> Iterator[Registry]:
    """The mirror's registry, on each backend."""
    registry = mirror_registry(tmp_path, database_url=database_url)
    yield registry
    registry.close()


def test_a_registrum_upstream_is_followed_through_its_feed(
    upstream: Upstream, mirror: Registry, request: pytest.FixtureRequest
) -> None:
    tag = f"feed-{request.node.callspec.id}"  # the upstream is shared by the module
    upstream.publish(f"{tag}-a", "1.0.0")
    upstream.publish(f"{tag}-a", "1.1.0", remotes=[remote(f"https://{tag}.example.com/mcp")])
    upstream.publish(f"{tag}-b", "0.1.0")
    service = mirror.context.mirror
    service.add("root", upstream.base, "registrum")
    first = service.sync("root")
    assert first.fetched >= 3
    with TestClient(create_app(mirror.context)) as api:
        assert live(served(api)) == live(upstream.state())
        # Provenance, and the mirror's own change feed and ids.
        item = api.get(f"/v0.1/servers/{enc(f'{ANON}/{tag}-a')}/versions/latest").json()
        source = item["_meta"][wire.REGISTRUM_META]["source"]
        assert source["upstream"] == "root"
        assert source["url"] == upstream.base
        assert isinstance(source["seq"], int)
        assert source["syncedAt"].endswith("Z")
        assert item["_meta"][wire.OFFICIAL_META]["isLatest"] is True
        feed = api.get("/v0.1/x/io.registrum/changes").json()
        assert {c["kind"] for c in feed["changes"]} <= {"mirrored", "latest-moved"}
        # Incremental: a status change and a new version upstream arrive, nothing else moves.
        upstream.status(f"{tag}-a", "1.0.0", "deleted")
        upstream.publish(f"{tag}-b", "0.2.0")
        again = service.sync("root")
        assert again.changed >= 2
        assert served(api) == {k: v for k, v in upstream.state().items() if k in served(api)}
        assert live(served(api)) == live(upstream.state())
        # Idempotent: nothing new, nothing changes.
        assert service.sync("root").changed == 0
        # Mirrored entries are read-only here.
        from registrum.core.permissions import SYSTEM

        token = mirror.context.tokens.issue(SYSTEM)[0]
        r = api.post(
            "/v0.1/publish",
            json=server_json(f"{ANON}/{tag}-a", "9.0.0"),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 409
        assert "mirrored from the upstream 'root'" in r.json()["detail"]


def test_a_registry_that_speaks_only_the_official_api(mirror: Registry) -> None:
    with FakeOfficialRegistry() as fake:
        for i in range(250):
            fake.put(f"com.example/s{i:03d}", "1.0.0")
        service = mirror.context.mirror
        service.add("plain", fake.url, "official")
        report = service.sync("plain")
        assert report.fetched == 250
        with TestClient(create_app(mirror.context)) as api:
            assert len(served(api)) == 250
            # Changes after the walk come by updated_since polling, with an overlap that
            # reads some entries again; none is applied twice.
            fake.put("com.example/s007", "1.0.0", description="Changed.")
            fake.put("com.example/s100", "1.0.0", status="deleted")
            fake.put("com.example/new", "2.0.0")
            before = api.get("/v0.1/x/io.registrum/changes").json()["metadata"]["head"]
            polled = service.sync("plain")
            assert polled.changed == 3
            state = served(api)
            assert (
                orjson.loads(state[("com.example/s007", "1.0.0")][0])["description"] == "Changed."
            )
            assert state[("com.example/s100", "1.0.0")][1] == "deleted"
            assert ("com.example/new", "2.0.0") in state
            after = api.get("/v0.1/x/io.registrum/changes").json()["metadata"]["head"]
            assert service.sync("plain").changed == 0
            assert api.get("/v0.1/x/io.registrum/changes").json()["metadata"]["head"] == after
            assert after > before


def test_policy_allow_deny_explain_and_reapply(mirror: Registry, tmp_path: Path) -> None:
    with FakeOfficialRegistry() as fake:
        fake.put("com.example/good", "1.0.0")
        fake.put("com.example/test-tool", "1.0.0")
        fake.put(
            "com.spam/ads", "1.0.0", remotes=[{"type": "sse", "url": "https://ads.example.net/s"}]
        )
        service = mirror.context.mirror
        policy = Policy.parse(
            """
default = "allow"
[[rule]]
action = "deny"
note = "no test servers"
name = ["*/test-*"]
[[rule]]
action = "deny"
namespace = "com.spam"
"""
        )
        service.reapply(policy)
        service.add("plain", fake.url, "official")
        service.sync("plain")
        with TestClient(create_app(mirror.context)) as api:
            assert set(live(served(api))) == {("com.example/good", "1.0.0")}
            r = api.get(
                "/v0.1/x/io.registrum/policy/explain", params={"name": "com.example/test-tool"}
            )
            body = r.json()
            assert body["versions"][0]["allowed"] is False
            assert body["versions"][0]["rule"] == 1
            assert "no test servers" in body["versions"][0]["reason"]
            # A new policy is applied without reading the upstream again.
            fake_requests = len(fake.requests)
            changed = service.reapply(Policy.parse('default = "allow"'))
            assert changed == 2
            assert len(fake.requests) == fake_requests
            assert set(live(served(api))) == {
                ("com.example/good", "1.0.0"),
                ("com.example/test-tool", "1.0.0"),
                ("com.spam/ads", "1.0.0"),
            }
            explained = service.explain("com.spam/ads")
            assert explained.versions[0].decision.allowed
            assert explained.served_from == "plain"


def test_local_entries_shadow_and_priority_decides_between_upstreams(mirror: Registry) -> None:
    from registrum.core.permissions import SYSTEM

    mirror.context.publish.publish(server_json("com.example/private", "1.0.0"), SYSTEM)
    with FakeOfficialRegistry() as low, FakeOfficialRegistry() as high:
        low.put("com.example/private", "9.9.9", description="From upstream.")
        low.put("com.example/shared", "1.0.0", description="low")
        low.put("com.example/shared", "1.1.0", description="low")
        high.put("com.example/shared", "2.0.0", description="high")
        service = mirror.context.mirror
        service.add("low", low.url, "official", priority=1)
        service.add("high", high.url, "official", priority=10)
        service.sync("low")
        service.sync("high")
        with TestClient(create_app(mirror.context)) as api:
            state = live(served(api))
            # The local server shadows the upstream's entry of the same name.
            assert [k for k in state if k[0] == "com.example/private"] == [
                ("com.example/private", "1.0.0")
            ]
            # The whole entry comes from the higher priority: no mixing of histories.
            assert [k for k in state if k[0] == "com.example/shared"] == [
                ("com.example/shared", "2.0.0")
            ]
            # Removing the higher one hands the name to the lower one.
            # (its 2.0.0 becomes a tombstone; low's two versions are served)
            assert service.remove("high") == 3
            state = live(served(api))
            assert sorted(k for k in state if k[0] == "com.example/shared") == [
                ("com.example/shared", "1.0.0"),
                ("com.example/shared", "1.1.0"),
            ]


def test_a_dump_file_and_its_tombstones(mirror: Registry, tmp_path: Path) -> None:
    dump = tmp_path / "dump.json"
    docs = [server_json(f"com.example/d{i}", "1.0.0") for i in range(3)]
    dump.write_bytes(orjson.dumps(docs))
    service = mirror.context.mirror
    service.add("dump", str(dump), "file")
    assert service.sync("dump").changed == 3
    assert service.sync("dump").fetched == 0  # unchanged: not even parsed again
    dump.write_bytes(orjson.dumps(docs[:2]))
    assert service.sync("dump").changed == 1
    with TestClient(create_app(mirror.context)) as api:
        state = served(api)
        assert state[("com.example/d2", "1.0.0")][1] == "deleted"
        assert set(live(state)) == {("com.example/d0", "1.0.0"), ("com.example/d1", "1.0.0")}


def test_a_chain_of_three(
    upstream: Upstream, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """root -> mirror A (a real `registrum serve`) -> mirror B: B serves root's entries."""
    tag = "chain"
    upstream.publish(f"{tag}-x", "1.0.0")
    upstream.publish(f"{tag}-x", "2.0.0")
    folder = tmp_path / "a"
    folder.mkdir()
    env = {**SERVE_ENV, "MCP_REGISTRY_MIRROR_SYNC": "false"}
    new_registry(folder, env)
    r = run_cli("mirror", "add", "root", upstream.base, cwd=folder, env=env)
    assert r.returncode == 0, r.stderr
    assert "(registrum," in r.stdout  # found out from the URL
    r = run_cli("mirror", "sync", "--quiet", cwd=folder, env=env)
    assert r.returncode == 0, r.stderr
    with serving(folder, env) as (a_base, _):
        b = mirror_registry(tmp_path, "b")
        try:
            b.context.mirror.add("a", a_base, "registrum")
            b.context.mirror.sync("a")
            with TestClient(create_app(b.context)) as api:
                assert live(served(api)) == live(upstream.state())
                item = api.get(f"/v0.1/servers/{enc(f'{ANON}/{tag}-x')}/versions/latest").json()
                assert item["server"]["version"] == "2.0.0"
                assert item["_meta"][wire.REGISTRUM_META]["source"]["upstream"] == "a"
        finally:
            b.close()


def _sync_until(
    folder: Path, env: dict[str, str], ready: Callable[[], bool]
) -> subprocess.Popen[bytes]:
    """`registrum mirror sync` in a process of its own, returned once ``ready()`` (or after
    a minute, or when it ends)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "registrum", "mirror", "sync", "--quiet"],
        cwd=folder,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not ready() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    return proc


def test_killing_a_sync_midway_then_resuming_gives_exactly_the_upstream(tmp_path: Path) -> None:
    with FakeOfficialRegistry() as fake:
        for i in range(3000):
            fake.put(f"com.example/k{i:04d}", "1.0.0")
        folder = tmp_path / "m"
        folder.mkdir()
        env = {**SERVE_ENV, "MCP_REGISTRY_MIRROR_SYNC": "false"}
        new_registry(folder, env)
        assert (
            run_cli(
                "mirror", "add", "big", fake.url, "--kind", "official", cwd=folder, env=env
            ).returncode
            == 0
        )
        # Kill it once some pages are in, before the end.
        proc = _sync_until(folder, env, lambda: len(fake.requests) >= 8)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = build(Settings(data_dir=folder / "registrum-data", jwt_private_key=TEST_SEED))
        try:
            # Killed in the middle of the walk: some pages are in, the walk is not done.
            checkpoint = orjson.loads(partial.context.mirror.get("big").checkpoint)
            assert checkpoint["phase"] == "walk"
            assert 0 < checkpoint["done"] < 3000
        finally:
            partial.close()
        r = run_cli("mirror", "sync", "--quiet", cwd=folder, env=env)
        assert r.returncode == 0, r.stderr
        registry = build(Settings(data_dir=folder / "registrum-data", jwt_private_key=TEST_SEED))
        try:
            with TestClient(create_app(registry.context)) as api:
                state = served(api)
        finally:
            registry.close()
        expected = {
            (item["server"]["name"], item["server"]["version"]): (
                orjson.dumps(item["server"]).decode(),
                "active",
            )
            for item in fake.entries.values()
        }
        assert state == expected  # no duplicates, nothing missing


def test_serve_runs_syncs_on_schedule(upstream: Upstream, tmp_path: Path) -> None:
    upstream.publish("scheduled", "1.0.0")
    folder = tmp_path / "s"
    folder.mkdir()
    new_registry(folder, SERVE_ENV)
    r = run_cli(
        "mirror", "add", "root", upstream.base, "--interval", "10s", cwd=folder, env=SERVE_ENV
    )
    assert r.returncode == 0, r.stderr
    with serving(folder, SERVE_ENV) as (base, _):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = httpx.get(f"{base}/v0.1/servers/{enc(f'{ANON}/scheduled')}/versions/latest")
            if got.status_code == 200:
                break
            time.sleep(0.2)
        assert got.status_code == 200
        r = run_cli("mirror", "list", cwd=folder, env=SERVE_ENV)
        assert "root" in r.stdout


def test_the_policy_file_is_reapplied_when_it_changes(tmp_path: Path) -> None:
    """`serve` with MCP_REGISTRY_POLICY_FILE: editing the file changes what is served, with
    no new download; `registrum policy explain` says why."""
    with FakeOfficialRegistry() as fake:
        fake.put("com.example/keep", "1.0.0")
        fake.put("com.example/test-thing", "1.0.0")
        folder = tmp_path / "p"
        folder.mkdir()
        policy = folder / "policy.toml"
        policy.write_text('default = "allow"\n')
        env = {
            **SERVE_ENV,
            "MCP_REGISTRY_POLICY_FILE": str(policy),
            "MCP_REGISTRY_MIRROR_SYNC": "false",
        }
        new_registry(folder, env)
        assert run_cli("mirror", "add", "plain", fake.url, cwd=folder, env=env).returncode == 0
        assert run_cli("mirror", "sync", "-q", cwd=folder, env=env).returncode == 0
        with serving(folder, env) as (base, _):
            http = httpx.Client(base_url=base)
            assert len(live(served(http))) == 2
            requests = len(fake.requests)
            policy.write_text('[[rule]]\naction = "deny"\nnote = "no tests"\nname = "*/test-*"\n')
            deadline = time.monotonic() + 30
            while len(live(served(http))) != 1 and time.monotonic() < deadline:
                time.sleep(0.3)
            assert set(live(served(http))) == {("com.example/keep", "1.0.0")}
            assert len(fake.requests) == requests  # nothing downloaded again
            http.close()
        r = run_cli("policy", "explain", "com.example/test-thing", cwd=folder, env=env)
        assert r.returncode == 0, r.stderr
        assert 'denied by rule 1 ("no tests")' in r.stdout
        assert "plain 1.0.0" in r.stdout
        bad = folder / "bad.toml"
        bad.write_text('[[rule]]\naction = "block"\n')
        r = run_cli("policy", "check", str(bad), cwd=folder, env=env)
        assert r.returncode == 2
        assert 'action must be "allow" or "deny", not "block"' in r.stderr


def test_the_publish_section_limits_local_publishing(tmp_path: Path) -> None:
    from registrum.core.permissions import SYSTEM

    policy = tmp_path / "policy.toml"
    policy.write_text('[publish]\nallow = ["com.example/*"]\n')
    registry = mirror_registry(tmp_path, policy_file=str(policy))
    try:
        token = registry.context.tokens.issue(SYSTEM)[0]
        with TestClient(create_app(registry.context)) as api:
            headers = {"Authorization": f"Bearer {token}"}
            ok = api.post("/v0.1/publish", json=server_json("com.example/tools"), headers=headers)
            assert ok.status_code == 200, ok.text
            refused = api.post(
                "/v0.1/publish", json=server_json("io.github.alice/tools"), headers=headers
            )
            assert refused.status_code == 403
            detail = refused.json()["detail"]
            assert "does not take local publishes of 'io.github.alice/tools'" in detail
            assert '"com.example/*"' in detail
            assert api.get("/v0.1/servers").json()["metadata"]["count"] == 1
    finally:
        registry.close()


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(p) for p in text)
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited, waiting for init to reap it


def test_a_long_feed_read_in_a_child_survives_a_kill_and_resumes_exactly(
    tmp_path: Path,
) -> None:
    """A backlog longer than CHILD_BACKLOG is read in a child process: killing the sync
    leaves no reader behind, and resuming ends with every entry exactly once."""
    from registrum.upstream.readers import CHILD_BACKLOG, FEED_PAGE
    from tests.fakes.change_feed import FakeChangeFeed

    total = CHILD_BACKLOG + 5 * FEED_PAGE
    with FakeChangeFeed(range(1, total + 1)) as feed:
        folder = tmp_path / "m"
        folder.mkdir()
        env = {**SERVE_ENV, "MCP_REGISTRY_MIRROR_SYNC": "false"}
        new_registry(folder, env)
        r = run_cli("mirror", "add", "feed", feed.url, "--kind", "registrum", cwd=folder, env=env)
        assert r.returncode == 0, r.stderr
        proc = _sync_until(folder, env, lambda: len(feed.requests) >= 6)
        readers = _children(proc.pid)
        assert readers, "the backlog is read in a child process"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 15
        while not all(_gone(p) for p in readers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(_gone(p) for p in readers), "the reader stops when its sync is killed"
        r = run_cli("mirror", "sync", "--quiet", cwd=folder, env=env)
        assert r.returncode == 0, r.stderr
    registry = build(Settings(data_dir=folder / "registrum-data", jwt_private_key=TEST_SEED))
    try:
        with TestClient(create_app(registry.context)) as api:
            state = served(api)
    finally:
        registry.close()
    assert sorted(state) == [(f"com.example/feed-{s:05d}", "1.0.0") for s in range(1, total + 1)]
