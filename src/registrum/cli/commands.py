"""The publisher verbs, named as the official ``mcp-publisher`` names them, and Registrum's
own: ``rename``, ``transfer``, ``changes`` and ``install``."""

from __future__ import annotations

import typer

from registrum.cli.changes import changes
from registrum.cli.init import init
from registrum.cli.install import install
from registrum.cli.keygen import keygen
from registrum.cli.login import login_app, logout
from registrum.cli.publish import publish
from registrum.cli.rename import rename, transfer_app
from registrum.cli.status import status


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(login_app, name="login")
    app.command("keygen")(keygen)
    app.command("logout")(logout)
    app.command("publish")(publish)
    app.command("status")(status)
    app.command("rename")(rename)
    app.add_typer(transfer_app, name="transfer")
    app.command("changes")(changes)
    app.command("install")(install)
