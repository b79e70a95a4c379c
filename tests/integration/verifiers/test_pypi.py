"""The PyPI verifier against a fake PyPI speaking the JSON API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from registrum.core.errors import (
    BadUpstreamError,
    PackageOwnershipError,
    UpstreamUnavailableError,
)
from registrum.core.ports import PackageVerifier
from tests.fakes.pypi import FakePyPi
from tests.integration.verifiers.conftest import (
    NAME,
    STALL,
    TIMEOUT,
    MakeVerifier,
    package,
    refusal,
)

IDENT = "weather-mcp"
README = f"# Weather\n\nForecasts for MCP clients.\n\nmcp-name: {NAME}\n"


@pytest.fixture
def pypi() -> Iterator[FakePyPi]:
    with FakePyPi() as fake:
        yield fake


@pytest.fixture
def verifier(pypi: FakePyPi, make_verifier: MakeVerifier) -> PackageVerifier:
    return make_verifier("pypi", pypi.url)


def test_ownership_proven(pypi: FakePyPi, verifier: PackageVerifier) -> None:
    pypi.add(IDENT, "1.2.0", readme=README)
    verifier.verify(package("pypi", IDENT, "1.2.0"), NAME)
    assert pypi.faults.paths() == ["/pypi/weather-mcp/1.2.0/json"]


def test_identifier_and_version_are_escaped_and_redirects_followed(
    pypi: FakePyPi, verifier: PackageVerifier
) -> None:
    pypi.add("Weather_MCP", "1.0+local", readme=README)
    verifier.verify(package("pypi", "weather.mcp", "1.0+local"), NAME)
    # A differently spelled name is redirected to the registered one, as PyPI does.
    assert pypi.faults.paths() == [
        "/pypi/weather.mcp/1.0%2Blocal/json",
        "/pypi/Weather_MCP/1.0%2Blocal/json",
    ]


def test_marker_missing_shows_the_line_to_add(pypi: FakePyPi, verifier: PackageVerifier) -> None:
    pypi.add(IDENT, "1.0.0", readme="# Weather\n")
    err = refusal(verifier, package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"PyPI package '{IDENT}' version '1.0.0' ownership validation failed" in err.detail
    assert (
        "Add this line to your README (the package's long description): "
        f"mcp-name: {NAME}, and publish a new version"
    ) in err.detail
    assert err.problems[0].path == "identifier"


def test_marker_for_another_name(pypi: FakePyPi, verifier: PackageVerifier) -> None:
    pypi.add(IDENT, "1.0.0", readme="mcp-name: io.github.mallory/weather\n")
    err = refusal(verifier, package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"names 'io.github.mallory/weather', not '{NAME}'" in err.detail
    assert f"change the line to mcp-name: {NAME}" in err.detail


def test_marker_with_the_name_but_the_wrong_spacing(
    pypi: FakePyPi, verifier: PackageVerifier
) -> None:
    pypi.add(IDENT, "1.0.0", readme=f"mcp-name:{NAME}\n")
    err = refusal(verifier, package("pypi", IDENT, "1.0.0"))
    assert f"names '{NAME}' but not as 'mcp-name: {NAME}' (exactly one space" in err.detail


def test_marker_glued_to_a_longer_name(pypi: FakePyPi, verifier: PackageVerifier) -> None:
    pypi.add(IDENT, "1.0.0", readme=f"mcp-name: {NAME}-extra\n")
    err = refusal(verifier, package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"README has 'mcp-name: {NAME}-extra', which names a longer name" in err.detail
    assert "end the name with a space or line break" in err.detail


def test_package_missing(pypi: FakePyPi, verifier: PackageVerifier) -> None:
    err = refusal(verifier, package("pypi", "nobody-published-this", "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "PyPI package 'nobody-published-this' does not exist" in err.detail
    assert err.problems[0].path == "identifier"
    assert pypi.faults.paths() == [
        "/pypi/nobody-published-this/1.0.0/json",
        "/pypi/nobody-published-this/json",
    ]


def test_version_missing(pypi: FakePyPi, verifier: PackageVerifier) -> None:
    pypi.add(IDENT, "1.0.0", readme=README)
    err = refusal(verifier, package("pypi", IDENT, "9.9.9"))
    assert isinstance(err, PackageOwnershipError)
    assert f"PyPI package '{IDENT}' has no version '9.9.9'" in err.detail
    assert err.problems[0].path == "version"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_retryable(
    pypi: FakePyPi, verifier: PackageVerifier, status: int
) -> None:
    pypi.faults.status = status
    pypi.faults.retry_after = "7"
    err = refusal(verifier, package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert f"answered {status}" in err.detail
    assert "retry later" in err.detail
    assert err.retry_after == 7


def test_timeout_is_retryable(pypi: FakePyPi, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier("pypi", pypi.url, timeout=TIMEOUT)
    pypi.add(IDENT, "1.0.0", readme=README)
    pypi.faults.delay = STALL
    err = refusal(verifier, package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert "did not answer within 1 s" in err.detail


def test_unreachable_registry_is_retryable(make_verifier: MakeVerifier) -> None:
    with FakePyPi() as gone:
        url = gone.url
    err = refusal(make_verifier("pypi", url), package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert "could not be reached" in err.detail


def test_oversized_answer_is_refused_without_reading_it_all(
    pypi: FakePyPi, make_verifier: MakeVerifier
) -> None:
    pypi.add(IDENT, "1.0.0", readme=README)
    pypi.faults.oversize = 200_000
    verifier = make_verifier("pypi", pypi.url, max_response_bytes=100_000)
    err = refusal(verifier, package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, BadUpstreamError)
    assert "larger than 100,000 bytes" in err.detail
    assert "MCP_REGISTRY_VERIFY_MAX_RESPONSE_BYTES" in err.detail


def test_version_is_required_and_sha_forbidden(pypi: FakePyPi, verifier: PackageVerifier) -> None:
    err = refusal(verifier, package("pypi", IDENT))
    assert err.problems[0].path == "version"
    assert "package version is required for PyPI packages" in err.detail
    err = refusal(verifier, package("pypi", IDENT, "1.0.0", fileSha256="a" * 64))
    assert err.problems[0].path == "fileSha256"
    assert "PyPI packages must not have 'fileSha256'" in err.detail
    assert pypi.faults.paths() == []


def test_base_url_must_be_configured(pypi: FakePyPi, make_verifier: MakeVerifier) -> None:
    pypi.add(IDENT, "1.0.0", readme=README)
    mirror = make_verifier("pypi", f"https://pypi.example.com={pypi.url}, https://other.example")
    # Named by the document (trailing slash and case do not matter), fetched from the mirror.
    mirror.verify(
        package("pypi", IDENT, "1.0.0", registryBaseUrl="https://PYPI.example.com/"), NAME
    )
    err = refusal(mirror, package("pypi", IDENT, "1.0.0", registryBaseUrl="https://evil.example"))
    assert err.problems[0].path == "registryBaseUrl"
    assert "Expected one of: https://pypi.example.com, https://other.example" in err.detail


def test_unconfigured_type_names_the_setting(make_verifier: MakeVerifier) -> None:
    err = refusal(make_verifier("pypi", ""), package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "MCP_REGISTRY_PYPI_REGISTRY_URLS" in err.detail
    assert "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION=false" in err.detail


def test_private_package(pypi: FakePyPi, verifier: PackageVerifier) -> None:
    pypi.faults.status = 403
    err = refusal(verifier, package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "private" in err.detail


def test_other_statuses_are_refused_with_the_status(
    pypi: FakePyPi, verifier: PackageVerifier
) -> None:
    pypi.faults.status = 410
    err = refusal(verifier, package("pypi", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"answered 410 for PyPI package '{IDENT}'" in err.detail
