"""The store: one object per concept for reads, and a write transaction exposing the same
concepts for writes.

A write happens inside :meth:`Store.write`, which opens one transaction and holds the
per-server lock of every name given until it commits, so every check made through the
:class:`WriteSession` stays true until the change is stored.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from registrum.core.ports.catalog import ServerWrites, VersionReads, VersionWrites
from registrum.core.ports.changelog import ChangeLogReads, ChangeLogWrites
from registrum.core.ports.mirroring import StagingWrites, UpstreamReads, UpstreamWrites
from registrum.core.ports.names import NameReads, NameWrites
from registrum.core.ports.search import SearchReads


class WriteSession(Protocol):
    """One write transaction, by concept."""

    @property
    def servers(self) -> ServerWrites: ...

    @property
    def versions(self) -> VersionWrites: ...

    @property
    def log(self) -> ChangeLogWrites: ...

    @property
    def names(self) -> NameWrites: ...

    @property
    def upstreams(self) -> UpstreamWrites: ...

    @property
    def staging(self) -> StagingWrites: ...


class ServerStore(Protocol):
    """Reads by concept, and :meth:`write` for a transaction."""

    @property
    def versions(self) -> VersionReads: ...

    @property
    def log(self) -> ChangeLogReads: ...

    @property
    def names(self) -> NameReads: ...

    @property
    def upstreams(self) -> UpstreamReads: ...

    @property
    def search(self) -> SearchReads: ...

    def write(self, *names: str) -> AbstractContextManager[WriteSession]:
        """One transaction holding the per-server lock of every name given."""
        ...
