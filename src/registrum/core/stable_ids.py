"""Stable ids for entries that come from an upstream.

A Registrum upstream serves its own ``serverId`` and ``versionId``; a mirror keeps them, so an
id means the same server at every hop of a chain. An upstream without ids (the official
registry, a dump) gets ids *derived* from where the entry comes from and its name (and
version): the same on every re-sync and in every mirror of that upstream, so two mirrors of
the official registry agree on them without talking to each other.
"""

from __future__ import annotations

import uuid
from typing import Final
from urllib.parse import urlsplit

# The namespace of derived ids (a fixed, random UUID: changing it changes every derived id).
_IDS: Final = uuid.UUID("6f1d1c1e-5c38-4d61-9a62-3c1e0b8f0b7a")
_API_SUFFIXES: Final = ("/v0.1", "/v0")


def origin_of(url: str) -> str:
    """What identifies an upstream across mirrors: its URL without scheme, API version or
    trailing slash, host in lower case (``https://Registry.example.com/v0.1/`` and
    ``http://registry.example.com`` are one origin). A path (a dump file) is itself."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return url
    path = parts.path.rstrip("/")
    for suffix in _API_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return f"{parts.netloc.lower()}{path}"


def derived_server_id(origin: str, name: str) -> str:
    return str(uuid.uuid5(_IDS, f"{origin}\n{name}"))


def derived_version_id(origin: str, name: str, version: str) -> str:
    return str(uuid.uuid5(_IDS, f"{origin}\n{name}\n{version}"))
