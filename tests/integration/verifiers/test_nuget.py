"""The NuGet verifier against a fake NuGet v3 feed (service index, flat container, READMEs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from registrum.core.errors import (
    BadUpstreamError,
    PackageOwnershipError,
    UpstreamUnavailableError,
)
from registrum.core.ports import PackageVerifier
from registrum.verifiers import nuget as nuget_module
from tests.fakes.nuget import FakeNuGet
from tests.integration.verifiers.conftest import (
    NAME,
    STALL,
    TIMEOUT,
    MakeVerifier,
    package,
    refusal,
)

IDENT = "Example.WeatherMcp"
README = f"# Weather\n\nForecasts for MCP clients.\n\nmcp-name: {NAME}\n"
INDEX = "/v3/index.json"


@pytest.fixture
def nuget() -> Iterator[FakeNuGet]:
    with FakeNuGet() as fake:
        yield fake


@pytest.fixture
def verifier(nuget: FakeNuGet, make_verifier: MakeVerifier) -> PackageVerifier:
    return make_verifier("nuget", nuget.index_url)


def test_ownership_proven(nuget: FakeNuGet, verifier: PackageVerifier) -> None:
    nuget.add(IDENT, "1.2.0", readme=README)
    verifier.verify(package("nuget", IDENT, "1.2.0"), NAME)
    assert nuget.faults.paths() == [INDEX, "/v3-flatcontainer/example.weathermcp/1.2.0/readme"]


def test_readme_template_is_filled_lower_case_without_build_metadata(
    nuget: FakeNuGet, verifier: PackageVerifier
) -> None:
    nuget.add(IDENT, "1.2.0-Beta", readme=README)
    verifier.verify(package("nuget", IDENT, "1.2.0-Beta+Build.7"), NAME)
    assert nuget.faults.paths() == [
        INDEX,
        "/v3-flatcontainer/example.weathermcp/1.2.0-beta/readme",
    ]


def test_service_index_is_read_once_for_many_checks(
    nuget: FakeNuGet, verifier: PackageVerifier
) -> None:
    nuget.add(IDENT, "1.0.0", readme=README)
    nuget.add(IDENT, "1.1.0", readme=README)
    verifier.verify(package("nuget", IDENT, "1.0.0"), NAME)
    verifier.verify(package("nuget", IDENT, "1.1.0"), NAME)
    assert nuget.faults.paths().count(INDEX) == 1
    assert len(nuget.faults.paths()) == 3


def test_service_index_is_read_again_after_an_hour(
    nuget: FakeNuGet, verifier: PackageVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    nuget.add(IDENT, "1.0.0", readme=README)
    now = 1000.0
    monkeypatch.setattr(nuget_module, "monotonic", lambda: now)
    verifier.verify(package("nuget", IDENT, "1.0.0"), NAME)
    now += 3599
    verifier.verify(package("nuget", IDENT, "1.0.0"), NAME)
    assert nuget.faults.paths().count(INDEX) == 1
    now += 2
    verifier.verify(package("nuget", IDENT, "1.0.0"), NAME)
    assert nuget.faults.paths().count(INDEX) == 2


def test_service_index_without_a_readme_resource(
    nuget: FakeNuGet, verifier: PackageVerifier
) -> None:
    nuget.add(IDENT, "1.0.0", readme=README)
    nuget.serve_readme_resource = False
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, BadUpstreamError)
    assert "ReadmeUriTemplate/6.13.0" in err.detail
    assert nuget.index_url in err.detail
    # Not kept: once the feed serves it, checks work.
    nuget.serve_readme_resource = True
    verifier.verify(package("nuget", IDENT, "1.0.0"), NAME)


def test_service_index_not_found(nuget: FakeNuGet, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier("nuget", f"{nuget.url}/v2")
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, BadUpstreamError)
    assert f"answered 404 for its service index {nuget.url}/v2" in err.detail


def test_marker_missing_shows_the_line_to_add(nuget: FakeNuGet, verifier: PackageVerifier) -> None:
    nuget.add(IDENT, "1.0.0", readme="# Weather\n")
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"NuGet package '{IDENT}' version '1.0.0' ownership validation failed" in err.detail
    assert (
        f"Add this line to the README packed in the .nupkg: mcp-name: {NAME}, and publish a "
        "new version"
    ) in err.detail
    assert err.problems[0].path == "identifier"


def test_marker_for_another_name(nuget: FakeNuGet, verifier: PackageVerifier) -> None:
    nuget.add(IDENT, "1.0.0", readme="mcp-name: io.github.mallory/weather\n")
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"names 'io.github.mallory/weather', not '{NAME}'" in err.detail


def test_marker_glued_to_a_longer_name(nuget: FakeNuGet, verifier: PackageVerifier) -> None:
    nuget.add(IDENT, "1.0.0", readme=f"See mcp-name: {NAME}.v2 for details\n")
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"README has 'mcp-name: {NAME}.v2', which names a longer name" in err.detail
    assert "end the name with a space or line break" in err.detail


def test_package_missing(nuget: FakeNuGet, verifier: PackageVerifier) -> None:
    err = refusal(verifier, package("nuget", "Nobody.Published.This", "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "NuGet package 'Nobody.Published.This' does not exist" in err.detail
    assert err.problems[0].path == "identifier"
    assert nuget.faults.paths()[1:] == [
        "/v3-flatcontainer/nobody.published.this/1.0.0/readme",
        "/v3-flatcontainer/nobody.published.this/index.json",
    ]


def test_version_missing(nuget: FakeNuGet, verifier: PackageVerifier) -> None:
    nuget.add(IDENT, "1.0.0", readme=README)
    err = refusal(verifier, package("nuget", IDENT, "9.9.9"))
    assert isinstance(err, PackageOwnershipError)
    assert f"NuGet package '{IDENT}' has no version '9.9.9'" in err.detail
    assert err.problems[0].path == "version"


def test_no_embedded_readme(nuget: FakeNuGet, verifier: PackageVerifier) -> None:
    nuget.add(IDENT, "1.0.0-RC1", readme=None)
    err = refusal(verifier, package("nuget", IDENT, "1.0.0-RC1"))
    assert isinstance(err, PackageOwnershipError)
    assert f"NuGet package '{IDENT}' version '1.0.0-RC1' does not have an embedded README" in (
        err.detail
    )
    assert f"Add a README holding the line mcp-name: {NAME} to the .nupkg" in err.detail
    assert err.problems[0].path == "identifier"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_retryable(
    nuget: FakeNuGet, verifier: PackageVerifier, status: int
) -> None:
    nuget.faults.status = status
    nuget.faults.retry_after = "7"
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert f"answered {status}" in err.detail
    assert "retry later" in err.detail
    assert err.retry_after == 7


def test_server_error_on_the_readme_is_retryable(
    nuget: FakeNuGet, verifier: PackageVerifier
) -> None:
    nuget.add(IDENT, "1.0.0", readme=README)
    verifier.verify(package("nuget", IDENT, "1.0.0"), NAME)  # the index is now kept
    nuget.faults.status = 503
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert "/readme" in err.detail


def test_timeout_is_retryable(nuget: FakeNuGet, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier("nuget", nuget.index_url, timeout=TIMEOUT)
    nuget.add(IDENT, "1.0.0", readme=README)
    nuget.faults.delay = STALL
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert "did not answer within 1 s" in err.detail


def test_unreachable_registry_is_retryable(make_verifier: MakeVerifier) -> None:
    with FakeNuGet() as gone:
        url = gone.index_url
    err = refusal(make_verifier("nuget", url), package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert "could not be reached" in err.detail


def test_oversized_answer_is_refused_without_reading_it_all(
    nuget: FakeNuGet, make_verifier: MakeVerifier
) -> None:
    nuget.add(IDENT, "1.0.0", readme=README)
    nuget.faults.oversize = 200_000
    verifier = make_verifier("nuget", nuget.index_url, max_response_bytes=100_000)
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, BadUpstreamError)
    assert "larger than 100,000 bytes" in err.detail
    assert "MCP_REGISTRY_VERIFY_MAX_RESPONSE_BYTES" in err.detail


def test_version_is_required_and_sha_forbidden(nuget: FakeNuGet, verifier: PackageVerifier) -> None:
    err = refusal(verifier, package("nuget", IDENT))
    assert err.problems[0].path == "version"
    assert "package version is required for NuGet packages" in err.detail
    err = refusal(verifier, package("nuget", IDENT, "1.0.0", fileSha256="a" * 64))
    assert err.problems[0].path == "fileSha256"
    assert "NuGet packages must not have 'fileSha256'" in err.detail
    assert nuget.faults.paths() == []


def test_base_url_must_be_configured(nuget: FakeNuGet, make_verifier: MakeVerifier) -> None:
    nuget.add(IDENT, "1.0.0", readme=README)
    named = "https://nuget.example.com/v3/index.json"
    mirror = make_verifier(
        "nuget", f"{named}={nuget.index_url}, https://other.example/v3/index.json"
    )
    # Named by the document (trailing slash and host case do not matter), fetched from the
    # mirror, whose service index points at itself.
    mirror.verify(
        package(
            "nuget",
            IDENT,
            "1.0.0",
            registryBaseUrl="https://NUGET.example.com/v3/index.json/",
        ),
        NAME,
    )
    err = refusal(mirror, package("nuget", IDENT, "1.0.0", registryBaseUrl="https://evil.example"))
    assert err.problems[0].path == "registryBaseUrl"
    assert f"Expected one of: {named}, https://other.example/v3/index.json" in err.detail


def test_unconfigured_type_names_the_setting(make_verifier: MakeVerifier) -> None:
    err = refusal(make_verifier("nuget", ""), package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "MCP_REGISTRY_NUGET_REGISTRY_URLS" in err.detail
    assert "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION=false" in err.detail


def test_private_package(nuget: FakeNuGet, verifier: PackageVerifier) -> None:
    nuget.add(IDENT, "1.0.0", readme=README)
    verifier.verify(package("nuget", IDENT, "1.0.0"), NAME)  # the index is now kept
    nuget.faults.status = 403
    err = refusal(verifier, package("nuget", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "private" in err.detail
