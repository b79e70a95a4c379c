"""Opening the registry an operator command works on: the ``--database-url`` option, what
``--help`` says of the database, and the refusal of one that holds no registry. The operator
commands of commands.py and mirror_commands.py share it; neither imports the other."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from registrum.core.policy import PolicyError
from registrum.server import database
from registrum.server.settings import Settings, SettingsError, load
from registrum.server.wiring import Registry, build

err = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        help="the registry's database (default: MCP_REGISTRY_DATABASE_URL, else registry.db "
        "in MCP_REGISTRY_DATA_DIR, ./registrum-data)"
    ),
]
# The end of --help of every command that opens the database, so an operator sees which
# one it will use before running it.
LOCAL_DATABASE = (
    "Works on the local registry database: registrum-data/registry.db in the current folder, "
    "or the one MCP_REGISTRY_DATA_DIR, MCP_REGISTRY_DATABASE_URL or --database-url names."
)
EXISTING_DATABASE = (
    f"{LOCAL_DATABASE} It must exist already (`registrum serve` or `registrum import` "
    "creates one): in a folder without one this command stops and creates nothing."
)
CREATES_DATABASE = f"{LOCAL_DATABASE} Creates it when it does not exist yet."


def load_settings(**overrides: object) -> Settings:
    try:
        return load(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


def build_registry(settings: Settings) -> Registry:
    try:
        return build(settings)
    except PolicyError as exc:
        err.print(f"[red]error:[/red] {exc}\n  check MCP_REGISTRY_POLICY_FILE", highlight=False)
        raise typer.Exit(2) from None
    except Exception as exc:
        raise _cannot_open(settings, exc) from None


def _cannot_open(settings: Settings, exc: Exception) -> typer.Exit:
    err.print(
        f"[red]error:[/red] cannot open the database "
        f"{escape(database.display(settings.database))}: {escape(str(exc))}\n"
        "  check MCP_REGISTRY_DATABASE_URL (or --database-url)",
        highlight=False,
        soft_wrap=True,
    )
    return typer.Exit(2)


def open_registry(settings: Settings, command: str, *, create: bool = False) -> Registry:
    """Open the registry an operator command works on, after saying which database it is
    (on stderr: stdout may be a script's input). Unless ``create``, a database that holds no
    registry yet is refused, creating nothing: in the wrong folder, a command that went on
    would work on a new, empty registry and look as if it had succeeded."""
    url = settings.database
    try:
        present = database.holds_registry(url)
    except Exception as exc:
        raise _cannot_open(settings, exc) from None
    shown = database.display(url)
    said = f"database: {shown}{' (new)' if create and not present else ''}"
    if settings.log_format == "json":
        # A log collector reading the server's stderr expects nothing but JSON lines.
        logging.getLogger("registrum").info("%s", said)
    else:
        err.print(said, markup=False, highlight=False, soft_wrap=True)
    if not present and not create:
        if database.is_file(url):
            why = "no such file"
            where = (
                "Run it in the folder that holds registrum-data/, or name the registry's "
                "database with MCP_REGISTRY_DATA_DIR, MCP_REGISTRY_DATABASE_URL or "
                "--database-url."
            )
        else:
            why = "the database has no Registrum tables"
            where = "Name the registry's database with MCP_REGISTRY_DATABASE_URL or --database-url."
        err.print(
            f"[red]error:[/red] no registry at {escape(shown)} ({why}); "
            f"`registrum {command}` works on an existing one and creates nothing.\n"
            f"  {where}\n"
            "  To start a new registry there, run `registrum serve` or `registrum import`.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    if command != "serve" and not settings.jwt_private_key:
        # Only `serve` signs tokens. Any other command would generate a signing key and keep
        # it in the data folder, which on PostgreSQL is just wherever the command was run;
        # a throwaway key does instead.
        settings = settings.model_copy(update={"jwt_private_key": secrets.token_hex(32)})
    return build_registry(settings)


def open_existing(database_url: str | None, command: str) -> Registry:
    """The registry of a command that works on an existing one (``command`` as typed after
    ``registrum``, for the message when there is none)."""
    return open_registry(load_settings(database_url=database_url), command)
