"""Client configurations of a fetched server, written locally.

The mapping runs here, on the ``ServerResponse`` a registry returned, so it works against
any registry that speaks the official API (Registrum's ``.../install`` endpoint returns the
same configurations, computed on the server)::

    from registrum.client import RegistryClient, install_configs

    with RegistryClient("https://registry.example.com") as registry:
        item = registry.get("io.github.alice/weather")
    result = install_configs(item, clients=["vscode"])
    print(result.configs["vscode"].snippet)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from registrum.client.models import ServerItem
from registrum.core.install import InstallResult
from registrum.core.install import install_configs as _configs


def install_configs(
    item: ServerItem | Mapping[str, Any],
    *,
    clients: Sequence[str] | None = None,
    option: int | None = None,
    key: str | None = None,
) -> InstallResult:
    """Configurations of ``item`` (a :class:`ServerItem`, or a server.json document) for
    ``clients`` (all by default): see :mod:`registrum.core.install`. An unknown client, an
    option index out of range or a key with characters clients refuse raise
    :class:`registrum.core.errors.InvalidInputError` naming the parameter."""
    document = item.server if isinstance(item, ServerItem) else item
    return _configs(document, clients=clients, option=option, key=key)
