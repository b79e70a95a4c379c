"""``registrum changes``, ``rename`` and ``transfer`` as a user runs them: the real command
against a real ``registrum serve``, each user with config and cache folders of their own."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from registrum.client import RegistryClient
from registrum.core.permissions import Action, Permission, Principal
from registrum.services.tokens import TokenService
from tests.conftest import TEST_SEED
from tests.factories import ANON, enc, server_json
from tests.fakes.loopback import LoopbackServer, Reply, Request
from tests.functional.test_publisher_cli import User, no_traceback
from tests.processes import serving

pytestmark = pytest.mark.slow

ORG = "org.example"


class Served:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def not_modified(self, path: str) -> int:
        """How many times the registry answered ``GET path...`` with 304, by its access log."""
        pattern = re.compile(rf'"GET {re.escape(path)}\S* HTTP/1.1" 304')
        return len(pattern.findall(self.log.read_text()))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("changes-cli-registry")
    env = {"MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED, "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true"}
    with serving(folder, env) as (url, log):
        yield Served(url, log)


@pytest.fixture
def registry(served: Served) -> str:
    return served.url


class CachedUser(User):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.cache = root / "cache"
        self.env["XDG_CACHE_HOME"] = str(self.cache)


@pytest.fixture
def user(tmp_path: Path) -> CachedUser:
    return CachedUser(tmp_path / "alice")


@pytest.fixture
def org_user(tmp_path: Path, registry: str) -> CachedUser:
    """Someone whose login covers org.example/* (a token as a DNS login for example.org gives,
    put where `registrum login` keeps it)."""
    other = CachedUser(tmp_path / "org")
    other.ok("login", "none", "--registry", registry)
    principal = Principal("dns", "example.org", (Permission(Action.PUBLISH, f"{ORG}/*"),))
    token, expires_at = TokenService(bytes.fromhex(TEST_SEED)).issue(principal)
    data = json.loads(other.credentials.read_text())
    data["registries"][registry].update(token=token, expires_at=expires_at, method="dns")
    other.credentials.write_text(json.dumps(data))
    return other


def publish(registry: str, name: str, *versions: str) -> None:
    with RegistryClient(registry) as client:
        client.login_none()
        for version in versions:
            client.publish(server_json(name=name, version=version))


def head(registry: str) -> int:
    with RegistryClient(registry) as client:
        return client.changes(limit=1).head


def one_error_line(result: Any) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return str(lines[0])


# --- rename ----------------------------------------------------------------------------------


def test_rename_moves_the_server_and_the_old_name_redirects(user: User, registry: str) -> None:
    old, new = f"{ANON}/cli-old", f"{ANON}/cli-new"
    publish(registry, old, "1.0.0", "1.1.0")
    user.ok("login", "none", "--registry", registry)
    result = user.ok("rename", old, new, "--registry", registry)
    assert f"✓ renamed {old} to {new}" in result.stdout
    assert "server id " in result.stdout
    r = httpx.get(f"{registry}/v0.1/servers/{enc(old)}/versions/1.0.0", follow_redirects=True)
    assert r.status_code == 200
    assert r.json()["server"]["name"] == new
    assert r.json()["_meta"]["io.registrum/registry"]["previousNames"] == [old]


def test_a_refused_rename_is_the_registrys_message(user: User, registry: str) -> None:
    name, taken = f"{ANON}/cli-refused", f"{ANON}/cli-taken"
    publish(registry, name, "1.0.0")
    publish(registry, taken, "1.0.0")
    user.ok("login", "none", "--registry", registry)
    foreign = one_error_line(user.run("rename", name, f"{ORG}/refused", "--registry", registry))
    assert foreign.startswith(
        "error: the registry answered 403 Forbidden: You do not have permission to publish "
        f"under '{ORG}/refused'"
    )
    assert foreign.endswith(
        f"`registrum transfer offer {name} {ORG}/refused --registry {registry}`"
    )
    conflict = one_error_line(user.run("rename", name, taken, "--registry", registry))
    assert conflict == (
        f"error: the registry answered 409 Conflict: '{taken}' is taken: another server has "
        "that name"
    )
    missing = one_error_line(user.run("rename", f"{ANON}/nobody", taken, "--registry", registry))
    assert "404 Not Found: Server not found" in missing
    logged_out = CachedUser(user.home.parent / "nobody")
    needs_login = one_error_line(logged_out.run("rename", name, taken, "--registry", registry))
    assert f"you are not logged in to {registry}" in needs_login


# --- transfer --------------------------------------------------------------------------------


def test_transfer_offer_show_and_accept(user: User, org_user: User, registry: str) -> None:
    name, new_name = f"{ANON}/cli-gift", f"{ORG}/cli-gift"
    publish(registry, name, "1.0.0")
    user.ok("login", "none", "--registry", registry)
    offered = user.ok("transfer", "offer", name, new_name, "--registry", registry)
    assert f"✓ offered {name} to the holder of {new_name}" in offered.stdout
    match = re.search(r"registrum transfer accept (\S+) --registry (\S+)", offered.stdout)
    assert match is not None, offered.stdout
    offer_id = match.group(1)
    assert match.group(2) == registry
    assert f"offer id  {offer_id}" in offered.stdout

    shown = user.ok("transfer", "show", offer_id, "--registry", registry)
    assert f"server     {name} -> {new_name}" in shown.stdout
    assert "offered by" not in shown.stdout
    assert "by none:anonymous" in shown.stdout
    assert "state      open until " in shown.stdout

    # The offering side may not accept its own offer for a name it does not hold.
    refused = one_error_line(user.run("transfer", "accept", offer_id, "--registry", registry))
    assert f"Only the holder of '{new_name}' can accept this transfer" in refused

    accepted = org_user.ok("transfer", "accept", offer_id, "--registry", registry)
    assert f"✓ accepted: {name} is now {new_name}" in accepted.stdout
    r = httpx.get(f"{registry}/v0.1/servers/{enc(new_name)}/versions/latest")
    assert r.status_code == 200
    assert r.json()["_meta"]["io.registrum/registry"]["previousNames"] == [name]

    after = user.ok("transfer", "show", offer_id, "--registry", registry)
    assert "state      accepted " in after.stdout
    assert "by dns:example.org" in after.stdout
    again = one_error_line(org_user.run("transfer", "accept", offer_id, "--registry", registry))
    assert "409 Conflict: This transfer was already accepted" in again
    unknown = one_error_line(user.run("transfer", "show", "no-such-offer", "--registry", registry))
    assert unknown == "error: the registry answered 404 Not Found: Transfer offer not found"


# --- changes ---------------------------------------------------------------------------------


def test_changes_lists_pages_and_prints_json(user: User, served: Served) -> None:
    registry = served.url
    start = head(registry)
    name = f"{ANON}/cli-feed"
    publish(registry, name, "1.0.0", "1.1.0")
    listed = user.ok("changes", "--since", str(start), "--registry", registry)
    lines = listed.stdout.splitlines()
    assert [line.split() for line in lines] == [
        [str(start + 1), "published", name, "1.0.0"],
        [str(start + 2), "published", name, "1.1.0"],
        [str(start + 3), "latest-moved", name, "1.0.0"],
    ]
    as_json = user.ok("changes", "--since", str(start), "--json", "--registry", registry)
    changes = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(c["seq"], c["kind"], c["version"]) for c in changes] == [
        (start + 1, "published", "1.0.0"),
        (start + 2, "published", "1.1.0"),
        (start + 3, "latest-moved", "1.0.0"),
    ]
    assert changes[0]["server"]["server"]["name"] == name
    paged = user.ok("changes", "--since", str(start), "--limit", "1", "--registry", registry)
    assert len(paged.stdout.splitlines()) == 1
    assert paged.stderr.strip() == (
        f"2 more: run `registrum changes --since {start + 1} --registry {registry}`"
    )
    nothing = user.ok("changes", "--since", str(start + 3), "--registry", registry)
    assert nothing.stdout == ""
    assert nothing.stderr.strip() == f"no changes after {start + 3} (the newest is {start + 3})"


def test_changes_revalidates_from_the_cache_folder(user: CachedUser, served: Served) -> None:
    registry = served.url
    since = str(head(registry))
    path = "/v0.1/x/io.registrum/changes"
    before = served.not_modified(path)
    user.ok("changes", "--since", since, "--registry", registry)
    kept = list((user.cache / "registrum" / "http").glob("*.http"))
    assert len(kept) == 1
    assert served.not_modified(path) == before
    # A new process asks again with the kept ETag; the registry answers 304.
    again = user.ok("changes", "--since", since, "--registry", registry)
    assert served.not_modified(path) == before + 1
    assert again.stderr.strip() == f"no changes after {since} (the newest is {since})"
    # After a write the same command gets the new changes (a 200, not the kept answer).
    publish(registry, f"{ANON}/cli-cache", "1.0.0")
    fresh = user.ok("changes", "--since", since, "--registry", registry)
    assert fresh.stdout.split()[1:4] == ["published", f"{ANON}/cli-cache", "1.0.0"]
    assert served.not_modified(path) == before + 1


def test_changes_follow_prints_new_changes_until_ctrl_c(user: User, registry: str) -> None:
    start = head(registry)
    name = f"{ANON}/cli-follow"
    publish(registry, name, "1.0.0")
    command = [sys.executable, "-m", "registrum", "changes", "--follow", "--since", str(start)]
    command += ["--interval", "0.2", "--limit", "1", "--registry", registry]
    proc = subprocess.Popen(
        command,
        cwd=user.project,
        env={**os.environ, **user.env, "COLUMNS": "200", "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As a terminal would: Ctrl-C interrupts (a background job would ignore it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().split()
        assert first == [str(start + 1), "published", name, "1.0.0"]
        publish(registry, name, "2.0.0")
        second = proc.stdout.readline().split()
        third = proc.stdout.readline().split()
        assert second == [str(start + 2), "published", name, "2.0.0"]
        assert third == [str(start + 3), "latest-moved", name, "1.0.0"]
        time.sleep(0.5)  # a few more polls, each caught up
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out == ""  # nothing more came, and nothing was printed twice
    assert "Traceback" not in err


def test_changes_from_a_registry_without_the_feed_is_one_line(user: User) -> None:
    def official_only(req: Request) -> Reply:
        return Reply.json({"title": "Not Found", "status": 404, "detail": "Not Found"}, 404)

    with LoopbackServer(official_only) as server:
        url = server.url
        result = user.run("changes", "--registry", url)
    assert one_error_line(result) == (
        f"error: the registry answered 404 Not Found: Not Found; does {url} offer Registrum's "
        "change feed?"
    )


def test_the_new_verbs_have_help(user: User) -> None:
    for args in (("rename",), ("changes",), ("transfer",), ("transfer", "offer")):
        result = user.ok(*args, "--help")
        assert f"{' '.join(args)} [OPTIONS]" in result.stdout
        assert "--registry" in result.stdout or args == ("transfer",)
    for verb in ("accept", "show"):
        assert "offer_id" in user.ok("transfer", verb, "--help").stdout
