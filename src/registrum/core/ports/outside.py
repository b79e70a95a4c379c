"""Ports to parties outside the registry: identity providers and package registries."""

from __future__ import annotations

from typing import Any, Protocol

from registrum.core.permissions import Principal
from registrum.core.server_json import Package


class IdentityProvider(Protocol):
    """One login method: checks a proof of identity and says what it grants.

    ``exchange`` receives the decoded request body (``None`` when there is none) and raises
    :class:`registrum.core.errors.AuthenticationError` when the proof does not hold. Outside
    calls (GitHub, DNS, HTTPS) happen here, never inside a database transaction.
    """

    method: str

    def exchange(self, body: Any) -> Principal: ...


class PackageVerifier(Protocol):
    """Proves that one package belongs to a server by asking its package registry.

    ``verify`` returns when the package exists and names ``server_name``, and otherwise
    raises :class:`~registrum.core.errors.PackageOwnershipError` (the publisher must change
    something), :class:`~registrum.core.errors.UpstreamUnavailableError` (retry later) or
    :class:`~registrum.core.errors.BadUpstreamError`. Problem paths are relative to the
    package entry (``identifier``, ``version``). It runs outside any database transaction,
    on a worker thread, possibly beside other verifiers.
    """

    registry_type: str

    def verify(self, package: Package, server_name: str) -> None: ...
