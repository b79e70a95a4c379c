"""``registrum login <method>`` and ``registrum logout``: get, keep and drop registry tokens.

Each login proves a namespace to the registry and keeps the registry token it answers in the
credentials file (see :mod:`registrum.cli.credentials`), one per registry URL.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from registrum.cli.credentials import Credential, CredentialError
from registrum.cli.options import RegistryOption, registry_hint
from registrum.cli.output import fail, ok, say
from registrum.cli.session import open_client, registry_errors, store
from registrum.client import DEFAULT_REGISTRY, NotFoundError, SigningKeyError, Token
from registrum.client.github import (
    GITHUB_URL,
    DeviceFlow,
    actions_id_token,
    audience_for,
)
from registrum.client.signing import SigningKey

login_app = typer.Typer(
    name="login",
    help="Log in to a registry: prove a namespace and keep the token for publish and status."
    "\n\nTokens last minutes (5 on the official registry); log in again when one expires.",
    no_args_is_help=True,
)


class Algorithm(StrEnum):
    ed25519 = "ed25519"
    ecdsap384 = "ecdsap384"


DomainOption = Annotated[
    str, typer.Option("--domain", help="The domain to prove, such as example.com.")
]
KeyFileOption = Annotated[
    Path,
    typer.Option(
        "--private-key-file",
        help="The private key: a PEM file, or a file holding the key in hex (64 characters "
        "for Ed25519, 96 for ECDSA P-384). `registrum keygen` makes one.",
    ),
]
AlgorithmOption = Annotated[
    Algorithm | None,
    typer.Option("--algorithm", help="The key's algorithm; read from the key when not given."),
]


def _finish(registry: str, method: str, token: Token, login: str) -> None:
    try:
        store().save(Credential(registry, token.registry_token, method, token.expires_at, login))
    except CredentialError as exc:
        fail(str(exc))
    claims = token.claims
    subject = claims.get("auth_method_sub")
    who = f" as {subject}" if isinstance(subject, str) and subject else ""
    ok(f"logged in to {registry} with {method}{who}")
    grants = [f"{p.action} {p.resource}" for p in token.permissions]
    if grants:
        say(f"  you may: {', '.join(grants)}")
    expires = datetime.fromtimestamp(token.expires_at, UTC)
    minutes = max(0, round((expires - datetime.now(UTC)).total_seconds() / 60))
    say(
        f"  the token expires at {expires:%H:%M:%S} UTC (in about {minutes} minute"
        f"{'s' if minutes != 1 else ''}); then run `{login}` again"
    )


def _command(*parts: str, registry: str) -> str:
    return "registrum login " + " ".join(shlex.quote(p) for p in parts) + registry_hint(registry)


def _exchange(registry: str, method: str, call: Callable[[], Token]) -> Token:
    """Run one token exchange; a registry without the method gets a clear one-liner."""
    with registry_errors(registry):
        try:
            return call()
        except NotFoundError as exc:
            fail(
                f"{registry} does not offer the `{method}` login (its /auth/{method} answered "
                f"{exc.status}); ask its operator which login methods it has"
            )


@login_app.command("none")
def login_none(registry: RegistryOption = DEFAULT_REGISTRY) -> None:
    """Anonymous login, for local testing: io.modelcontextprotocol.anonymous/*.

    Only registries that enable anonymous publishing offer it.
    """
    client = open_client(registry)
    token = _exchange(registry, "none", client.login_none)
    _finish(registry, "none", token, _command("none", registry=registry))


def _domain_login(
    method: str, registry: str, domain: str, key_file: Path, algorithm: Algorithm | None
) -> None:
    try:
        key = SigningKey.load(key_file, algorithm.value if algorithm else None)
    except SigningKeyError as exc:
        fail(f"{exc}; make a key with `registrum keygen --out FILE --domain {domain}`")
    client = open_client(registry)
    login_call = client.login_dns if method == "dns" else client.login_http
    token = _exchange(registry, method, lambda: login_call(domain, key))
    login = _command(
        method,
        "--domain",
        domain,
        "--private-key-file",
        str(key_file.resolve()),
        registry=registry,
    )
    _finish(registry, method, token, login)


@login_app.command("dns")
def login_dns(
    domain: DomainOption,
    private_key_file: KeyFileOption,
    algorithm: AlgorithmOption = None,
    registry: RegistryOption = DEFAULT_REGISTRY,
) -> None:
    """Prove a domain by its DNS TXT record: com.example/* and com.example.*/*.

    Signs the current time with your key; the registry checks the signature against the
    domain's `v=MCPv1` TXT records. `registrum keygen` makes the key and the record.
    """
    _domain_login("dns", registry, domain, private_key_file, algorithm)


@login_app.command("http")
def login_http(
    domain: DomainOption,
    private_key_file: KeyFileOption,
    algorithm: AlgorithmOption = None,
    registry: RegistryOption = DEFAULT_REGISTRY,
) -> None:
    """Prove a domain by its HTTPS well-known file: com.example/*.

    Signs the current time with your key; the registry checks the signature against
    https://<domain>/.well-known/mcp-registry-auth. `registrum keygen` makes both.
    """
    _domain_login("http", registry, domain, private_key_file, algorithm)


@login_app.command("github")
def login_github(
    registry: RegistryOption = DEFAULT_REGISTRY,
    github_url: Annotated[
        str,
        typer.Option(
            "--github-url",
            envvar="REGISTRUM_GITHUB_URL",
            help="GitHub's base URL (GitHub Enterprise: your server's).",
        ),
    ] = GITHUB_URL,
    github_token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="MCP_GITHUB_TOKEN",
            help="A GitHub access token to use instead of the browser login.",
        ),
    ] = None,
) -> None:
    """Log in with your GitHub account: io.github.<you>/* and your organisations'.

    Shows a code to enter on GitHub and waits for you to approve (OAuth device flow).
    Organisations count when you are one of their owners.
    """
    client = open_client(registry)
    if not github_token:
        with registry_errors(registry):
            health = client.health()
        if not health.github_client_id:
            fail(
                f"{registry} does not offer GitHub login: its /health shows no "
                "github_client_id (the operator sets MCP_REGISTRY_GITHUB_CLIENT_ID)"
            )
        flow = DeviceFlow(health.github_client_id, github_url=github_url)
        with registry_errors(registry):
            try:
                code = flow.start()
                say("To log in with GitHub:")
                say(f"  1. open {code.verification_uri}")
                say(f"  2. enter the code {code.user_code}")
                minutes = max(1, code.expires_in // 60)
                say(f"Waiting for you to approve (the code expires in {minutes} minutes)...")
                github_token = flow.wait(code)
            finally:
                flow.close()
    token = _exchange(registry, "github-at", lambda: client.login_github_at(github_token))
    _finish(registry, "github", token, _command("github", registry=registry))


@login_app.command("github-oidc")
def login_github_oidc(
    registry: RegistryOption = DEFAULT_REGISTRY,
    audience: Annotated[
        str | None,
        typer.Option(
            "--audience",
            help="Audience to request; default: the registry URL's scheme and host.",
        ),
    ] = None,
) -> None:
    """In GitHub Actions: log in as the repository owner, io.github.<owner>/*.

    Needs `permissions: id-token: write` in the job; uses the job's ID token (from
    ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN).
    """
    client = open_client(registry)
    with registry_errors(registry):
        oidc_token = actions_id_token(audience or audience_for(registry), env=os.environ)
    token = _exchange(registry, "github-oidc", lambda: client.login_github_oidc(oidc_token))
    _finish(registry, "github-oidc", token, _command("github-oidc", registry=registry))


@login_app.command("oidc")
def login_oidc(
    registry: RegistryOption = DEFAULT_REGISTRY,
    id_token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="The ID token from the registry's identity provider; read from stdin when "
            "not given.",
        ),
    ] = None,
) -> None:
    """Log in with the registry operator's identity provider (administrators).

    Takes an ID token from that provider; grants what the registry's configuration says.
    """
    if not id_token:
        if sys.stdin.isatty():
            fail("give the ID token with --token, or pipe it on stdin")
        id_token = sys.stdin.read().strip()
        if not id_token:
            fail("no ID token on stdin: give it with --token, or pipe it on stdin")
    client = open_client(registry)
    token = _exchange(registry, "oidc", lambda: client.login_oidc(id_token))
    _finish(registry, "oidc", token, _command("oidc", "--token", "<ID token>", registry=registry))


def logout(
    registry: RegistryOption = DEFAULT_REGISTRY,
    everything: Annotated[
        bool, typer.Option("--all", help="Forget the logins for every registry.")
    ] = False,
) -> None:
    """Forget the registry token kept for a registry.

    Nothing is revoked on the registry: the token expires on its own.
    """
    try:
        if everything:
            removed = store().clear()
            say("forgot every login" if removed else "there were no logins to forget")
            return
        removed = store().remove(registry)
    except CredentialError as exc:
        fail(str(exc))
    if removed:
        ok(f"logged out of {registry}")
    else:
        say(f"you were not logged in to {registry}")
