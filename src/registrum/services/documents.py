"""Turning a validated document into the canonical text the registry stores."""

from __future__ import annotations

from typing import Any

import orjson

from registrum.core import wire
from registrum.core.server_json import ServerDetail


def canonical_body(document: ServerDetail) -> str:
    """The stored text: known members only, and of ``_meta`` only the publisher-provided
    extension, as the official registry keeps it."""
    data: dict[str, Any] = document.canonical()
    meta = data.pop("_meta", None)
    if isinstance(meta, dict) and wire.PUBLISHER_META in meta:
        data["_meta"] = {wire.PUBLISHER_META: meta[wire.PUBLISHER_META]}
    return orjson.dumps(data).decode()
