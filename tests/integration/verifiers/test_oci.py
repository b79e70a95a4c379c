"""The OCI verifier against a fake OCI registry speaking the distribution API, with the
anonymous bearer-token flow, image indexes and blob redirects."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from registrum.core.errors import (
    BadUpstreamError,
    PackageOwnershipError,
    UpstreamUnavailableError,
)
from registrum.core.ownership import OCI_NAME_LABEL
from registrum.core.ports import PackageVerifier
from tests.fakes.oci import SERVICE, FakeOci, digest_of
from tests.integration.verifiers.conftest import (
    NAME,
    STALL,
    TIMEOUT,
    MakeVerifier,
    package,
    refusal,
)

HOST = "images.example.com"
REPO = "alice/weather"
IDENT = f"{HOST}/{REPO}:1.0.0"
LABELS = {OCI_NAME_LABEL: NAME}
LINE = f'LABEL {OCI_NAME_LABEL}="{NAME}"'


@pytest.fixture
def oci() -> Iterator[FakeOci]:
    with FakeOci() as fake:
        yield fake


@pytest.fixture
def verifier(oci: FakeOci, make_verifier: MakeVerifier) -> PackageVerifier:
    return make_verifier("oci", f"{HOST}={oci.url}")


def test_ownership_proven_through_the_token_flow(oci: FakeOci, verifier: PackageVerifier) -> None:
    image = oci.add_image(REPO, "1.0.0", LABELS)
    verifier.verify(package("oci", IDENT), NAME)
    amd64 = image.manifests["linux/amd64"]
    config = image.configs["linux/amd64"]
    # Refused without a token, then the index, its amd64 image (not the attestation listed
    # first, nor arm64 listed before amd64) and that image's config, through blob storage.
    assert oci.faults.paths() == [
        f"/v2/{REPO}/manifests/1.0.0",
        "/token",
        f"/v2/{REPO}/manifests/1.0.0",
        f"/v2/{REPO}/manifests/{amd64}",
        f"/v2/{REPO}/blobs/{config}",
        f"/_storage/{config}",
    ]
    token_request = oci.faults.requests[1]
    assert token_request.query == {"service": [SERVICE], "scope": [f"repository:{REPO}:pull"]}
    # One token, reused for every request after it.
    tokens = {r.bearer() for r in oci.faults.requests[2:]}
    assert len(tokens) == 1
    assert tokens <= set(oci.tokens)
    assert oci.faults.requests[0].bearer() is None
    accept = oci.faults.requests[0].header("accept") or ""
    for media_type in (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ):
        assert media_type in accept


def test_docker_manifest_list(oci: FakeOci, verifier: PackageVerifier) -> None:
    image = oci.add_image(REPO, "1.0.0", LABELS, docker=True)
    verifier.verify(package("oci", IDENT), NAME)
    assert f"/v2/{REPO}/manifests/{image.manifests['linux/amd64']}" in oci.faults.paths()


def test_single_arch_manifest_and_blob_served_directly(
    oci: FakeOci, verifier: PackageVerifier
) -> None:
    image = oci.add_image(REPO, "1.0.0", LABELS, multi_arch=False)
    oci.redirect_blobs = False
    verifier.verify(package("oci", IDENT), NAME)
    assert oci.faults.paths() == [
        f"/v2/{REPO}/manifests/1.0.0",
        "/token",
        f"/v2/{REPO}/manifests/1.0.0",
        f"/v2/{REPO}/blobs/{image.configs['linux/amd64']}",
    ]


def test_index_without_amd64_uses_the_first_known_platform(
    oci: FakeOci, verifier: PackageVerifier
) -> None:
    image = oci.add_image(REPO, "1.0.0", LABELS, platforms=("linux/arm64", "linux/s390x"))
    verifier.verify(package("oci", IDENT), NAME)
    paths = oci.faults.paths()
    assert f"/v2/{REPO}/manifests/{image.manifests['linux/arm64']}" in paths
    assert f"/v2/{REPO}/manifests/{image.attestation}" not in paths


def test_registry_without_auth(oci: FakeOci, verifier: PackageVerifier) -> None:
    oci.require_auth = False
    oci.add_image(REPO, "1.0.0", LABELS)
    verifier.verify(package("oci", IDENT), NAME)
    assert "/token" not in oci.faults.paths()
    assert all(r.bearer() is None for r in oci.faults.requests)


def test_challenge_without_scope_asks_for_pull_of_the_repository(
    oci: FakeOci, verifier: PackageVerifier
) -> None:
    oci.challenge_scope = False
    oci.add_image(REPO, "1.0.0", LABELS)
    verifier.verify(package("oci", IDENT), NAME)
    token_request = oci.faults.requests[1]
    assert token_request.query_one("scope") == f"repository:{REPO}:pull"


def test_pinned_digest(oci: FakeOci, verifier: PackageVerifier) -> None:
    image = oci.add_image(REPO, "1.0.0", LABELS)
    verifier.verify(package("oci", f"{HOST}/{REPO}@{image.digest}"), NAME)
    assert oci.faults.paths()[0] == f"/v2/{REPO}/manifests/{image.digest}"
    # With both, the digest is what is fetched.
    verifier.verify(package("oci", f"{IDENT}@{image.digest}"), NAME)
    # A single-arch image pinned by its manifest digest.
    single = oci.add_image(REPO, "2.0.0", LABELS, multi_arch=False)
    verifier.verify(package("oci", f"{HOST}/{REPO}@{single.digest}"), NAME)


def test_pinned_digest_must_match_the_manifest(oci: FakeOci, verifier: PackageVerifier) -> None:
    image = oci.add_image(REPO, "1.0.0", LABELS)
    other = oci.add_image(REPO, "2.0.0", LABELS)
    manifests = oci.repos[REPO].manifests
    manifests[image.digest] = manifests[other.digest]  # served under the wrong digest
    err = refusal(verifier, package("oci", f"{HOST}/{REPO}@{image.digest}"))
    assert isinstance(err, BadUpstreamError)
    assert f"not the {image.digest} it is addressed by" in err.detail


def test_pinned_digest_missing(oci: FakeOci, verifier: PackageVerifier) -> None:
    oci.add_image(REPO, "1.0.0", LABELS)
    missing = digest_of(b"never pushed")
    err = refusal(verifier, package("oci", f"{HOST}/{REPO}@{missing}"))
    assert isinstance(err, PackageOwnershipError)
    assert f"has no manifest '{missing}'" in err.detail


def test_default_registry_for_a_reference_without_host(
    oci: FakeOci, make_verifier: MakeVerifier
) -> None:
    # The first entry that is not a wildcard is the default registry.
    verifier = make_verifier("oci", f"*.cdn.example.net, {HOST}={oci.url}")
    oci.add_image(REPO, "1.0.0", LABELS)
    verifier.verify(package("oci", f"{REPO}:1.0.0"), NAME)
    # One path component on the default registry is an official image: library/<name>.
    oci.add_image("library/weather", "1.0.0", LABELS)
    verifier.verify(package("oci", "weather:1.0.0"), NAME)
    assert "/v2/library/weather/manifests/1.0.0" in oci.faults.paths()


def test_no_default_registry(make_verifier: MakeVerifier) -> None:
    verifier = make_verifier("oci", "*.example.net")
    err = refusal(verifier, package("oci", f"{REPO}:1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert "MCP_REGISTRY_OCI_REGISTRY_URLS" in err.detail
    assert err.problems[0].path == "identifier"


def test_host_with_port_and_any_case(oci: FakeOci, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier("oci", f"localhost:5000={oci.url}, {HOST}={oci.url}")
    oci.add_image(REPO, "1.0.0", LABELS)
    verifier.verify(package("oci", f"localhost:5000/{REPO}:1.0.0"), NAME)
    verifier.verify(package("oci", f"Images.Example.COM/{REPO}:1.0.0"), NAME)


def test_label_missing_shows_the_line_to_add(oci: FakeOci, verifier: PackageVerifier) -> None:
    oci.add_image(REPO, "1.0.0", {"org.opencontainers.image.title": "weather"})
    err = refusal(verifier, package("oci", IDENT))
    assert isinstance(err, PackageOwnershipError)
    assert f"OCI image '{IDENT}' is missing required annotation" in err.detail
    assert f"Add this to your Dockerfile: {LINE}" in err.detail
    assert err.problems[0].path == "identifier"
    oci.add_image(REPO, "2.0.0")  # no labels at all: "Labels": null
    err = refusal(verifier, package("oci", f"{HOST}/{REPO}:2.0.0"))
    assert LINE in err.detail


def test_label_for_another_name(oci: FakeOci, verifier: PackageVerifier) -> None:
    oci.add_image(REPO, "1.0.0", {OCI_NAME_LABEL: "io.github.mallory/weather"})
    err = refusal(verifier, package("oci", IDENT))
    assert isinstance(err, PackageOwnershipError)
    assert (
        f"Expected label {OCI_NAME_LABEL} '{NAME}', got 'io.github.mallory/weather'" in err.detail
    )
    assert LINE in err.detail


def test_label_glued_to_a_longer_name_is_another_name(
    oci: FakeOci, verifier: PackageVerifier
) -> None:
    oci.add_image(REPO, "1.0.0", {OCI_NAME_LABEL: NAME + "-extra"})
    err = refusal(verifier, package("oci", IDENT))
    assert f"got '{NAME}-extra'" in err.detail


def test_repository_missing(verifier: PackageVerifier, oci: FakeOci) -> None:
    err = refusal(verifier, package("oci", f"{HOST}/nobody/pushed-this:1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"OCI image '{HOST}/nobody/pushed-this:1.0.0' does not exist in the registry" in (
        err.detail
    )
    assert err.problems[0].path == "identifier"
    assert oci.faults.paths()[-1] == "/v2/nobody/pushed-this/tags/list"


def test_tag_missing(oci: FakeOci, verifier: PackageVerifier) -> None:
    oci.add_image(REPO, "1.0.0", LABELS)
    err = refusal(verifier, package("oci", f"{HOST}/{REPO}:9.9.9"))
    assert isinstance(err, PackageOwnershipError)
    assert f"OCI image '{HOST}/{REPO}:9.9.9' has no tag '9.9.9'" in err.detail
    assert err.problems[0].path == "identifier"


def test_private_image(oci: FakeOci, verifier: PackageVerifier) -> None:
    oci.add_image(REPO, "1.0.0", LABELS, private=True)
    err = refusal(verifier, package("oci", IDENT))
    assert isinstance(err, PackageOwnershipError)
    assert (
        f"OCI image '{IDENT}' is private or requires authentication. Only public images are "
        "supported" in err.detail
    )
    assert oci.faults.paths() == [f"/v2/{REPO}/manifests/1.0.0", "/token"]


def test_private_image_behind_a_token_that_grants_nothing(
    oci: FakeOci, verifier: PackageVerifier
) -> None:
    oci.refuse_private_tokens = False
    oci.add_image(REPO, "1.0.0", LABELS, private=True)
    err = refusal(verifier, package("oci", IDENT))
    assert isinstance(err, PackageOwnershipError)
    assert "is private or requires authentication" in err.detail
    # The token is tried once; a second 401 is an answer, not a reason to ask again.
    assert oci.faults.paths() == [
        f"/v2/{REPO}/manifests/1.0.0",
        "/token",
        f"/v2/{REPO}/manifests/1.0.0",
    ]


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_retryable(
    oci: FakeOci, verifier: PackageVerifier, status: int
) -> None:
    oci.add_image(REPO, "1.0.0", LABELS)
    oci.faults.status = status
    oci.faults.retry_after = "7"
    err = refusal(verifier, package("oci", IDENT))
    assert isinstance(err, UpstreamUnavailableError)
    assert f"the OCI registry {HOST} answered {status}" in err.detail
    assert "retry later" in err.detail
    assert err.retry_after == 7


def test_other_status_is_refused(oci: FakeOci, verifier: PackageVerifier) -> None:
    oci.faults.status = 400
    err = refusal(verifier, package("oci", IDENT))
    assert isinstance(err, PackageOwnershipError)
    assert f"the OCI registry {HOST} answered 400 for OCI image '{IDENT}'" in err.detail


def test_timeout_is_retryable(oci: FakeOci, make_verifier: MakeVerifier) -> None:
    verifier = make_verifier("oci", f"{HOST}={oci.url}", timeout=TIMEOUT)
    oci.add_image(REPO, "1.0.0", LABELS)
    oci.faults.delay = STALL
    err = refusal(verifier, package("oci", IDENT))
    assert isinstance(err, UpstreamUnavailableError)
    assert "did not answer within 1 s" in err.detail


def test_unreachable_registry_is_retryable(make_verifier: MakeVerifier) -> None:
    with FakeOci() as gone:
        url = gone.url
    err = refusal(make_verifier("oci", f"{HOST}={url}"), package("oci", IDENT))
    assert isinstance(err, UpstreamUnavailableError)
    assert "could not be reached" in err.detail


def test_oversized_answer_is_refused_without_reading_it_all(
    oci: FakeOci, make_verifier: MakeVerifier
) -> None:
    oci.add_image(REPO, "1.0.0", LABELS)
    oci.require_auth = False
    oci.faults.oversize = 200_000
    verifier = make_verifier("oci", f"{HOST}={oci.url}", max_response_bytes=100_000)
    err = refusal(verifier, package("oci", IDENT))
    assert isinstance(err, BadUpstreamError)
    assert "larger than 100,000 bytes" in err.detail
    assert "MCP_REGISTRY_VERIFY_MAX_RESPONSE_BYTES" in err.detail


def test_config_blob_must_match_its_digest(oci: FakeOci, verifier: PackageVerifier) -> None:
    image = oci.add_image(REPO, "1.0.0", {OCI_NAME_LABEL: "io.github.mallory/weather"})
    config = image.configs["linux/amd64"]
    # A blob that names the server, served under a digest it does not have.
    oci.repos[REPO].blobs[config] = b'{"config": {"Labels": {"%s": "%s"}}}' % (
        OCI_NAME_LABEL.encode(),
        NAME.encode(),
    )
    err = refusal(verifier, package("oci", IDENT))
    assert isinstance(err, BadUpstreamError)
    assert f"config blob for {oci.url}/_storage/{config}" in err.detail
    assert f"not the {config} it is addressed by" in err.detail


@pytest.mark.parametrize(
    ("members", "path"),
    [
        ({"version": "1.0.0"}, "version"),
        ({"registryBaseUrl": "https://images.example.com"}, "registryBaseUrl"),
        ({"fileSha256": "a" * 64}, "fileSha256"),
    ],
)
def test_members_oci_does_not_use_are_refused(
    verifier: PackageVerifier, oci: FakeOci, members: dict[str, str], path: str
) -> None:
    err = refusal(verifier, package("oci", IDENT, **members))
    assert isinstance(err, PackageOwnershipError)
    assert f"OCI packages must not have '{path}'" in err.detail
    assert err.problems[0].path == path
    assert oci.faults.paths() == []
    if path == "version":
        assert "include the tag or digest in 'identifier' instead" in err.detail


def test_host_must_be_allowed(verifier: PackageVerifier) -> None:
    err = refusal(verifier, package("oci", "evil.example.org/alice/weather:1.0.0"))
    assert isinstance(err, PackageOwnershipError)
    assert f"'evil.example.org' is not one of: {HOST}" in err.detail
    assert err.problems[0].path == "identifier"


@pytest.mark.parametrize("identifier", [IDENT, f"{REPO}:1.0.0"])
def test_unconfigured_type_names_the_setting(make_verifier: MakeVerifier, identifier: str) -> None:
    err = refusal(make_verifier("oci", ""), package("oci", identifier))
    assert isinstance(err, PackageOwnershipError)
    assert "MCP_REGISTRY_OCI_REGISTRY_URLS" in err.detail
    assert "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION=false" in err.detail
    assert err.problems[0].path == "identifier"


def test_a_tag_or_digest_is_required(verifier: PackageVerifier, oci: FakeOci) -> None:
    err = refusal(verifier, package("oci", f"{HOST}/{REPO}"))
    assert isinstance(err, PackageOwnershipError)
    assert (
        "OCI packages must name a tag or digest in 'identifier', e.g. "
        "images.example.com/team/weather:1.2.0" in err.detail
    )
    assert oci.faults.paths() == []


@pytest.mark.parametrize(
    "identifier",
    [
        f"https://{HOST}/{REPO}:1.0.0",
        f"{HOST}/Alice/Weather:1.0.0",
        f"{HOST}//weather:1.0.0",
        f"{HOST}/{REPO}:",
        f"{HOST}/{REPO}:bad tag",
        f"{HOST}/{REPO}@sha256:abc",
        f"{HOST}/{REPO}@md5:{'a' * 32}",
        f"{HOST}/{REPO}:-dash",
        f"bad_host.example.com:5000/{REPO}:1.0.0",
    ],
)
def test_malformed_reference(verifier: PackageVerifier, identifier: str) -> None:
    err = refusal(verifier, package("oci", identifier))
    assert isinstance(err, PackageOwnershipError)
    assert "is not an image reference: expected [host[:port]/]path[:tag][@sha256:" in (err.detail)
    assert err.problems[0].path == "identifier"


def test_identifier_is_required(verifier: PackageVerifier) -> None:
    err = refusal(verifier, package("oci", ""))
    assert err.problems[0].path == "identifier"
    assert "package identifier is required for OCI packages" in err.detail
