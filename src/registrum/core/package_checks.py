"""Running each package's ownership check: the one fan-out that a registry's publish
(services/ownership.py) and ``registrum validate --online`` (cli/validate.py) share, so a
publisher's dry run asks the package registries exactly what the registry will ask.

It lives in core because both sides may import core and neither may import the other (the
CLI speaks HTTP only; services do not reach adapters). It sends nothing itself: the
:class:`PackageVerifier` adapters a caller hands in do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from registrum.core.errors import PackageOwnershipError, RegistrumError
from registrum.core.ports import PackageVerifier
from registrum.core.server_json import Package

MAX_CONCURRENT_CHECKS: Final = 8


def check_packages(
    verifiers: Mapping[str, PackageVerifier],
    server_name: str,
    packages: Sequence[Package],
    *,
    max_concurrent: int = MAX_CONCURRENT_CHECKS,
) -> list[RegistrumError | None]:
    """The outcome of each package's check, in the packages' order: None when the package
    exists and names ``server_name``, else the error its verifier raised.

    The checks run concurrently, at most ``max_concurrent`` at once, because each waits on
    a different package registry. A package whose registry type has no verifier is refused
    (:class:`PackageOwnershipError` naming the types there are) without asking anyone.
    """

    def one(package: Package) -> RegistrumError | None:
        verifier = verifiers.get(package.registry_type)
        if verifier is None:
            return PackageOwnershipError(
                f"unsupported registry type: {package.registry_type}; known types: "
                f"{', '.join(sorted(verifiers))}"
            )
        try:
            verifier.verify(package, server_name)
        except RegistrumError as exc:
            return exc
        return None

    if not packages:
        return []
    if len(packages) == 1:
        return [one(packages[0])]  # no thread for a lone check
    workers = min(len(packages), max_concurrent)
    with ThreadPoolExecutor(workers, thread_name_prefix="verify") as pool:
        return list(pool.map(one, packages))
