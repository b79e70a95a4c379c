"""Operator commands that run the registry in-process: serve, import, export."""

from __future__ import annotations

import logging
import sys
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from registrum.client import RegistryError
from registrum.core import wire
from registrum.server import logs
from registrum.server.http_limits import LimitedHttpToolsProtocol
from registrum.server.ingest_report import print_ingest_summary
from registrum.server.metrics_directory import metrics_directory
from registrum.server.opening import (
    CREATES_DATABASE,
    EXISTING_DATABASE,
    DatabaseUrl,
    load_settings,
    open_existing,
    open_registry,
)
from registrum.server.scheduler import start_scheduler
from registrum.server.sources import SourceError, open_source
from registrum.server.wiring import Registry
from registrum.services.importing import ImportResult, export_items
from registrum.web import create_site

err = Console(stderr=True)
log = logging.getLogger("registrum")


def _run_import(registry: Registry, source: str, quiet: bool = False) -> ImportResult:
    try:
        items, total = open_source(source)
    except SourceError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    columns = [
        SpinnerColumn(),
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
    ]
    with Progress(*columns, console=err, disable=quiet, transient=False) as progress:
        task = progress.add_task("import", total=total, detail="")

        def report(r: ImportResult) -> None:
            progress.update(
                task,
                completed=r.seen,
                detail=f"added {r.added}, already present {r.existing}, rejected {len(r.rejected)}",
            )

        try:
            result = registry.context.importer.import_items(items, progress=report)
        except RegistryError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from None
    for rejected in result.rejected[:50]:
        err.print(
            f"[yellow]rejected[/yellow] item {rejected.index} ({rejected.name or 'no name'}):",
            highlight=False,
        )
        for p in rejected.problems:
            err.print(f"    {p.path or '(document)'}: {p.message}", highlight=False)
    if len(result.rejected) > 50:
        err.print(f"... and {len(result.rejected) - 50} more rejected items")
    print_ingest_summary(err, result.deviations)
    err.print(
        f"imported {result.added} new version(s); {result.existing} already present; "
        f"{len(result.rejected)} rejected",
        highlight=False,
    )
    return result


def serve(
    address: Annotated[
        str | None, typer.Option(help="host:port (MCP_REGISTRY_SERVER_ADDRESS)")
    ] = None,
    database_url: DatabaseUrl = None,
    workers: Annotated[int | None, typer.Option(help="worker processes")] = None,
) -> None:
    """Run the registry (SQLite in ./registrum-data by default)."""
    settings = load_settings(server_address=address, database_url=database_url, workers=workers)
    log_config = logs.configure(settings.log_format, settings.log_level)
    if settings.workers > 1:
        metrics_dir = metrics_directory()
    registry = open_registry(settings, "serve", create=True)
    if settings.seed_from:
        _run_import(registry, settings.seed_from, quiet=True)
    if settings.anonymous_auth:
        why = (
            "set by MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH"
            if settings.enable_anonymous_auth is not None
            else "local default: bound to loopback; requests that came through a proxy are "
            "refused; set MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH=false to turn it off"
        )
        log.warning(
            "anonymous auth is ENABLED (%s): anyone who can reach this port may publish "
            "under io.modelcontextprotocol.anonymous/*",
            why,
        )
    else:
        log.info("anonymous auth is disabled")
    for line in registry.describe_verification():
        log.info("%s", line)
    log.info("Registrum serving on http://%s:%d (API docs at /docs)", settings.host, settings.port)
    start_scheduler(settings, registry)
    # Header size and header/body deadlines (server/http_limits.py); a partial of a
    # module-level class, so it pickles into --workers processes too.
    http = partial(LimitedHttpToolsProtocol, limits=settings.inbound_limits())
    if settings.workers > 1:
        # Each worker builds its own registry from the same environment.
        import os

        os.environ.update(
            {
                "MCP_REGISTRY_SERVER_ADDRESS": settings.server_address,
                "MCP_REGISTRY_DATABASE_URL": settings.database,
                "MCP_REGISTRY_JWT_PRIVATE_KEY": settings.jwt_seed().hex(),
            }
        )
        try:
            uvicorn.run(
                "registrum.server.wiring:app_from_env",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=settings.workers,
                log_level=settings.log_level,
                log_config=log_config,
                access_log=settings.log_format == "text",
                http=http,  # type: ignore[arg-type]
                # Who the client is behind a proxy is decided by MCP_REGISTRY_TRUSTED_PROXIES
                # (api/client_address.py), not by uvicorn's own list.
                proxy_headers=False,
            )
        finally:
            metrics_dir.close()
    else:
        uvicorn.run(
            create_site(registry.context),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            http=http,  # type: ignore[arg-type]
            proxy_headers=False,
            log_config=log_config,
            access_log=settings.log_format == "text",
        )


def import_(
    source: Annotated[
        str,
        typer.Argument(
            help="a JSON file, a URL of one, or a registry's /v0.1/servers URL",
        ),
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Import server.json documents or ServerResponse items; safe to run again."""
    registry = open_registry(load_settings(database_url=database_url), "import", create=True)
    result = _run_import(registry, source)
    if result.rejected and not result.added and not result.existing:
        raise typer.Exit(1)


def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write every version (deleted ones too) as a JSON array that `import` reads back."""
    registry = open_existing(database_url, "export")
    out = output.open("wb") if output else sys.stdout.buffer
    count = 0
    try:
        out.write(b"[")
        for item in export_items(registry.store):
            if count:
                out.write(b",\n")
            out.write(wire.dumps(item))
            count += 1
        out.write(b"]\n")
    finally:
        if output:
            out.close()
    err.print(f"exported {count} version(s)", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("serve", epilog=CREATES_DATABASE)(serve)
    app.command("import", epilog=CREATES_DATABASE)(import_)
    app.command("export", epilog=EXISTING_DATABASE)(export)
