"""Options every client command shares."""

from __future__ import annotations

from typing import Annotated, Final

import typer

from registrum.client import DEFAULT_REGISTRY

REGISTRY_ENV: Final = "REGISTRUM_REGISTRY"


def _normalise(url: str) -> str:
    return url.strip().rstrip("/")


RegistryOption = Annotated[
    str,
    typer.Option(
        "--registry",
        envvar=REGISTRY_ENV,
        help="Base URL of the registry (any registry that speaks the official MCP Registry API).",
        show_default=True,
        callback=_normalise,
    ),
]


def registry_hint(registry: str) -> str:
    """`` --registry URL`` when the registry is not the default one, for commands we print."""
    return "" if registry.rstrip("/") == DEFAULT_REGISTRY else f" --registry {registry}"
