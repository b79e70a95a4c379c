"""The Cargo verifier against a fake crates registry (web API and rendered READMEs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from registrum.core.errors import (
    BadUpstreamError,
    PackageOwnershipError,
    UpstreamUnavailableError,
)
from registrum.core.ports import PackageVerifier
from tests.fakes.crates import FakeCrates, ReadmeAnswer
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
API = "/api/v1/crates/weather-mcp"


@pytest.fixture
def crates() -> Iterator[FakeCrates]:
    with FakeCrates() as fake:
        yield fake


@pytest.fixture
def verifier(crates: FakeCrates, make_verifier: MakeVerifier) -> PackageVerifier:
    return make_verifier("cargo", crates.url)


def test_ownership_proven_through_the_json_readme_pointer(
    crates: FakeCrates, verifier: PackageVerifier
) -> None:
    crates.add(IDENT, "1.2.0", readme=README)
    verifier.verify(package("cargo", IDENT, "1.2.0"), NAME)
    assert crates.faults.paths() == [
        f"{API}/1.2.0",
        f"{API}/1.2.0/readme",
        "/readmes/weather-mcp/weather-mcp-1.2.0.html",
    ]
    # Both API calls ask for JSON (the README endpoint redirects otherwise).
    accepts = [r.header("accept") for r in crates.faults.requests[:2]]
    assert accepts == ["application/json", "application/json"]


def test_ownership_proven_from_an_html_answer(
    crates: FakeCrates, verifier: PackageVerifier
) -> None:
    crates.add(IDENT, "1.2.0", readme=README)
    crates.readme_answer = "html"
    verifier.verify(package("cargo", IDENT, "1.2.0"), NAME)
    assert crates.faults.paths() == [f"{API}/1.2.0", f"{API}/1.2.0/readme"]


def test_ownership_proven_through_a_redirect_to_the_html(
    crates: FakeCrates, verifier: PackageVerifier
) -> None:
    crates.add(IDENT, "1.2.0", readme=README)
    crates.readme_answer = "redirect"
    verifier.verify(package("cargo", IDENT, "1.2.0"), NAME)
    assert crates.faults.paths()[-1] == "/readmes/weather-mcp/weather-mcp-1.2.0.html"


def test_marker_ends_at_the_closing_tag(crates: FakeCrates, verifier: PackageVerifier) -> None:
    # Rendered as <p>mcp-name: NAME</p>: the '<' right after the name ends it.
    crates.add(IDENT, "1.0.0", readme=f"mcp-name: {NAME}")
    verifier.verify(package("cargo", IDENT, "1.0.0"), NAME)


def test_marker_in_an_html_comment_is_not_rendered(
    crates: FakeCrates, verifier: PackageVerifier
) -> None:
    crates.add(IDENT, "1.0.0", readme=f"# Weather\n\n<!-- mcp-name: {NAME} -->\n")
    err = refusal(verifier, package("cargo", IDENT, "1.0.0"))
    assert "as visible text (the rendered README drops HTML comments)" in err.detail


def test_marker_missing_shows_the_line_to_add(
    crates: FakeCrates, verifier: PackageVerifier
) -> None:
    crates.add(IDENT, "1.0.0", readme="# Weather\n")
    err = refusal(verifier, package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"Cargo package '{IDENT}' version '1.0.0' ownership validation failed" in err.detail
    assert (
        "Add this line to the crate's README, as visible text (the rendered README drops HTML "
        f"comments): mcp-name: {NAME}, and publish a new version" in err.detail
    )
    assert err.problems[0].path == "identifier"


def test_marker_for_another_name(crates: FakeCrates, verifier: PackageVerifier) -> None:
    crates.add(IDENT, "1.0.0", readme="mcp-name: io.github.mallory/weather\n")
    err = refusal(verifier, package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"names 'io.github.mallory/weather', not '{NAME}'" in err.detail


def test_marker_glued_to_a_longer_name(crates: FakeCrates, verifier: PackageVerifier) -> None:
    crates.add(IDENT, "1.0.0", readme=f"mcp-name: {NAME}-extra\n")
    err = refusal(verifier, package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"README has 'mcp-name: {NAME}-extra', which names a longer name" in err.detail
    assert "end the name with a space or line break" in err.detail


def test_package_missing(crates: FakeCrates, verifier: PackageVerifier) -> None:
    err = refusal(verifier, package("cargo", "nobody-published-this", "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "Cargo package 'nobody-published-this' does not exist" in err.detail
    assert err.problems[0].path == "identifier"
    assert crates.faults.paths() == [
        "/api/v1/crates/nobody-published-this/1.0.0",
        "/api/v1/crates/nobody-published-this",
    ]


def test_version_missing(crates: FakeCrates, verifier: PackageVerifier) -> None:
    crates.add(IDENT, "1.0.0", readme=README)
    err = refusal(verifier, package("cargo", IDENT, "9.9.9"))
    assert isinstance(err, PackageOwnershipError)
    assert f"Cargo package '{IDENT}' has no version '9.9.9'" in err.detail
    assert err.problems[0].path == "version"


@pytest.mark.parametrize("answer", ["json", "redirect", "html"])
def test_version_without_a_readme(
    crates: FakeCrates, verifier: PackageVerifier, answer: ReadmeAnswer
) -> None:
    crates.add(IDENT, "1.0.0", readme=None)
    crates.readme_answer = answer
    err = refusal(verifier, package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"Cargo package '{IDENT}' version '1.0.0' has no README" in err.detail
    assert f"Add this line to the crate's README: mcp-name: {NAME}" in err.detail


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_retryable(
    crates: FakeCrates, verifier: PackageVerifier, status: int
) -> None:
    crates.faults.status = status
    crates.faults.retry_after = "7"
    err = refusal(verifier, package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert f"answered {status}" in err.detail
    assert "retry later" in err.detail
    assert err.retry_after == 7


def test_timeout_is_retryable(crates: FakeCrates, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier("cargo", crates.url, timeout=TIMEOUT)
    crates.add(IDENT, "1.0.0", readme=README)
    crates.faults.delay = STALL
    err = refusal(verifier, package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert "did not answer within 1 s" in err.detail


def test_unreachable_registry_is_retryable(make_verifier: MakeVerifier) -> None:
    with FakeCrates() as gone:
        url = gone.url
    err = refusal(make_verifier("cargo", url), package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert "could not be reached" in err.detail


def test_oversized_answer_is_refused_without_reading_it_all(
    crates: FakeCrates, make_verifier: MakeVerifier
) -> None:
    crates.add(IDENT, "1.0.0", readme=README)
    crates.faults.oversize = 200_000
    verifier = make_verifier("cargo", crates.url, max_response_bytes=100_000)
    err = refusal(verifier, package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, BadUpstreamError)
    assert "larger than 100,000 bytes" in err.detail
    assert "MCP_REGISTRY_VERIFY_MAX_RESPONSE_BYTES" in err.detail


def test_version_is_required_and_sha_forbidden(
    crates: FakeCrates, verifier: PackageVerifier
) -> None:
    err = refusal(verifier, package("cargo", IDENT))
    assert err.problems[0].path == "version"
    assert "package version is required for Cargo packages" in err.detail
    err = refusal(verifier, package("cargo", IDENT, "1.0.0", fileSha256="a" * 64))
    assert err.problems[0].path == "fileSha256"
    assert "Cargo packages must not have 'fileSha256'" in err.detail
    assert crates.faults.paths() == []


def test_base_url_must_be_configured(crates: FakeCrates, make_verifier: MakeVerifier) -> None:
    crates.add(IDENT, "1.0.0", readme=README)
    mirror = make_verifier(
        "cargo", f"https://crates.example.com={crates.url}, https://other.example"
    )
    # Named by the document (trailing slash and case do not matter), fetched from the mirror.
    mirror.verify(
        package("cargo", IDENT, "1.0.0", registryBaseUrl="https://CRATES.example.com/"), NAME
    )
    err = refusal(mirror, package("cargo", IDENT, "1.0.0", registryBaseUrl="https://evil.example"))
    assert err.problems[0].path == "registryBaseUrl"
    assert "Expected one of: https://crates.example.com, https://other.example" in err.detail


def test_unconfigured_type_names_the_setting(make_verifier: MakeVerifier) -> None:
    err = refusal(make_verifier("cargo", ""), package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "MCP_REGISTRY_CARGO_REGISTRY_URLS" in err.detail
    assert "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION=false" in err.detail


def test_private_package(crates: FakeCrates, verifier: PackageVerifier) -> None:
    crates.faults.status = 403
    err = refusal(verifier, package("cargo", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "private" in err.detail
