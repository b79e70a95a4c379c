"""Every storage port has two implementations, the SQL store and the in-memory one the
service unit tests use; both offer every method of each port with the port's parameters,
and no port grows past a dozen methods."""

from __future__ import annotations

import inspect

import pytest

from registrum.core import ports
from registrum.storage import changelog, listing, mirroring, names, search, servers, versions
from registrum.storage.store import SqlServerStore, SqlWriteSession
from tests.fakes import memory_store as memory

# port -> (SQL implementation, in-memory implementation)
IMPLEMENTATIONS = {
    ports.ServerWrites: (servers.SqlServers, memory._Servers),
    ports.VersionWrites: (versions.SqlVersions, memory._Versions),
    ports.ChangeLogWrites: (changelog.SqlChangeLog, memory._Log),
    ports.NameWrites: (names.SqlNames, memory._Names),
    ports.UpstreamWrites: (mirroring.SqlUpstreams, memory._Upstreams),
    ports.StagingWrites: (mirroring.SqlStaging, memory._Staging),
    ports.VersionReads: (listing.SqlVersionReads, memory._VersionReads),
    ports.ChangeLogReads: (changelog.SqlChangeLogReads, memory._LogReads),
    ports.NameReads: (names.SqlNameReads, memory._NameReads),
    ports.UpstreamReads: (mirroring.SqlUpstreamReads, memory._Upstreams),
    ports.SearchReads: (search.SqlSearchReads, memory._SearchReads),
}
GROUPS = {
    ports.WriteSession: (SqlWriteSession, memory.MemoryWriteSession),
    ports.ServerStore: (SqlServerStore, memory.MemoryStore),
}


def methods(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


def parameters(signature: inspect.Signature) -> list[str]:
    return [p for p in signature.parameters if p != "self"]


def test_every_storage_port_is_listed() -> None:
    storage_ports = {
        getattr(ports, name) for name in ports.__all__ if name.endswith(("Writes", "Reads"))
    }
    assert storage_ports == set(IMPLEMENTATIONS)


@pytest.mark.parametrize("port", list(IMPLEMENTATIONS), ids=lambda p: p.__name__)
def test_each_implementation_has_every_method_with_its_parameters(port: type) -> None:
    wanted = methods(port)
    assert 0 < len(wanted) <= 12, f"{port.__name__} has {len(wanted)} methods"
    for implementation in IMPLEMENTATIONS[port]:
        for name, signature in wanted.items():
            member = getattr(implementation, name, None)
            assert member is not None, f"{implementation.__name__} lacks {port.__name__}.{name}"
            got = parameters(inspect.signature(member))
            assert got == parameters(signature), f"{implementation.__name__}.{name}: {got}"


@pytest.mark.parametrize("group", list(GROUPS), ids=lambda p: p.__name__)
def test_the_store_and_the_write_session_expose_every_concept(group: type) -> None:
    concepts = [n for n, m in vars(group).items() if isinstance(m, property)]
    assert concepts
    for implementation in GROUPS[group]:
        assert hasattr(implementation, "write") or group is ports.WriteSession
        # The concepts are attributes set in __init__: look at an instance's source.
        source = inspect.getsource(implementation.__init__)
        for concept in concepts:
            assert f"self.{concept} = " in source, f"{implementation.__name__}.{concept}"
