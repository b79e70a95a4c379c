"""From one version's server.json to a ready configuration for each MCP client.

Pure: no I/O. The API (``.../install``), the CLI (``registrum install``) and the client
library (:func:`registrum.client.install_configs`) all call :func:`install_configs`.

::

    result = install_configs(document, clients=["vscode"])
    result.configs["vscode"].config   # {"servers": {...}, "inputs": [...]}

A server may offer several ways to run (remotes, packages): they are ``result.options``, best
first; ``option=`` picks one (by its index), else the first that a client can express is
used. What a client cannot express is in that client's ``warnings``; when nothing can be
written, its ``reason`` says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registrum.core.errors import InvalidInputError, Problem
from registrum.core.install.clients import CLIENTS
from registrum.core.install.model import KEY_CHARACTERS, ClientConfig, Option
from registrum.core.install.options import options as options_of

__all__ = [
    "CLIENTS",
    "ClientConfig",
    "InstallResult",
    "Option",
    "default_key",
    "install_configs",
]

_MAX_KEY = 64


@dataclass(frozen=True, slots=True)
class InstallResult:
    name: str
    version: str
    option: Option | None  # the one the configurations are written for
    options: tuple[Option, ...]
    configs: Mapping[str, ClientConfig]

    def to_json(self) -> dict[str, Any]:
        chosen = self.option
        return {
            "name": self.name,
            "version": self.version,
            "option": chosen.index if chosen is not None else None,
            "options": [o.summary() for o in self.options],
            "inputs": [p.to_json() for p in chosen.prompts] if chosen else [],
            "optional": [o.to_json() for o in chosen.optional] if chosen else [],
            "configs": {client: config.to_json() for client, config in self.configs.items()},
        }


def default_key(name: str) -> str:
    """The key a server's entry goes under in a client's file: the part of its name after
    the namespace (``io.github.alice/weather`` -> ``weather``), in characters every client
    accepts."""
    tail = name.rsplit("/", 1)[-1]
    cleaned = "".join(c if c in KEY_CHARACTERS else "-" for c in tail).strip("-")
    return cleaned[:_MAX_KEY] or "server"


def check_key(key: str) -> str:
    if not key or len(key) > _MAX_KEY or any(c not in KEY_CHARACTERS for c in key):
        raise InvalidInputError(
            "Invalid key: a configuration key is 1 to 64 letters, digits, '-' or '_'",
            [Problem("key", "use letters, digits, '-' and '_' only (at most 64)", key)],
            where="query",
        )
    return key


def _clients(wanted: Sequence[str] | None) -> list[str]:
    if wanted is None:
        return list(CLIENTS)
    unknown = [c for c in wanted if c not in CLIENTS]
    if unknown:
        raise InvalidInputError(
            f"Unknown client {unknown[0]!r}: expected one of {', '.join(CLIENTS)}",
            [Problem("client", f"expected one of {', '.join(CLIENTS)}", unknown[0])],
            where="query",
        )
    return list(dict.fromkeys(wanted))


def _chosen(found: Sequence[Option], option: int | None) -> Option | None:
    if option is None:
        # The first usable one; when none is, the first, so that its reason is what is said.
        return next((o for o in found if o.supported), found[0] if found else None)
    if isinstance(option, bool) or not 0 <= option < len(found):
        limit = f"0 to {len(found) - 1}" if found else "none: the server offers no way to run"
        raise InvalidInputError(
            f"Invalid option {option}: this version's options are {limit}",
            [Problem("option", f"expected an index in {limit}", option)],
            where="query",
        )
    return found[option]


def install_configs(
    document: Mapping[str, Any],
    *,
    clients: Sequence[str] | None = None,
    option: int | None = None,
    key: str | None = None,
) -> InstallResult:
    """Configurations of ``document`` (a server.json) for ``clients`` (all by default)."""
    name = document.get("name")
    name = name if isinstance(name, str) else ""
    version = document.get("version")
    version = version if isinstance(version, str) else ""
    found = tuple(options_of(document))
    chosen = _chosen(found, option)
    entry_key = check_key(key) if key is not None else default_key(name)
    configs: dict[str, ClientConfig] = {}
    for client_id in _clients(clients):
        client = CLIENTS[client_id]
        if chosen is None or chosen.reason is not None:
            reason = (
                chosen.reason
                if chosen is not None and chosen.reason is not None
                else "the server offers no remote or package a client can run"
            )
            configs[client_id] = ClientConfig(
                client=client.id,
                title=client.title,
                option=chosen.index if chosen is not None else None,
                key=entry_key,
                reason=reason,
            )
            continue
        configs[client_id] = client.write(chosen, entry_key)
    return InstallResult(name, version, chosen, found, configs)
