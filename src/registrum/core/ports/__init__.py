"""Ports: what the services need from the outside world, as small Protocols, one module
per concept (the catalog, search, the change log, names, the mirror, outside parties) and the store
that groups them (:mod:`registrum.core.ports.store`)."""

from registrum.core.ports.catalog import (
    Ownership,
    ServerWrites,
    VersionReads,
    VersionWrites,
)
from registrum.core.ports.changelog import ChangeLogReads, ChangeLogWrites
from registrum.core.ports.mirroring import (
    KnownKeys,
    StagingWrites,
    UpstreamBatch,
    UpstreamReader,
    UpstreamReads,
    UpstreamWrites,
)
from registrum.core.ports.names import NameReads, NameWrites
from registrum.core.ports.outside import IdentityProvider, PackageVerifier
from registrum.core.ports.search import SearchReads
from registrum.core.ports.store import ServerStore, WriteSession

__all__ = [
    "ChangeLogReads",
    "ChangeLogWrites",
    "IdentityProvider",
    "KnownKeys",
    "NameReads",
    "NameWrites",
    "Ownership",
    "PackageVerifier",
    "SearchReads",
    "ServerStore",
    "ServerWrites",
    "StagingWrites",
    "UpstreamBatch",
    "UpstreamReader",
    "UpstreamReads",
    "UpstreamWrites",
    "VersionReads",
    "VersionWrites",
    "WriteSession",
]
