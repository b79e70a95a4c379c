"""Operator commands of the mirror (issue #7): ``registrum mirror add|list|remove|sync`` and
``registrum policy explain|check|apply``, run in-process on the registry's database. The
scheduler ``registrum serve`` runs for the configured upstreams is in scheduler.py."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from registrum.core.errors import RegistrumError
from registrum.core.policy import Policy, PolicyError
from registrum.server.ingest_report import print_ingest_summary
from registrum.server.opening import EXISTING_DATABASE, DatabaseUrl, open_existing
from registrum.services.mirror import DEFAULT_INTERVAL, MirrorService, SyncReport
from registrum.upstream.readers import KINDS, detect_kind

out = Console()
err = Console(stderr=True)

mirror_app = typer.Typer(
    help="Mirror other registries: add, list, remove and sync upstreams.",
    epilog=EXISTING_DATABASE,
)
policy_app = typer.Typer(help="The allow/deny policy (MCP_REGISTRY_POLICY_FILE).")
_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> int:
    match = _DURATION.match(text.strip())
    if match is None:
        raise typer.BadParameter(f"{text!r}: give a duration such as 90s, 5m, 1h or 1d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(code)


@mirror_app.command("add", epilog=EXISTING_DATABASE)
def add(
    name: Annotated[str, typer.Argument(help="a short name for the upstream, e.g. public")],
    url: Annotated[str, typer.Argument(help="the registry's URL, or a dump's path or URL")],
    priority: Annotated[
        int, typer.Option(help="higher wins when two upstreams serve the same name")
    ] = 0,
    interval: Annotated[str, typer.Option(help="how often `serve` syncs it: 90s, 5m, 1h")] = (
        f"{DEFAULT_INTERVAL // 60}m"
    ),
    kind: Annotated[
        str, typer.Option(help=f"one of {', '.join(KINDS)}; found out from the URL when omitted")
    ] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Add an upstream registry to mirror (then `registrum mirror sync NAME`)."""
    seconds = parse_interval(interval)
    if kind and kind not in KINDS:
        raise _fail(ValueError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}"), 2)
    registry = open_existing(database_url, "mirror add")
    try:
        found = kind or detect_kind(url, limits=registry.settings.mirror_limits())
        upstream = registry.context.mirror.add(
            name, url, found, priority=priority, interval=seconds
        )
    except RegistrumError as exc:
        raise _fail(exc) from None
    finally:
        registry.close()
    out.print(
        f"added upstream {upstream.name!r}: {upstream.url} ({upstream.kind}, priority "
        f"{upstream.priority}, every {seconds} s); run `registrum mirror sync {name}`",
        highlight=False,
    )


@mirror_app.command("list", epilog=EXISTING_DATABASE)
def list_(database_url: DatabaseUrl = None) -> None:
    """The configured upstreams and how their last sync went."""
    registry = open_existing(database_url, "mirror list")
    try:
        upstreams = registry.context.mirror.upstreams()
    finally:
        registry.close()
    if not upstreams:
        out.print("no upstreams: add one with `registrum mirror add NAME URL`")
        return
    table = Table("name", "kind", "priority", "every", "last sync", "url", "last error")
    for u in upstreams:
        table.add_row(
            u.name,
            u.kind,
            str(u.priority),
            f"{u.interval_seconds} s",
            f"{u.last_synced_at:%Y-%m-%d %H:%M:%S}" if u.last_synced_at else "never",
            u.url,
            u.last_error or "",
        )
    out.print(table)


@mirror_app.command("remove", epilog=EXISTING_DATABASE)
def remove(
    name: Annotated[str, typer.Argument(help="the upstream's name")],
    database_url: DatabaseUrl = None,
) -> None:
    """Stop mirroring an upstream; what only it served is hidden (deleted) here."""
    registry = open_existing(database_url, "mirror remove")
    try:
        changed = registry.context.mirror.remove(name)
    except RegistrumError as exc:
        raise _fail(exc) from None
    finally:
        registry.close()
    out.print(f"removed upstream {name!r} ({changed} served version(s) changed)")


def _sync_one(mirror: MirrorService, name: str, quiet: bool) -> SyncReport:
    columns = [
        SpinnerColumn(),
        TextColumn(f"syncing {name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
    ]
    with Progress(*columns, console=err, disable=quiet, transient=False) as progress:
        task = progress.add_task(name, total=None, detail="")

        def report(r: SyncReport) -> None:
            progress.update(
                task,
                completed=r.done,
                total=r.total,
                detail=f"read {r.fetched}, changed {r.changed}",
            )

        return mirror.sync(name, progress=report)


@mirror_app.command("sync", epilog=EXISTING_DATABASE)
def sync(
    name: Annotated[str | None, typer.Argument(help="one upstream (all when omitted)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Bring the mirror up to date with its upstreams (resumes where a sync stopped)."""
    registry = open_existing(database_url, "mirror sync")
    failed = False
    try:
        mirror = registry.context.mirror
        names = [name] if name else [u.name for u in mirror.upstreams()]
        for one in names:
            try:
                r = _sync_one(mirror, one, quiet)
            except RegistrumError as exc:
                err.print(f"[red]error:[/red] {one}: {exc}", highlight=False)
                failed = True
                continue
            out.print(
                f"{one}: read {r.fetched} entr{'y' if r.fetched == 1 else 'ies'}, "
                f"{r.changed} served version(s) changed, in {r.seconds:.1f} s",
                highlight=False,
            )
            print_ingest_summary(out, r.deviations, r.refused)
    finally:
        registry.close()
    if failed:
        raise typer.Exit(1)


@policy_app.command("explain", epilog=EXISTING_DATABASE)
def explain(
    name: Annotated[str, typer.Argument(help="a server name")],
    database_url: DatabaseUrl = None,
) -> None:
    """Which rule shows or hides each version of NAME, and which upstream is served."""
    registry = open_existing(database_url, "policy explain")
    try:
        e = registry.context.mirror.explain(name)
    finally:
        registry.close()
    served = {"local": "published here"}.get(e.served_from or "", e.served_from or "not served")
    out.print(f"{name}: {served}", highlight=False)
    if e.publish is not None:
        out.print(f"  local publishing: {e.publish.reason}", highlight=False)
    if e.local and e.versions:
        out.print("  (a local server shadows every upstream entry of its name)")
    for v in e.versions:
        mark = "served" if v.served else "not served"
        out.print(f"  {v.upstream} {v.version}: {v.decision.reason} ({mark})", highlight=False)
    if not e.versions:
        out.print("  no upstream serves this name")


@policy_app.command("apply", epilog=EXISTING_DATABASE)
def apply_policy(database_url: DatabaseUrl = None) -> None:
    """Re-apply MCP_REGISTRY_POLICY_FILE to everything mirrored, without downloading
    anything (`serve` does this by itself when the file changes)."""
    registry = open_existing(database_url, "policy apply")
    try:
        changed = registry.context.mirror.reapply()
    finally:
        registry.close()
    out.print(f"policy applied: {changed} served version(s) changed")


@policy_app.command("check")
def check(path: Annotated[str, typer.Argument(help="the policy file")]) -> None:
    """Read a policy file and print its rules, or say what is wrong with it.

    Reads only the file: no database is opened."""
    try:
        policy = Policy.load(path)
    except PolicyError as exc:
        raise _fail(exc, 2) from None
    for line in policy.describe():
        out.print(line, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(mirror_app, name="mirror")
    app.add_typer(policy_app, name="policy")
