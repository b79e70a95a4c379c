"""``registrum status``: mark versions active, deprecated or deleted."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from registrum.cli.options import RegistryOption
from registrum.cli.output import fail, ok, say
from registrum.cli.session import open_client, registry_errors, stored_login
from registrum.client import DEFAULT_REGISTRY, NotFoundError, segment


class Status(StrEnum):
    active = "active"
    deprecated = "deprecated"
    deleted = "deleted"


def status(
    name: Annotated[str, typer.Argument(help="The server name, such as io.github.alice/weather.")],
    version: Annotated[
        str | None, typer.Argument(help="The version to change (omit with --all-versions).")
    ] = None,
    new_status: Annotated[
        Status | None,
        typer.Option("--status", help="The new status.", show_default=False),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option(
            "--message",
            help="Why (shown to users), such as 'use 2.0.0'; not with --status active.",
        ),
    ] = None,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Change every version of the server.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before changing every version.")
    ] = False,
    registry: RegistryOption = DEFAULT_REGISTRY,
) -> None:
    """Mark a published version (or all of them) active, deprecated or deleted.

    `deprecated` keeps it listed with a warning; `deleted` hides it (`active` restores it).
    Needs a login that covers the server's namespace.
    """
    if new_status is None:
        fail("say which status with --status active, --status deprecated or --status deleted")
    if version is None and not all_versions:
        fail(f"give the version to change (`registrum status {name} 1.0.0 ...`), or --all-versions")
    if version is not None and all_versions:
        fail("give either a version or --all-versions, not both")
    if message is not None and new_status is Status.active:
        fail("--message cannot be given with --status active: an active version has no message")
    credential = stored_login(registry)
    if all_versions and not yes:
        if not sys.stdin.isatty():
            fail(f"this changes every version of {name}: add --yes to confirm")
        if not typer.confirm(f"Set every version of {name} to {new_status.value}?"):
            fail("nothing was changed")
    client = open_client(registry, credential.token)
    with registry_errors(registry, credential):
        try:
            if version is not None:
                item = client.set_status(name, version, new_status.value, message=message)
                ok(f"{name} {version} is now {item.status or new_status.value}")
            else:
                result = client.set_all_status(name, new_status.value, message=message)
                n = result.updated_count
                ok(f"{n} version{'s' if n != 1 else ''} of {name} set to {new_status.value}")
        except NotFoundError as exc:
            fail(
                f"{exc}; check the name and version against "
                f"{client.root}/servers/{segment(name)}/versions?include_deleted=true"
            )
    if message:
        say(f"  message: {message}")
