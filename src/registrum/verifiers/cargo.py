"""cargo: placeholder, being written."""

from __future__ import annotations

from typing import ClassVar

from registrum.core.server_json import Package
from registrum.verifiers.fetching import Fetcher
from registrum.verifiers.upstreams import EntryKind, Upstreams


class CargoVerifier:
    registry_type: ClassVar[str] = "cargo"
    entries: ClassVar[EntryKind] = "base-url"

    def __init__(self, upstreams: Upstreams, fetcher: Fetcher) -> None:
        self._upstreams = upstreams
        self._fetcher = fetcher

    def verify(self, package: Package, server_name: str) -> None:
        raise NotImplementedError
