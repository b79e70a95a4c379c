"""Opening a registry from a command: the client, the stored login, and errors as one-liners."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from registrum.cli.credentials import Credential, CredentialError, CredentialStore
from registrum.cli.options import registry_hint
from registrum.cli.output import fail, problem
from registrum.client import (
    DirectoryCache,
    ForbiddenError,
    InvalidRequestError,
    RegistryClient,
    RegistryError,
    ServerError,
    TransportError,
    UnauthorizedError,
    api_root,
)


def store() -> CredentialStore:
    return CredentialStore()


def cache_dir() -> Path:
    """Where read commands keep answers to revalidate: ``$XDG_CACHE_HOME/registrum/http``,
    else ``~/.cache/registrum/http``."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "registrum" / "http"


def open_client(registry: str, token: str | None = None, *, cache: bool = False) -> RegistryClient:
    """A client for ``registry``; ``cache`` keeps GET answers under :func:`cache_dir` and
    revalidates them (for read commands)."""
    try:
        api_root(registry)
    except ValueError as exc:
        fail(f"{exc}; for example --registry https://registry.example.com")
    return RegistryClient(
        registry, token=token, cache=DirectoryCache(cache_dir()) if cache else None
    )


def stored_login(registry: str) -> Credential:
    """The login kept for ``registry``; fails with what to run when there is none or it
    has expired."""
    try:
        credential = store().get(registry)
    except CredentialError as exc:
        fail(str(exc))
    if credential is None:
        fail(
            f"you are not logged in to {registry}: run `registrum login <method>"
            f"{registry_hint(registry)}` first (methods: github, github-oidc, dns, http, oidc, "
            "none)"
        )
    if credential.expired():
        fail(f"your login for {registry} has expired: run `{credential.login}` again")
    return credential


@contextmanager
def registry_errors(registry: str, credential: Credential | None = None) -> Iterator[None]:
    """Turn the client's errors into one line each (and the problems the registry listed)."""
    try:
        yield
    except UnauthorizedError as exc:
        if credential is not None:
            fail(
                f"{registry} did not accept your login ({exc.detail}): run "
                f"`{credential.login}` again"
            )
        fail(str(exc))
    except InvalidRequestError as exc:
        for entry in exc.problems:
            problem(entry.location or "(request)", entry.message)
        fail(str(exc))
    except TransportError as exc:
        fail(f"{exc}; is the registry running, and is --registry {registry} right?")
    except ServerError as exc:
        fail(f"{exc}; try again later, or tell the registry's operator")
    except ForbiddenError as exc:
        fail(f"{exc}; log in with a method that proves this namespace (`registrum login --help`)")
    except RegistryError as exc:
        fail(str(exc))
