"""Package ownership checks before a version is stored, as the official registry
checks them.

Every package a document names is checked against its package registry, concurrently (the
fan-out of core/package_checks.py, which ``registrum validate --online`` runs too), and
before the database transaction opens: a slow registry must never hold the write lock (the
official registry moved these checks out of its transaction after an incident). The
outcomes are combined so the publisher learns everything at once:

- any refusal (package or version missing, marker missing or wrong) → one 400 listing every
  refused package, with the transient failures noted beside them;
- otherwise an unusable upstream answer → 502;
- otherwise a rate-limited, failing or silent upstream → 503 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from registrum.core.errors import (
    BadUpstreamError,
    PackageOwnershipError,
    Problem,
    RegistrumError,
    UnavailableError,
    UpstreamUnavailableError,
)
from registrum.core.package_checks import MAX_CONCURRENT_CHECKS, check_packages
from registrum.core.ports import PackageVerifier
from registrum.core.server_json import Package, ServerDetail


@dataclass(frozen=True, slots=True)
class _Failure:
    index: int
    package: Package
    error: RegistrumError

    @property
    def label(self) -> str:
        return f"package {self.index} ({self.package.identifier})"

    def problems(self) -> list[Problem]:
        """The verifier's problems, with paths from the document's root."""
        base = f"packages[{self.index}]"
        own = self.error.problems or (Problem("", self.error.detail),)
        return [
            Problem(f"{base}.{p.path}" if p.path else base, p.message, p.value, rule="ownership")
            for p in own
        ]

    def unchecked(self) -> Problem:
        return Problem(
            f"packages[{self.index}]",
            f"could not be checked: {self.error.detail}",
            rule="ownership",
        )


class OwnershipChecker:
    """Runs the registered :class:`PackageVerifier` of each package's registry type.

    ``verifiers`` maps a registry type to its verifier; a type without one is refused
    with the list of the types this registry checks.
    """

    def __init__(
        self,
        verifiers: Mapping[str, PackageVerifier],
        *,
        max_concurrent: int = MAX_CONCURRENT_CHECKS,
    ) -> None:
        self._verifiers = dict(verifiers)
        self._max_concurrent = max_concurrent

    @property
    def registry_types(self) -> list[str]:
        return sorted(self._verifiers)

    def check(self, document: ServerDetail) -> None:
        packages = list(document.packages or ())
        if not packages:
            return
        unsupported = [
            Problem(
                f"packages[{i}].registryType",
                f"unsupported registry type: {p.registry_type}; this registry checks "
                f"{', '.join(self.registry_types) or 'no package types'}",
                p.registry_type,
                rule="ownership",
            )
            for i, p in enumerate(packages)
            if p.registry_type not in self._verifiers
        ]
        if unsupported:
            raise PackageOwnershipError(
                f"registry validation failed: {unsupported[0].message}", unsupported
            )
        failures = self._run(document.name, packages)
        if failures:
            raise self._combine(failures)

    def _run(self, name: str, packages: list[Package]) -> list[_Failure]:
        outcomes = check_packages(
            self._verifiers, name, packages, max_concurrent=self._max_concurrent
        )
        return [
            _Failure(index, package, error)
            for index, (package, error) in enumerate(zip(packages, outcomes, strict=True))
            if error is not None
        ]

    @staticmethod
    def _combine(failures: list[_Failure]) -> RegistrumError:
        refused = [f for f in failures if isinstance(f.error, PackageOwnershipError)]
        transient = [f for f in failures if isinstance(f.error, UnavailableError)]
        bad = [f for f in failures if f not in refused and f not in transient]
        if refused:
            problems = [p for f in refused for p in f.problems()]
            problems += [f.unchecked() for f in transient + bad]
            more = len(problems) - 1
            detail = f"registry validation failed for {refused[0].label}: {refused[0].error.detail}"
            if more:
                detail += f" (and {more} more problem{'s' if more > 1 else ''}: see errors)"
            return PackageOwnershipError(detail, problems)
        if bad:
            return BadUpstreamError(
                f"registry validation failed for {bad[0].label}: {bad[0].error.detail}",
                [p for f in bad for p in f.problems()],
            )
        waits = [
            f.error.retry_after
            for f in transient
            if isinstance(f.error, UnavailableError) and f.error.retry_after is not None
        ]
        return UpstreamUnavailableError(
            f"registry validation could not finish for {transient[0].label}: "
            f"{transient[0].error.detail}",
            [p for f in transient for p in f.problems()],
            retry_after=max(waits) if waits else None,
        )
