"""How the client commands talk to the user: results on stdout, one-line errors on stderr.

Every failure ends in :func:`fail`: one line that says what went wrong and what to do next,
and exit code 1 (never a traceback).
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

# soft_wrap: records and commands printed here are meant to be copied; never break them.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def ok(message: str) -> None:
    out.print(f"[green]✓[/green] {escape(message)}")


def say(message: str = "") -> None:
    out.print(escape(message))


def problem(location: str, message: str) -> None:
    err.print(f"[red]✗[/red] {escape(location)}: {escape(message)}")


def warn(location: str, message: str) -> None:
    err.print(f"[yellow]![/yellow] {escape(location)}: {escape(message)}")


def fail(message: str, *, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)
