"""The ``registrum`` command: client-side verbs (cli/) and operator verbs (server/).

``pip install registrum`` brings only the client and the publisher CLI; the operator verbs
run the registry in-process and need ``pip install 'registrum[server]'``. Without the server
extra they are still listed, so ``registrum --help`` shows the whole command, and each one
says what to install instead of ending in an ImportError traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Final

import typer

from registrum.cli import commands as publisher
from registrum.cli.validate import validate

# The top-level commands registrum.server.commands registers (a test checks they agree): the
# ones a light install answers with needs_server().
OPERATOR_COMMANDS: Final = ("serve", "import", "export", "mirror", "policy")
SERVER_EXTRA: Final = "pip install 'registrum[server]'"
# Exit code of a command this install cannot run: 2, like any other usage error.
EXIT_NEEDS_SERVER: Final = 2


def server_commands() -> list[ModuleType] | str:
    """The operator commands' modules, or the missing package that keeps them from
    importing."""
    try:
        from registrum.server import commands, mirror_commands
    except ModuleNotFoundError as exc:
        # Only a missing third-party package means "the server extra is not installed"; a
        # missing module of our own is a broken install or a bug and must show as one.
        if exc.name is None or exc.name.partition(".")[0] == "registrum":
            raise
        return exc.name.partition(".")[0]
    return [commands, mirror_commands]


def needs_server(command: str, missing: str) -> Callable[[], None]:
    """A stand-in for an operator command: one line on stderr, exit 2, whatever it is given."""

    def stub() -> None:
        typer.echo(
            f"error: `registrum {command}` needs the server: {SERVER_EXTRA} "
            f"({missing} is not installed)",
            err=True,
        )
        raise typer.Exit(EXIT_NEEDS_SERVER)

    return stub


def register_operator_commands(app: typer.Typer) -> None:
    server = server_commands()
    if not isinstance(server, str):
        for module in server:
            module.register(app)
        return
    for command in OPERATOR_COMMANDS:
        app.command(
            command,
            # Rich markup would read "[server]" as a tag: the backslash keeps it literal.
            help="Needs the server: pip install 'registrum\\[server]'.",
            # Every argument and option, --help included, reaches the stub, so
            # `registrum serve --help` explains what is missing instead of showing no options.
            context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
            add_help_option=False,
        )(needs_server(command, server))


app = typer.Typer(
    name="registrum",
    help="Registrum: an MCP server registry and the tools around it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("validate")(validate)
publisher.register(app)
register_operator_commands(app)


def run() -> None:
    app()
