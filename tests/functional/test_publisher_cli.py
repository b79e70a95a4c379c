"""The publisher verbs as a user runs them: the real ``registrum`` command against a real
``registrum serve``, with the user's config folder in a temporary directory."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from registrum.client import SigningKey
from registrum.core.permissions import Action, Permission, Principal
from registrum.services.tokens import TokenService
from tests.conftest import TEST_SEED
from tests.factories import ANON, enc, npm_package, official, server_json
from tests.fakes.dns import FakeDns
from tests.fakes.dns import fake_dns as fake_dns
from tests.fakes.github import FakeGitHub
from tests.fakes.https import FakeHttps
from tests.fakes.https import fake_https as fake_https
from tests.fakes.loopback import LoopbackServer, Reply, Request
from tests.fakes.oidc import FakeOIDCIssuer
from tests.processes import free_port, run_cli, serving

pytestmark = pytest.mark.slow

NAME = f"{ANON}/weather"
CLI_VERBS = ("init", "login", "keygen", "logout", "publish", "status")
LOGIN_METHODS = ("none", "dns", "http", "github", "github-oidc", "oidc")


class User:
    """One user's shell: a home and config folder of their own, a project folder."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.config = root / "config"
        self.project = root / "project"
        for folder in (self.home, self.project):
            folder.mkdir(parents=True, exist_ok=True)
        self.env = {"HOME": str(self.home), "XDG_CONFIG_HOME": str(self.config)}

    @property
    def credentials(self) -> Path:
        return self.config / "registrum" / "credentials.json"

    def run(self, *args: str, stdin: str | None = None, cwd: Path | None = None) -> Any:
        return run_cli(*args, cwd=cwd or self.project, env=self.env, stdin=stdin)

    def ok(self, *args: str, cwd: Path | None = None) -> Any:
        result = self.run(*args, cwd=cwd)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def write(self, doc: dict[str, Any], name: str = "server.json") -> Path:
        path = self.project / name
        path.write_text(json.dumps(doc))
        return path


@pytest.fixture
def user(tmp_path: Path) -> User:
    return User(tmp_path)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("cli-registry")
    env = {"MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED, "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true"}
    with serving(folder, env) as (url, _):
        yield url


def read_back(registry: str, name: str, version: str) -> dict[str, Any]:
    r = httpx.get(f"{registry}/v0.1/servers/{enc(name)}/versions/{enc(version)}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stdout + result.stderr


# --- the whole path ---------------------------------------------------------------------------


def test_login_none_publish_status_then_read_back(user: User, registry: str) -> None:
    name = f"{ANON}/cli-flow"
    login = user.ok("login", "none", "--registry", registry)
    assert f"logged in to {registry} with none" in login.stdout
    assert f"publish {ANON}/*" in login.stdout

    user.write(server_json(name=name, version="1.0.0"))
    published = user.ok("publish", "--registry", registry)
    assert f"published {name} 1.0.0 to {registry}" in published.stdout
    assert "latest version" in published.stdout

    changed = user.ok(
        "status", name, "1.0.0", "--status", "deprecated", "--message", "use 2.0.0",
        "--registry", registry,
    )  # fmt: skip
    assert f"{name} 1.0.0 is now deprecated" in changed.stdout
    meta = official(read_back(registry, name, "1.0.0"))
    assert (meta["status"], meta["statusMessage"]) == ("deprecated", "use 2.0.0")

    user.write(server_json(name=name, version="2.0.0"), "v2.json")
    user.ok("publish", "v2.json", "--registry", registry)
    every = user.ok(
        "status", name, "--all-versions", "--status", "deleted", "--yes", "--registry", registry
    )
    assert f"2 versions of {name} set to deleted" in every.stdout
    gone = httpx.get(f"{registry}/v0.1/servers/{enc(name)}/versions/latest")
    assert gone.status_code == 404
    deleted = httpx.get(
        f"{registry}/v0.1/servers/{enc(name)}/versions/2.0.0", params={"include_deleted": "true"}
    )
    assert official(deleted.json())["status"] == "deleted"


def test_credentials_are_kept_per_registry_with_mode_0600(user: User, registry: str) -> None:
    user.ok("login", "none", "--registry", registry + "/")
    path = user.credentials
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())["registries"]
    assert list(stored) == [registry]
    entry = stored[registry]
    assert entry["method"] == "none"
    assert entry["login"] == f"registrum login none --registry {registry}"
    assert entry["expires_at"] > datetime.now(UTC).timestamp()
    # The same registry spelled with its API version is the same login.
    user.write(server_json(name=f"{ANON}/cli-mode"))
    user.ok("publish", "--registry", f"{registry}/v0.1")


def test_logout_forgets_the_login(user: User, registry: str) -> None:
    user.ok("login", "none", "--registry", registry)
    out = user.ok("logout", "--registry", registry)
    assert f"logged out of {registry}" in out.stdout
    assert not user.credentials.exists()
    again = user.ok("logout", "--registry", registry)
    assert "you were not logged in" in again.stdout
    user.write(server_json(name=f"{ANON}/cli-logout"))
    refused = user.run("publish", "--registry", registry)
    assert refused.returncode == 1
    assert f"you are not logged in to {registry}: run `registrum login <method>" in refused.stderr
    no_traceback(refused)


# --- failures: one line each, what to do next, exit 1 ----------------------------------------


def test_an_expired_login_says_to_log_in_again(user: User, registry: str) -> None:
    user.ok("login", "none", "--registry", registry)
    principal = Principal("none", "anonymous", (Permission(Action.PUBLISH, f"{ANON}/*"),))
    past = datetime.now(UTC) - timedelta(hours=1)
    expired, expires_at = TokenService(bytes.fromhex(TEST_SEED)).issue(principal, now=past)
    data = json.loads(user.credentials.read_text())
    data["registries"][registry].update(token=expired, expires_at=expires_at)
    user.credentials.write_text(json.dumps(data))
    user.write(server_json(name=f"{ANON}/cli-expired"))
    for args in (("publish",), ("status", NAME, "1.0.0", "--status", "deprecated")):
        result = user.run(*args, "--registry", registry)
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"error: your login for {registry} has expired: run "
            f"`registrum login none --registry {registry}` again"
        )
        no_traceback(result)


def test_a_token_the_registry_refuses_says_to_log_in_again(user: User, registry: str) -> None:
    user.ok("login", "none", "--registry", registry)
    principal = Principal("none", "anonymous", (Permission(Action.PUBLISH, f"{ANON}/*"),))
    forged, _ = TokenService(b"\x22" * 32).issue(principal)
    data = json.loads(user.credentials.read_text())
    data["registries"][registry]["token"] = forged
    user.credentials.write_text(json.dumps(data))
    user.write(server_json(name=f"{ANON}/cli-forged"))
    result = user.run("publish", "--registry", registry)
    assert result.returncode == 1
    assert (
        f"{registry} did not accept your login (Invalid or expired Registry JWT token): "
        f"run `registrum login none --registry {registry}` again"
    ) in result.stderr
    no_traceback(result)


def test_publish_checks_locally_and_prints_every_problem(user: User, registry: str) -> None:
    doc = server_json(
        name="bad name",
        description="x" * 101,
        packages=[npm_package(version="latest")],
    )
    user.write(doc)
    # Not even logged in: the document's problems come first, and nothing is sent.
    result = user.run("publish", "--registry", registry)
    assert result.returncode == 1
    for where in ("name:", "description:", "packages[0].version:"):
        assert where in result.stderr, result.stderr
    assert "3 problems to fix; nothing was sent" in result.stderr
    (user.project / "server.json").write_text("{ nope")
    broken = user.run("publish", "--registry", registry)
    assert broken.returncode == 1
    assert "not valid JSON" in broken.stderr
    missing = user.run("publish", "other.json", "--registry", registry)
    assert missing.returncode == 1
    assert "other.json: no such file; write one with `registrum init`" in missing.stderr


def test_publish_outside_the_login_namespace_explains(user: User, registry: str) -> None:
    user.ok("login", "none", "--registry", registry)
    user.write(server_json(name="io.github.alice/weather"))
    result = user.run("publish", "--registry", registry)
    assert result.returncode == 1
    assert "You do not have permission to publish this server" in result.stderr
    assert f"your none login covers {ANON}/*, not io.github.alice/weather" in result.stderr


def test_publishing_the_same_version_twice_is_one_line(user: User, registry: str) -> None:
    user.ok("login", "none", "--registry", registry)
    user.write(server_json(name=f"{ANON}/cli-twice"))
    user.ok("publish", "--registry", registry)
    again = user.run("publish", "--registry", registry)
    assert again.returncode == 1
    assert again.stderr.startswith("error: the registry answered 400 Bad Request: ")
    assert "duplicate version" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_a_422_from_another_registry_prints_each_error(user: User) -> None:
    """A registry stricter than our local checks: its errors[] are printed one by one."""
    seen: list[str] = []

    def other_registry(req: Request) -> Reply:
        seen.append(f"{req.method} {req.path}")
        if req.path == "/v0.1/auth/none":
            return Reply.json({"registry_token": "opaque", "expires_at": 4102444800})
        problem = {
            "title": "Unprocessable Entity",
            "status": 422,
            "detail": "validation failed",
            "errors": [
                {"message": "package not found upstream", "location": "body.packages[0]"},
                {"message": "repository is unreachable", "location": "body.repository.url"},
            ],
        }
        return Reply.json(problem, 422, {"Content-Type": "application/problem+json"})

    with LoopbackServer(other_registry) as server:
        user.ok("login", "none", "--registry", server.url)
        user.write(server_json(name=f"{ANON}/strict", packages=[npm_package()]))
        result = user.run("publish", "--registry", server.url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[:2] == [
        "✗ body.packages[0]: package not found upstream",
        "✗ body.repository.url: repository is unreachable",
    ]
    assert lines[2] == ("error: the registry answered 422 Unprocessable Entity: validation failed")
    assert seen == ["POST /v0.1/auth/none", "POST /v0.1/publish"]


def test_an_unreachable_registry_is_one_line(user: User, registry: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    login = user.run("login", "none", "--registry", dead)
    assert login.returncode == 1
    assert login.stderr.startswith(f"error: cannot reach {dead}: cannot connect")
    assert f"is the registry running, and is --registry {dead} right?" in login.stderr
    no_traceback(login)
    # A login kept for a registry that has since gone away.
    user.ok("login", "none", "--registry", registry)
    data = json.loads(user.credentials.read_text())
    data["registries"][dead] = data["registries"][registry]
    user.credentials.write_text(json.dumps(data))
    user.write(server_json(name=f"{ANON}/cli-dead"))
    publish = user.run("publish", "--registry", dead)
    assert publish.returncode == 1
    assert f"error: cannot reach {dead}" in publish.stderr
    assert len(publish.stderr.strip().splitlines()) == 1
    bad_url = user.run("login", "none", "--registry", "registry.example.com")
    assert bad_url.returncode == 1
    assert "must start with http:// or https://" in bad_url.stderr


def test_status_refuses_unclear_requests(user: User, registry: str) -> None:
    cases = {
        ("status", NAME, "--status", "deprecated"): "give the version to change",
        ("status", NAME, "1.0.0", "--all-versions", "--status", "deleted"): "not both",
        ("status", NAME, "1.0.0", "--status", "active", "--message", "m"): (
            "--message cannot be given with --status active"
        ),
        ("status", NAME, "1.0.0"): "say which status with --status",
    }
    for args, message in cases.items():
        result = user.run(*args, "--registry", registry)
        assert result.returncode == 1, args
        assert message in result.stderr, (args, result.stderr)
    bad = user.run("status", NAME, "1.0.0", "--status", "archived")
    assert bad.returncode == 2
    user.ok("login", "none", "--registry", registry)
    unconfirmed = user.run(
        "status", NAME, "--all-versions", "--status", "deleted", "--registry", registry
    )
    assert unconfirmed.returncode == 1
    assert "add --yes to confirm" in unconfirmed.stderr
    missing = user.run("status", f"{ANON}/nothing-here", "1.0.0", "--status", "deleted",
                       "--registry", registry)  # fmt: skip
    assert missing.returncode == 1
    assert "404 Not Found" in missing.stderr
    assert "check the name and version against" in missing.stderr


def test_login_methods_the_registry_lacks_are_named(user: User, registry: str) -> None:
    result = user.run("login", "oidc", "--token", "x.y.z", "--registry", registry)
    assert result.returncode == 1
    assert f"{registry} does not offer the `oidc` login" in result.stderr
    github = user.run("login", "github", "--registry", registry)
    assert github.returncode == 1
    assert "does not offer GitHub login: its /health shows no github_client_id" in github.stderr
    actions = user.run("login", "github-oidc", "--registry", registry)
    assert actions.returncode == 1
    assert "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set" in (
        actions.stderr
    )
    no_key = user.run(
        "login", "dns", "--domain", "example.com", "--private-key-file", "nope.pem",
        "--registry", registry,
    )  # fmt: skip
    assert no_key.returncode == 1
    assert "cannot read the private key file nope.pem" in no_key.stderr
    assert "registrum keygen --out FILE --domain example.com" in no_key.stderr


def test_every_verb_has_help(user: User) -> None:
    for verb in CLI_VERBS:
        result = user.ok(verb, "--help")
        assert f"{verb} [OPTIONS]" in result.stdout
    for method in LOGIN_METHODS:
        result = user.ok("login", method, "--help")
        assert "--registry" in result.stdout


# --- keygen -------------------------------------------------------------------------------


@pytest.mark.parametrize(("algorithm", "size"), [("ed25519", 32), ("ecdsap384", 49)])
def test_keygen_writes_a_private_key_and_prints_the_records(
    user: User, algorithm: str, size: int
) -> None:
    out = user.ok(
        "keygen", "--algorithm", algorithm, "--out", "key.pem", "--domain", "example.com"
    ).stdout
    key_file = user.project / "key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    lines = out.splitlines()
    record = lines[lines.index("Public key record:") + 1].strip()
    assert record.startswith(f"v=MCPv1; k={algorithm}; p=")
    public = base64.b64decode(record.rsplit("p=", 1)[1], validate=True)
    assert len(public) == size
    assert f'  example.com. IN TXT "{record}"' in lines
    well_known = "For `registrum login http`, serve this text at "
    assert f"{well_known}https://example.com/.well-known/mcp-registry-auth:" in lines
    assert lines[
        lines.index(f"{well_known}https://example.com/.well-known/mcp-registry-auth:") + 1
    ] == (f"  {record}")
    assert "  registrum login dns --domain example.com --private-key-file key.pem" in lines
    # The key file holds the private half of exactly that record.
    assert SigningKey.load(key_file).public_record() == record

    again = user.run("keygen", "--out", "key.pem")
    assert again.returncode == 1
    assert "key.pem already exists" in again.stderr
    assert SigningKey.load(key_file).public_record() == record
    user.ok("keygen", "--out", "key.pem", "--force")
    assert SigningKey.load(key_file).public_record() != record
    bad = user.run("keygen", "--out", "k2.pem", "--domain", "not a domain")
    assert bad.returncode == 1
    assert not (user.project / "k2.pem").exists()


# --- init ---------------------------------------------------------------------------------


def git(folder: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, env=env)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_init_reads_the_project_folder(user: User) -> None:
    folder = user.project
    (folder / "package.json").write_text(
        json.dumps(
            {"name": "@alice/weather-mcp", "version": "1.2.3", "description": "Weather for MCP."}
        )
    )
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "weather-mcp"\nversion = "1.2.3"\ndescription = "Weather (py)."\n'
    )
    (folder / "Dockerfile").write_text("FROM scratch\n")
    git(folder, "init", "-q")
    git(folder, "remote", "add", "origin", "git@github.com:alice/weather.git")

    result = user.ok("init")
    doc = json.loads((folder / "server.json").read_text())
    assert doc == {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
        "name": "io.github.alice/weather",
        "description": "Weather for MCP.",
        "repository": {"url": "https://github.com/alice/weather", "source": "github"},
        "version": "1.2.3",
        "packages": [
            {
                "registryType": "npm",
                "identifier": "@alice/weather-mcp",
                "version": "1.2.3",
                "runtimeHint": "npx",
                "transport": {"type": "stdio"},
            },
            {
                "registryType": "pypi",
                "identifier": "weather-mcp",
                "version": "1.2.3",
                "runtimeHint": "uvx",
                "transport": {"type": "stdio"},
            },
            {
                "registryType": "oci",
                "identifier": "ghcr.io/alice/weather:1.2.3",
                "runtimeHint": "docker",
                "transport": {"type": "stdio"},
            },
        ],
    }
    out = result.stdout
    assert "wrote server.json for io.github.alice/weather 1.2.3" in out
    for hint in (
        '"mcpName": "io.github.alice/weather"',
        "mcp-name: io.github.alice/weather",
        'LABEL io.modelcontextprotocol.server.name="io.github.alice/weather"',
    ):
        assert hint in out, out
    user.ok("validate")

    before = (folder / "server.json").read_text()
    refused = user.run("init")
    assert refused.returncode == 1
    assert "server.json already exists" in refused.stderr
    assert (folder / "server.json").read_text() == before
    # The name the npm package declares wins over the one the remote implies.
    package = json.loads((folder / "package.json").read_text())
    package["mcpName"] = "io.github.alice/weather-npm"
    (folder / "package.json").write_text(json.dumps(package))
    user.ok("init", "--force")
    assert json.loads((folder / "server.json").read_text())["name"] == (
        "io.github.alice/weather-npm"
    )


def test_init_in_an_empty_folder_lists_what_to_fill_in(user: User) -> None:
    result = user.ok("init")
    doc = json.loads((user.project / "server.json").read_text())
    assert doc["name"] == "io.github.<your-github-login>/project"
    assert doc["version"] == "1.0.0"
    assert "packages" not in doc
    out = result.stdout
    assert "Fill in or check before publishing:" in out
    for hint in ("name: replace <your-github-login>", "description:", "version:", "remotes"):
        assert hint in out, out
    # What is left to fill in is exactly what validation flags.
    check = user.run("validate")
    assert check.returncode == 1
    assert "name:" in check.stdout
    assert "description:" in check.stdout


# --- end to end through each login method, against the fakes of the outside parties --------


@pytest.fixture
def world(tmp_path: Path, fake_dns: FakeDns, fake_https: FakeHttps) -> Iterator[World]:
    """A registry whose logins reach a fake GitHub, a GitHub Actions / OIDC issuer, a DNS
    server and an HTTPS site, all on 127.0.0.1."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with FakeGitHub() as github, FakeOIDCIssuer() as issuer:
        github.add_user("alice", orgs={"acme": "admin", "friends": "member"})
        env = {
            "MCP_REGISTRY_JWT_PRIVATE_KEY": TEST_SEED,
            "MCP_REGISTRY_DNS_RESOLVER": fake_dns.address,
            "MCP_REGISTRY_HTTP_AUTH_URL_TEMPLATE": fake_https.url_template,
            "MCP_REGISTRY_HTTP_AUTH_ALLOW_PRIVATE": "true",
            "MCP_REGISTRY_HTTP_AUTH_CA_BUNDLE": str(fake_https.ca_file),
            "MCP_REGISTRY_GITHUB_API_URL": github.url,
            "MCP_REGISTRY_GITHUB_CLIENT_ID": github.client_id,
            # What `login github-oidc` derives from --registry: its scheme and host.
            "MCP_REGISTRY_GITHUB_OIDC_AUDIENCE": base,
            "MCP_REGISTRY_GITHUB_OIDC_ISSUER": issuer.url,
            # The operators' identity provider: the same fake issuer, another audience.
            "MCP_REGISTRY_OIDC_ENABLED": "true",
            "MCP_REGISTRY_OIDC_ISSUER": issuer.url,
            "MCP_REGISTRY_OIDC_CLIENT_ID": OPERATORS,
            "MCP_REGISTRY_OIDC_EXTRA_CLAIMS": '[{"hd": "example.com"}]',
            "MCP_REGISTRY_OIDC_PUBLISH_PERMISSIONS": "*",
            "MCP_REGISTRY_OIDC_EDIT_PERMISSIONS": "*",
        }
        folder = tmp_path / "registry"
        folder.mkdir()
        with serving(folder, env, port=port) as (url, _):
            assert url == base
            yield World(url, fake_dns, fake_https, github, issuer)


OPERATORS = "registrum-operators"


@dataclass
class World:
    registry: str
    dns: FakeDns
    https: FakeHttps
    github: FakeGitHub
    issuer: FakeOIDCIssuer


def keygen_record(user: User, algorithm: str, domain: str = "example.com") -> str:
    out = user.ok("keygen", "--algorithm", algorithm, "--out", "key.pem", "--domain", domain)
    lines = out.stdout.splitlines()
    return lines[lines.index("Public key record:") + 1].strip()


def publish_then_deprecate(user: User, registry: str, name: str) -> None:
    """publish → status --status deprecated → read back through the API."""
    user.write(server_json(name=name, version="1.0.0"))
    published = user.ok("publish", "--registry", registry)
    assert f"published {name} 1.0.0" in published.stdout
    user.ok(
        "status", name, "1.0.0", "--status", "deprecated", "--message", "moved",
        "--registry", registry,
    )  # fmt: skip
    meta = official(read_back(registry, name, "1.0.0"))
    assert (meta["status"], meta["statusMessage"]) == ("deprecated", "moved")


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsap384"])
def test_keygen_dns_record_login_dns_publish_status(
    user: User, world: World, algorithm: str
) -> None:
    record = keygen_record(user, algorithm)
    world.dns.serve({"example.com": [record]})
    login = user.ok(
        "login", "dns", "--domain", "example.com", "--private-key-file", "key.pem",
        "--registry", world.registry,
    )  # fmt: skip
    assert "with dns as example.com" in login.stdout
    assert "publish com.example/*, publish com.example.*" in login.stdout
    publish_then_deprecate(user, world.registry, "com.example/weather")
    # DNS proof covers subdomain namespaces too.
    publish_then_deprecate(user, world.registry, "com.example.api/tools")
    stored = json.loads(user.credentials.read_text())["registries"][world.registry]
    key_path = str((user.project / "key.pem").resolve())
    assert stored["login"] == (
        f"registrum login dns --domain example.com --private-key-file {key_path} "
        f"--registry {world.registry}"
    )


def test_a_dns_record_of_another_key_is_refused_with_the_reason(user: User, world: World) -> None:
    other = SigningKey.generate().public_record()
    keygen_record(user, "ed25519")
    world.dns.serve({"example.com": [other]})
    result = user.run(
        "login", "dns", "--domain", "example.com", "--private-key-file", "key.pem",
        "--registry", world.registry,
    )  # fmt: skip
    assert result.returncode == 1
    assert "the registry answered 401 Unauthorized: DNS authentication failed" in result.stderr
    assert not user.credentials.exists()
    no_traceback(result)


@pytest.mark.parametrize("key_form", ["pem", "hex"])
def test_keygen_well_known_file_login_http_publish_status(
    user: User, world: World, key_form: str
) -> None:
    record = keygen_record(user, "ecdsap384")
    world.https.publish("example.com", record + "\n")
    key_file = "key.pem"
    if key_form == "hex":  # the form the official publisher's --private-key takes
        (user.project / "key.hex").write_text(
            SigningKey.load(user.project / "key.pem").private_hex()
        )
        key_file = "key.hex"
    login = user.ok(
        "login", "http", "--domain", "example.com", "--private-key-file", key_file,
        "--algorithm", "ecdsap384", "--registry", world.registry,
    )  # fmt: skip
    assert "with http as example.com" in login.stdout
    assert "publish com.example/*" in login.stdout
    assert "com.example.*" not in login.stdout
    publish_then_deprecate(user, world.registry, "com.example/weather")
    refused = user.run(
        "login", "http", "--domain", "example.com", "--private-key-file", key_file,
        "--algorithm", "ed25519", "--registry", world.registry,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "but --algorithm is ed25519" in refused.stderr


def test_login_github_device_flow_publish_status(user: User, world: World) -> None:
    gh = world.github
    proc = subprocess.Popen(
        [sys.executable, "-m", "registrum", "login", "github", "--registry", world.registry,
         "--github-url", gh.url],
        cwd=user.project,
        env={**os.environ, **user.env, "NO_COLOR": "1", "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        code = gh.wait_for_device_code(timeout=30)
        assert code.scope == "read:org read:user"
        gh.slow_down(code.user_code)  # the next poll says slow_down: the CLI must wait longer
        gh.approve("alice", code.user_code)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out + err
    assert f"1. open {gh.url}/login/device" in out
    assert f"2. enter the code {code.user_code}" in out
    assert "with github as alice" in out
    assert "publish io.github.alice/*, publish io.github.acme/*" in out
    assert "io.github.friends" not in out  # a member, not an owner
    polls = [r for r in gh.requests if r.path == "/login/oauth/access_token"]
    assert 2 <= len(polls) <= 4
    publish_then_deprecate(user, world.registry, "io.github.acme/weather")


def test_login_github_with_a_token_skips_the_device_flow(user: User, world: World) -> None:
    token = world.github.add_user("bob")
    login = user.ok(
        "login", "github", "--token", token, "--registry", world.registry,
        "--github-url", world.github.url,
    )  # fmt: skip
    assert "with github as bob" in login.stdout
    assert not world.github.device_codes
    unreachable = user.run(
        "login", "github", "--registry", world.registry, "--github-url", "http://127.0.0.1:9"
    )
    assert unreachable.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in unreachable.stderr
    no_traceback(unreachable)


def test_login_github_oidc_in_actions_publish_status(user: User, world: World) -> None:
    actions = world.issuer.actions_env(world.issuer.github_actions_claims("octo-org"))
    user.env.update(actions)
    login = user.ok("login", "github-oidc", "--registry", world.registry)
    assert "with github-oidc as repo:octo-org/server:ref:refs/heads/main" in login.stdout
    assert "publish io.github.octo-org/*" in login.stdout
    (asked,) = [r for r in world.issuer.requests if r.path == "/_actions/idtoken"]
    assert asked.query_one("audience") == world.registry
    publish_then_deprecate(user, world.registry, "io.github.octo-org/weather")
    wrong = user.run("login", "github-oidc", "--audience", "mcp-registry",
                     "--registry", world.registry)  # fmt: skip
    assert wrong.returncode == 1
    assert "401 Unauthorized" in wrong.stderr


def test_login_oidc_as_an_operator_publish_status_and_edit(user: User, world: World) -> None:
    id_token = world.issuer.mint({"sub": "ops-1", "hd": "example.com"}, aud=OPERATORS)
    login = user.ok("login", "oidc", "--token", id_token, "--registry", world.registry)
    assert "with oidc as ops-1" in login.stdout
    # An operator may publish anywhere and change any status.
    publish_then_deprecate(user, world.registry, "com.example.partner/tools")
    # ... and edit: the admin PUT, with the token the CLI stored.
    entry = json.loads(user.credentials.read_text())["registries"][world.registry]
    edited = server_json(name="com.example.partner/tools", version="1.0.0", description="Edited.")
    r = httpx.put(
        f"{world.registry}/v0.1/servers/com.example.partner%2Ftools/versions/1.0.0",
        json=edited,
        headers={"Authorization": f"Bearer {entry['token']}"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["server"]["description"] == "Edited."
    # A token from another domain does not meet the extra-claim rule.
    outsider = world.issuer.mint({"sub": "x", "hd": "elsewhere.example"}, aud=OPERATORS)
    refused = user.run("login", "oidc", "--token", outsider, "--registry", world.registry)
    assert refused.returncode == 1
    assert "401 Unauthorized" in refused.stderr
