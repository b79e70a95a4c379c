"""``registrum rename`` and ``registrum transfer``: move a server to a new name.

A rename needs a login that covers both names; a transfer moves a server to a namespace
someone else holds: the holder of the old name offers it, the holder of the new name
accepts it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from registrum.cli.options import RegistryOption, registry_hint
from registrum.cli.output import fail, ok, say
from registrum.cli.session import open_client, registry_errors, stored_login
from registrum.client import (
    DEFAULT_REGISTRY,
    ForbiddenError,
    NotFoundError,
    ServerItem,
    TransferOffer,
)

NameArgument = Annotated[
    str, typer.Argument(help="The server's current name, such as io.github.alice/weather.")
]
NewNameArgument = Annotated[str, typer.Argument(help="The name to move it to.")]
OfferIdArgument = Annotated[str, typer.Argument(help="The offer id `transfer offer` printed.")]


def _when(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if value else "(not said)"


def _moved(item: ServerItem, old: str) -> None:
    if item.server_id:
        say(f"  server id {item.server_id} (unchanged)")
    say(f"  reads of {old} now redirect to {item.name}; nobody else may take {old} for a while")


def rename(
    name: NameArgument, new_name: NewNameArgument, registry: RegistryOption = DEFAULT_REGISTRY
) -> None:
    """Rename a server: its id, every version and its history move to the new name.

    Needs a login that covers both names. To move a server to a namespace someone else
    holds, use `registrum transfer offer` instead.
    """
    credential = stored_login(registry)
    client = open_client(registry, credential.token)
    with registry_errors(registry, credential):
        try:
            item = client.rename(name, new_name)
        except ForbiddenError as exc:
            if new_name in exc.detail:
                fail(
                    f"{exc}; from the command line: "
                    f"`registrum transfer offer {name} {new_name}{registry_hint(registry)}`"
                )
            fail(f"{exc}; log in with a method that proves the namespace of {name}")
        except NotFoundError as exc:
            fail(f"{exc}; is {name} the server's current name?")
    ok(f"renamed {name} to {item.name or new_name}")
    _moved(item, name)


transfer_app = typer.Typer(
    name="transfer",
    help="Move a server to a namespace someone else holds: the holder of the old name offers "
    "it (`transfer offer`), the holder of the new name accepts it (`transfer accept`).",
    no_args_is_help=True,
)


@transfer_app.command("offer")
def transfer_offer(
    name: NameArgument, new_name: NewNameArgument, registry: RegistryOption = DEFAULT_REGISTRY
) -> None:
    """Offer a server to the holder of the new name's namespace.

    Needs a login that covers the current name. Prints the offer id the other party accepts.
    """
    credential = stored_login(registry)
    client = open_client(registry, credential.token)
    with registry_errors(registry, credential):
        try:
            offer = client.transfer_offer(name, new_name)
        except NotFoundError as exc:
            fail(f"{exc}; is {name} the server's current name?")
    ok(f"offered {offer.name or name} to the holder of {offer.new_name}")
    say(f"  offer id  {offer.id}")
    say(f"  expires   {_when(offer.expires_at)}")
    say(f"The holder of {offer.new_name} accepts it, logged in with a method that covers it:")
    say(f"  registrum transfer accept {offer.id}{registry_hint(registry)}")


@transfer_app.command("accept")
def transfer_accept(offer_id: OfferIdArgument, registry: RegistryOption = DEFAULT_REGISTRY) -> None:
    """Accept a transfer offer: the server moves to the name it was offered under.

    Needs a login that covers the new name.
    """
    credential = stored_login(registry)
    client = open_client(registry, credential.token)
    with registry_errors(registry, credential):
        item = client.transfer_accept(offer_id)
    old = item.previous_names[-1] if item.previous_names else None
    ok(f"accepted: {old} is now {item.name}" if old else f"accepted: the server is now {item.name}")
    if old:
        _moved(item, old)


def _state(offer: TransferOffer) -> str:
    if offer.accepted:
        by = f" by {offer.accepted_by}" if offer.accepted_by else ""
        return f"accepted {_when(offer.accepted_at)}{by}"
    if offer.expired(datetime.now(UTC)):
        return f"expired {_when(offer.expires_at)}"
    return f"open until {_when(offer.expires_at)}"


@transfer_app.command("show")
def transfer_show(offer_id: OfferIdArgument, registry: RegistryOption = DEFAULT_REGISTRY) -> None:
    """Show a transfer offer: which server, from which name to which, and whether it was
    accepted. No login needed."""
    client = open_client(registry, cache=True)
    with registry_errors(registry):
        offer = client.transfer(offer_id)
    say(f"offer      {offer.id}")
    say(f"server     {offer.name} -> {offer.new_name}")
    if offer.server_id:
        say(f"server id  {offer.server_id}")
    if offer.offered_by:
        say(f"offered    {_when(offer.created_at)} by {offer.offered_by}")
    say(f"state      {_state(offer)}")
