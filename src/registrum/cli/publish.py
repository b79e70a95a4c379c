"""``registrum publish [FILE]``: check a server.json here, then publish it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from registrum.cli.options import RegistryOption
from registrum.cli.output import fail, ok, problem, say, warn
from registrum.cli.session import open_client, registry_errors, stored_login
from registrum.client import DEFAULT_REGISTRY, ForbiddenError, Token
from registrum.core.errors import InvalidInputError
from registrum.core.validation import parse_json, validate_server_json


def publish(
    file: Annotated[
        Path, typer.Argument(help="The server.json to publish.", show_default=True)
    ] = Path("server.json"),
    registry: RegistryOption = DEFAULT_REGISTRY,
) -> None:
    """Check a server.json, then publish it to the registry.

    Every problem is listed and nothing is sent until there are none. Needs a login
    (`registrum login ...`) that covers the server's namespace.
    """
    if not file.is_file():
        fail(f"{file}: no such file; write one with `registrum init`")
    data = file.read_bytes()
    try:
        raw = parse_json(data)
    except InvalidInputError as exc:
        fail(f"{file}: {exc.detail}")
    report = validate_server_json(raw)
    for p in report.errors:
        problem(p.path or "(document)", p.message)
    for p in report.warnings:
        warn(p.path or "(document)", p.message)
    if report.errors or report.document is None:
        n = len(report.errors)
        fail(f"{file}: {n} problem{'s' if n != 1 else ''} to fix; nothing was sent")
    doc = report.document
    credential = stored_login(registry)
    client = open_client(registry, credential.token)
    with registry_errors(registry, credential):
        try:
            item = client.publish(data)
        except ForbiddenError as exc:
            token = Token(credential.token, credential.expires_at)
            covers = ", ".join(p.resource for p in token.permissions if p.action == "publish")
            fail(
                f"{exc.detail}: your {credential.method} login covers "
                f"{covers or 'no namespace'}, not {doc.name}; log in with a method that "
                "proves its namespace (see `registrum login --help`)"
            )
    official = item.official
    ok(f"published {item.name or doc.name} {item.version or doc.version} to {registry}")
    if official is not None:
        say(f"  status {official.status}{', latest version' if official.is_latest else ''}")
