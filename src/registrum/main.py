"""The ``registrum`` command: client-side verbs (cli/) and operator verbs (server/)."""

from __future__ import annotations

import typer

from registrum.cli import commands as publisher
from registrum.cli.validate import validate
from registrum.server import commands, mirror_commands

app = typer.Typer(
    name="registrum",
    help="Registrum: an MCP server registry and the tools around it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("validate")(validate)
publisher.register(app)
commands.register(app)
mirror_commands.register(app)


def run() -> None:
    app()
