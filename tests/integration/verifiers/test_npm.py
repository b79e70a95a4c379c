"""The npm verifier against a fake npm registry speaking the registry's JSON API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from registrum.core.errors import (
    BadUpstreamError,
    PackageOwnershipError,
    UpstreamUnavailableError,
)
from tests.fakes.npm import FakeNpm
from tests.integration.verifiers.conftest import (
    NAME,
    STALL,
    TIMEOUT,
    MakeVerifier,
    package,
    refusal,
)

IDENT = "@example/weather-mcp"


@pytest.fixture
def npm() -> Iterator[FakeNpm]:
    with FakeNpm() as fake:
        yield fake


@pytest.fixture
def verifier(npm: FakeNpm, make_verifier: MakeVerifier):
    return make_verifier("npm", npm.url)


def test_ownership_proven(npm: FakeNpm, verifier) -> None:
    npm.add(IDENT, "1.2.0", mcp_name=NAME)
    verifier.verify(package("npm", IDENT, "1.2.0"), NAME)
    # The scoped name travels as one escaped segment, the version as the next.
    assert npm.faults.paths() == ["/@example%2Fweather-mcp/1.2.0"]


def test_ownership_read_from_the_packument_when_version_documents_are_not_served(
    npm: FakeNpm, verifier
) -> None:
    npm.add(IDENT, "1.2.0", mcp_name=NAME)
    npm.serve_version_documents = False
    verifier.verify(package("npm", IDENT, "1.2.0"), NAME)
    npm.add(IDENT, "1.3.0")
    err = refusal(verifier, package("npm", IDENT, "1.3.0"))
    assert "missing required 'mcpName'" in err.detail


def test_marker_missing_shows_the_line_to_add(npm: FakeNpm, verifier) -> None:
    npm.add(IDENT, "1.0.0")
    err = refusal(verifier, package("npm", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f'Add this to your package.json: "mcpName": "{NAME}"' in err.detail
    assert err.problems[0].path == "identifier"


def test_marker_for_another_name(npm: FakeNpm, verifier) -> None:
    npm.add(IDENT, "1.0.0", mcp_name="io.github.mallory/weather")
    err = refusal(verifier, package("npm", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"Expected mcpName '{NAME}', got 'io.github.mallory/weather'" in err.detail


def test_marker_glued_to_a_longer_name_is_another_name(npm: FakeNpm, verifier) -> None:
    npm.add(IDENT, "1.0.0", mcp_name=NAME + "-extra")
    err = refusal(verifier, package("npm", IDENT, "1.0.0"))
    assert f"got '{NAME}-extra'" in err.detail


def test_package_missing(verifier) -> None:
    err = refusal(verifier, package("npm", "nobody-published-this", "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "NPM package 'nobody-published-this' does not exist" in err.detail
    assert err.problems[0].path == "identifier"


def test_version_missing(npm: FakeNpm, verifier) -> None:
    npm.add(IDENT, "1.0.0", mcp_name=NAME)
    err = refusal(verifier, package("npm", IDENT, "9.9.9"))
    assert isinstance(err, PackageOwnershipError)
    assert f"NPM package '{IDENT}' has no version '9.9.9'" in err.detail
    assert err.problems[0].path == "version"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_retryable(npm: FakeNpm, verifier, status) -> None:
    npm.faults.status = status
    npm.faults.retry_after = "7"
    err = refusal(verifier, package("npm", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert f"answered {status}" in err.detail
    assert "retry later" in err.detail
    assert err.retry_after == 7


def test_timeout_is_retryable(npm: FakeNpm, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier("npm", npm.url, timeout=TIMEOUT)
    npm.add(IDENT, "1.0.0", mcp_name=NAME)
    npm.faults.delay = STALL
    err = refusal(verifier, package("npm", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert "did not answer within 1 s" in err.detail


def test_unreachable_registry_is_retryable(make_verifier: MakeVerifier) -> None:
    with FakeNpm() as gone:
        url = gone.url
    err = refusal(make_verifier("npm", url), package("npm", IDENT, "1.0.0"))
    assert isinstance(err, UpstreamUnavailableError)
    assert "could not be reached" in err.detail


def test_oversized_answer_is_refused_without_reading_it_all(
    npm: FakeNpm, make_verifier: MakeVerifier
) -> None:
    npm.add(IDENT, "1.0.0", mcp_name=NAME)
    npm.faults.oversize = 200_000
    verifier = make_verifier("npm", npm.url, max_response_bytes=100_000)
    err = refusal(verifier, package("npm", IDENT, "1.0.0"))
    assert isinstance(err, BadUpstreamError)
    assert "larger than 100,000 bytes" in err.detail
    assert "MCP_REGISTRY_VERIFY_MAX_RESPONSE_BYTES" in err.detail


def test_version_is_required_and_sha_forbidden(verifier) -> None:
    err = refusal(verifier, package("npm", IDENT))
    assert err.problems[0].path == "version"
    err = refusal(verifier, package("npm", IDENT, "1.0.0", fileSha256="a" * 64))
    assert err.problems[0].path == "fileSha256"


def test_base_url_must_be_configured(npm: FakeNpm, make_verifier: MakeVerifier) -> None:
    npm.add(IDENT, "1.0.0", mcp_name=NAME)
    mirror = make_verifier("npm", f"https://npm.example.com={npm.url}, https://other.example")
    # Named by the document (trailing slash and case do not matter), fetched from the mirror.
    mirror.verify(package("npm", IDENT, "1.0.0", registryBaseUrl="https://NPM.example.com/"), NAME)
    err = refusal(mirror, package("npm", IDENT, "1.0.0", registryBaseUrl="https://evil.example"))
    assert err.problems[0].path == "registryBaseUrl"
    assert "Expected one of: https://npm.example.com, https://other.example" in err.detail


def test_unconfigured_type_names_the_setting(make_verifier: MakeVerifier) -> None:
    err = refusal(make_verifier("npm", ""), package("npm", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "MCP_REGISTRY_NPM_REGISTRY_URLS" in err.detail
    assert "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION=false" in err.detail


def test_private_package(npm: FakeNpm, verifier) -> None:
    npm.faults.status = 403
    err = refusal(verifier, package("npm", IDENT, "1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "private" in err.detail
