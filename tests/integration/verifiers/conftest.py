"""Verifiers built as the registry builds them (entry points, settings), pointed at fake
package registries on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from registrum.core.errors import RegistrumError
from registrum.core.ports import PackageVerifier
from registrum.core.server_json import Package
from registrum.verifiers.catalog import VerificationConfig, build

NAME = "io.github.alice/weather"
# The timeout cases ask for TIMEOUT (short, so they stay quick); every other case gets
# GENEROUS, so a loaded CI machine never turns a slow loopback answer into a failure.
TIMEOUT = 1.0
STALL = 3.0  # how long a "slow" fake waits: well past TIMEOUT
GENEROUS = 15.0

MakeVerifier = Callable[..., PackageVerifier]


@pytest.fixture
def make_verifier() -> Iterator[MakeVerifier]:
    fetchers = []

    def make(registry_type: str, urls: str, **config: Any) -> PackageVerifier:
        options: dict[str, Any] = {"timeout": GENEROUS, **config}
        verifiers, fetcher = build(
            VerificationConfig(registry_urls={registry_type: urls}, **options)
        )
        fetchers.append(fetcher)
        return verifiers[registry_type]

    yield make
    for fetcher in fetchers:
        fetcher.close()


def package(registry_type: str, identifier: str, version: str | None = None, **members: Any):
    raw: dict[str, Any] = {
        "registryType": registry_type,
        "identifier": identifier,
        "transport": {"type": "stdio"},
        **members,
    }
    if version is not None:
        raw["version"] = version
    return Package.model_validate(raw)


def refusal(verifier: PackageVerifier, pkg: Package, name: str = NAME) -> RegistrumError:
    """Run the check, which must fail; return the error."""
    with pytest.raises(RegistrumError) as info:
        verifier.verify(pkg, name)
    return info.value
