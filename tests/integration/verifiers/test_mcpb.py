"""The MCPB verifier against a fake release host: the bundle is downloaded and its hash
compared (which the official registry does not do)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from registrum.core.errors import PackageOwnershipError, UpstreamUnavailableError
from tests.fakes.releases import FakeReleases
from tests.integration.verifiers.conftest import (
    NAME,
    STALL,
    TIMEOUT,
    MakeVerifier,
    package,
    refusal,
)

HOST = "releases.example.com"
PATH = "/alice/weather-mcp/releases/download/v1.0.0/weather.mcpb"
URL = f"https://{HOST}{PATH}"
BUNDLE = b"PK\x03\x04 an MCPB bundle " * 1000


@pytest.fixture
def releases() -> Iterator[FakeReleases]:
    with FakeReleases() as fake:
        yield fake


@pytest.fixture
def verifier(releases: FakeReleases, make_verifier: MakeVerifier):
    return make_verifier("mcpb", f"{HOST}={releases.url}")


def test_hash_matches_after_following_the_redirect(releases: FakeReleases, verifier) -> None:
    sha = releases.add(PATH, BUNDLE)
    verifier.verify(package("mcpb", URL, "1.0.0", fileSha256=sha), NAME)
    assert releases.faults.paths() == [PATH, f"/storage{PATH}"]


def test_version_is_optional(releases: FakeReleases, verifier) -> None:
    sha = releases.add(PATH, BUNDLE)
    verifier.verify(package("mcpb", URL, fileSha256=sha), NAME)


def test_wrong_hash_is_refused_with_the_real_one(releases: FakeReleases, verifier) -> None:
    releases.add(PATH, BUNDLE)
    wrong = hashlib.sha256(b"another file").hexdigest()
    err = refusal(verifier, package("mcpb", URL, fileSha256=wrong))
    assert isinstance(err, PackageOwnershipError)
    assert err.problems[0].path == "fileSha256"
    assert hashlib.sha256(BUNDLE).hexdigest() in err.detail
    assert f"'fileSha256' says {wrong}" in err.detail


def test_hash_is_required_first(verifier) -> None:
    err = refusal(verifier, package("mcpb", "ftp://nowhere"))
    assert err.problems[0].path == "fileSha256"
    assert "must include a fileSha256 hash" in err.detail


def test_file_missing(releases: FakeReleases, verifier) -> None:
    err = refusal(verifier, package("mcpb", URL, fileSha256="0" * 64))
    assert isinstance(err, PackageOwnershipError)
    assert "is not publicly accessible (status: 404)" in err.detail


def test_host_not_allowed(verifier) -> None:
    url = "https://files.example.net/mcp/weather.mcpb"
    err = refusal(verifier, package("mcpb", url, fileSha256="0" * 64))
    assert err.problems[0].path == "identifier"
    assert f"'files.example.net' is not one of: {HOST}" in err.detail


def test_url_must_be_https_and_mention_mcp(verifier) -> None:
    err = refusal(verifier, package("mcpb", f"http://{HOST}{PATH}", fileSha256="0" * 64))
    assert "https URL" in err.detail
    err = refusal(verifier, package("mcpb", f"https://{HOST}/a/b.zip", fileSha256="0" * 64))
    assert "must contain 'mcp'" in err.detail


def test_registry_base_url_is_forbidden(verifier) -> None:
    pkg = package("mcpb", URL, fileSha256="0" * 64, registryBaseUrl=f"https://{HOST}")
    assert refusal(verifier, pkg).problems[0].path == "registryBaseUrl"


def test_oversized_file_is_refused_naming_the_limit(
    releases: FakeReleases, make_verifier: MakeVerifier
) -> None:
    sha = releases.add(PATH, BUNDLE)
    verifier = make_verifier("mcpb", f"{HOST}={releases.url}", max_download_bytes=10_000)
    err = refusal(verifier, package("mcpb", URL, fileSha256=sha))
    assert isinstance(err, PackageOwnershipError)
    assert "larger than this registry's limit of 10,000 bytes" in err.detail
    assert "MCP_REGISTRY_MCPB_MAX_BYTES" in err.detail


@pytest.mark.parametrize("status", [429, 500, 503])
def test_upstream_failures_are_retryable(releases: FakeReleases, verifier, status) -> None:
    releases.faults.status = status
    err = refusal(verifier, package("mcpb", URL, fileSha256="0" * 64))
    assert isinstance(err, UpstreamUnavailableError)
    assert "retry later" in err.detail


def test_timeout_is_retryable(releases: FakeReleases, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier("mcpb", f"{HOST}={releases.url}", timeout=TIMEOUT)
    releases.add(PATH, BUNDLE)
    releases.faults.delay = STALL
    err = refusal(verifier, package("mcpb", URL, fileSha256="0" * 64))
    assert isinstance(err, UpstreamUnavailableError)


def test_unconfigured_type_names_the_setting(make_verifier: MakeVerifier) -> None:
    err = refusal(make_verifier("mcpb", ""), package("mcpb", URL, fileSha256="0" * 64))
    assert "MCP_REGISTRY_MCPB_REGISTRY_URLS" in err.detail
