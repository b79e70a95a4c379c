"""``registrum validate FILE``: every problem of a server.json, with how to fix it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from registrum.core.errors import InvalidInputError
from registrum.core.validation import parse_json, validate_server_json

out = Console(highlight=False)


def validate(
    file: Annotated[Path, typer.Argument(help="the server.json to check")] = Path("server.json"),
) -> None:
    """Check a server.json against the schema and the registry's rules; print every problem."""
    if not file.is_file():
        out.print(f"[red]✗[/red] {file}: no such file")
        raise typer.Exit(2)
    try:
        raw = parse_json(file.read_bytes())
    except InvalidInputError as exc:
        out.print(f"[red]✗[/red] {file}: {exc.detail}")
        raise typer.Exit(1) from None
    report = validate_server_json(raw)
    for p in report.errors:
        out.print(f"[red]✗[/red] {p.path or '(document)'}: {p.message}")
    for p in report.warnings:
        out.print(f"[yellow]![/yellow] {p.path or '(document)'}: {p.message}")
    if report.errors:
        n = len(report.errors)
        out.print(f"{file}: {n} problem{'s' if n != 1 else ''} to fix")
        raise typer.Exit(1)
    doc = report.document
    assert doc is not None
    out.print(f"[green]✓[/green] {file} is valid: {doc.name} {doc.version}")
