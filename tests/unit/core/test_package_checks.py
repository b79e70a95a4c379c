"""The package-check fan-out both a registry's publish and ``registrum validate --online`` run:
one outcome per package, in order; checks side by side; an unknown type refused unasked.

The verifiers here stand in for package registries (the adapters behind the port), which a
unit test has no network to reach; the functional tests run the real ones against fakes."""

from __future__ import annotations

import threading

import pytest

from registrum.core.errors import (
    PackageOwnershipError,
    RegistrumError,
    UpstreamUnavailableError,
)
from registrum.core.package_checks import check_packages
from registrum.core.ports import PackageVerifier
from registrum.core.server_json import Package

NAME = "io.github.alice/weather"


def package(registry_type: str, identifier: str) -> Package:
    return Package.model_validate(
        {"registryType": registry_type, "identifier": identifier, "transport": {"type": "stdio"}}
    )


class Answers:
    """A package registry that answers from a table: nothing for a package that names the
    server, else the error to raise. It records who asked, from which thread."""

    def __init__(self, registry_type: str, errors: dict[str, RegistrumError]) -> None:
        self.registry_type = registry_type
        self.errors = errors
        self.asked: list[str] = []
        self.barrier: threading.Barrier | None = None

    def verify(self, package: Package, server_name: str) -> None:
        assert server_name == NAME
        self.asked.append(package.identifier)
        if self.barrier is not None:
            self.barrier.wait()  # breaks (and raises) unless every check runs at once
        error = self.errors.get(package.identifier)
        if error is not None:
            raise error


def test_one_outcome_per_package_in_order() -> None:
    refused = PackageOwnershipError("no mcpName")
    later = UpstreamUnavailableError("rate limited")
    npm = Answers("npm", {"b": refused})
    pypi = Answers("pypi", {"c": later})
    verifiers: dict[str, PackageVerifier] = {"npm": npm, "pypi": pypi}
    packages = [package("npm", "a"), package("npm", "b"), package("pypi", "c")]

    outcomes = check_packages(verifiers, NAME, packages)

    assert outcomes == [None, refused, later]
    assert sorted(npm.asked) == ["a", "b"]
    assert pypi.asked == ["c"]


def test_an_unknown_registry_type_is_refused_without_asking_anyone() -> None:
    npm = Answers("npm", {})
    outcomes = check_packages({"npm": npm}, NAME, [package("gem", "x"), package("npm", "a")])

    assert isinstance(outcomes[0], PackageOwnershipError)
    assert outcomes[0].detail == "unsupported registry type: gem; known types: npm"
    assert outcomes[1] is None
    assert npm.asked == ["a"]


def test_the_checks_run_side_by_side_up_to_the_limit() -> None:
    npm = Answers("npm", {})
    npm.barrier = threading.Barrier(3, timeout=5)
    packages = [package("npm", str(i)) for i in range(3)]

    assert check_packages({"npm": npm}, NAME, packages) == [None, None, None]

    # Two at a time cannot all meet at a barrier of three.
    npm.barrier = threading.Barrier(3, timeout=0.5)
    with pytest.raises(threading.BrokenBarrierError):
        check_packages({"npm": npm}, NAME, packages, max_concurrent=2)


def test_no_packages_no_checks() -> None:
    assert check_packages({}, NAME, []) == []
