"""``registrum changes``: read (and follow) a registry's change feed."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from registrum.cli.options import RegistryOption, registry_hint
from registrum.cli.output import err, fail, say
from registrum.cli.session import open_client, registry_errors
from registrum.client import DEFAULT_REGISTRY, Change, NotFoundError, RegistryClient

MAX_LIMIT = 1000


def describe(change: Change) -> str:
    """One line: seq, kind, name and version, and what a rename or an offer moved."""
    line = f"{change.seq:>8}  {change.kind:<16}  {change.name}"
    if change.version:
        line += f" {change.version}"
    if change.previous_name:
        line += f"  (was {change.previous_name})"
    if change.new_name:
        line += f"  -> {change.new_name}"
    if change.tombstone:
        line += "  [deleted]"
    return line


def _show(change: Change, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(change.raw, ensure_ascii=False, separators=(",", ":")))
    else:
        say(describe(change))


def _one_page(client: RegistryClient, since: int, limit: int, as_json: bool, hint: str) -> None:
    page = client.changes(since, limit)
    for change in page.changes:
        _show(change, as_json)
    if not page.changes:
        err.print(f"no changes after {since} (the newest is {page.head})", markup=False)
    elif page.next_since < page.head:
        err.print(
            f"{page.head - page.next_since} more: run `registrum changes --since "
            f"{page.next_since}{hint}`",
            markup=False,
        )


def _follow(client: RegistryClient, since: int, limit: int, as_json: bool, interval: float) -> None:
    while True:
        for change in client.follow_changes(since, page_size=limit):
            _show(change, as_json)
            since = change.seq
        time.sleep(interval)


def changes(
    since: Annotated[
        int,
        typer.Option("--since", min=0, help="Show the changes after this seq (0: from the start)."),
    ] = 0,
    limit: Annotated[
        int,
        typer.Option("--limit", min=1, max=MAX_LIMIT, help="Most changes per request."),
    ] = 100,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Keep polling for new changes until Ctrl-C."),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print each change as one line of JSON, as the registry sent it."
        ),
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.1, help="Seconds between polls with --follow."),
    ] = 5.0,
    registry: RegistryOption = DEFAULT_REGISTRY,
) -> None:
    """Show what changed in the registry, one line per change: seq, kind, name, version.

    Kinds: published, imported, status-changed, edited, latest-moved, renamed,
    transfer-offered. Without --follow, shows at most --limit changes after --since and says
    how to read on; --follow reads every change and then polls for new ones. Needs a
    registry with Registrum's change feed; no login.
    """
    client = open_client(registry, cache=True)
    try:
        with registry_errors(registry):
            try:
                if follow:
                    _follow(client, since, limit, as_json, interval)
                else:
                    _one_page(client, since, limit, as_json, registry_hint(registry))
            except NotFoundError as exc:
                fail(f"{exc}; does {registry} offer Registrum's change feed?")
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    finally:
        client.close()
