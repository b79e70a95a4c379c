"""oci: the image's config must carry the label ``io.modelcontextprotocol.server.name``.

The identifier is a Docker image reference, ``[host[:port]/]path[:tag][@sha256:<hex>]``;
a reference without a host names the default registry (the first host in
``MCP_REGISTRY_OCI_REGISTRY_URLS``), where a one-component path means ``library/<path>``.
It must name a tag or a digest: a registry entry must not follow a moving ``latest``.

Speaks the OCI distribution API with anonymous pulls: ``GET /v2/<repo>/manifests/<ref>``;
a 401 with a ``Bearer`` challenge sends us to the challenge's realm for a token, which the
rest of the check then carries. An image index (multi-arch) is resolved to its linux/amd64
image, or else its first image for a known platform; that image's config blob
(``GET /v2/<repo>/blobs/<digest>``, possibly redirected to blob storage) is checked against
its digest and read for the label. On a 404 ``GET /v2/<repo>/tags/list`` tells a missing
repository from a missing tag.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Final
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from registrum.core.errors import BadUpstreamError, PackageOwnershipError
from registrum.core.ownership import OCI_NAME_LABEL
from registrum.core.server_json import Package
from registrum.verifiers.fetching import Answer, Fetcher
from registrum.verifiers.fields import forbid, refuse
from registrum.verifiers.package_sources import EntryKind, PackageSources

OCI_INDEX: Final = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST: Final = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST: Final = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST: Final = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES: Final = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES: Final = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
ACCEPT: Final = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
EXAMPLE: Final = "images.example.com/team/weather:1.2.0"
FORM: Final = "[host[:port]/]path[:tag][@sha256:<64 hex digits>]"
# BuildKit stores provenance and SBOMs as index entries marked like this.
ATTESTATION: Final = "attestation-manifest"

# The Docker reference grammar (distribution/reference), for the parts this registry reads.
_COMPONENT: Final = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH: Final = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_LABEL: Final = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?")
_TAG: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST: Final = re.compile(r"sha256:[a-f0-9]{64}")
_NAME_MAX: Final = 255
# One auth-param of a WWW-Authenticate challenge: key="quoted value" or key=token.
_PARAM: Final = re.compile(r'([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))')


@dataclass(frozen=True, slots=True)
class ImageReference:
    host: str | None  # None: the default registry
    path: str
    tag: str | None
    digest: str | None

    @property
    def reference(self) -> str | None:
        """What the manifest is asked for by: the digest when pinned, else the tag."""
        return self.digest or self.tag


def parse_reference(identifier: str) -> ImageReference | None:
    """Split an image reference; ``None`` when it breaks the grammar."""
    rest, at, digest = identifier.partition("@")
    if at and not _DIGEST.fullmatch(digest):
        return None
    name, tag = rest, None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        name, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.fullmatch(tag):
            return None
    first, slash, remainder = name.partition("/")
    host: str | None = None
    path = name
    if slash and ("." in first or ":" in first or first == "localhost"):
        host, path = first, remainder
        if not _DOMAIN.fullmatch(host):
            return None
    if len(name) > _NAME_MAX or not _PATH.fullmatch(path):
        return None
    return ImageReference(host, path, tag, digest if at else None)


class OciVerifier:
    registry_type: ClassVar[str] = "oci"
    entries: ClassVar[EntryKind] = "host"

    def __init__(self, sources: PackageSources, fetcher: Fetcher) -> None:
        self._sources = sources
        self._fetcher = fetcher

    def verify(self, package: Package, server_name: str) -> None:
        ident = package.identifier
        if not ident.strip():
            raise refuse(
                "identifier",
                "package identifier is required for OCI packages: set 'identifier' to the "
                f"image reference, e.g. {EXAMPLE}",
                ident,
            )
        forbid(package, "OCI", "registryBaseUrl", "version", "fileSha256")
        ref = parse_reference(ident)
        if ref is None:
            raise refuse(
                "identifier",
                f"OCI package identifier '{ident}' is not an image reference: expected "
                f"{FORM} with a lower-case path, e.g. {EXAMPLE}",
                ident,
            )
        reference = ref.reference
        if reference is None:
            raise refuse(
                "identifier",
                f"OCI packages must name a tag or digest in 'identifier', e.g. {EXAMPLE}",
                ident,
            )
        host = ref.host or self._default_host(ident)
        repository = ref.path
        if ref.host is None and "/" not in repository:
            repository = f"library/{repository}"  # Docker's normalisation: image -> library/image
        _, fetch = self._sources.by_host(host, "identifier", ident)
        pull = _Pull(self._fetcher, fetch, repository, ident, f"the OCI registry {host.lower()}")
        config = pull.image_config(ref, reference)
        settings = config.get("config") if isinstance(config, dict) else None
        labels = settings.get("Labels") if isinstance(settings, dict) else None
        found: Any = labels.get(OCI_NAME_LABEL) if isinstance(labels, dict) else None
        line = f'LABEL {OCI_NAME_LABEL}="{server_name}"'
        if found is None:
            raise refuse(
                "identifier",
                f"OCI image '{ident}' is missing required annotation. Add this to your "
                f"Dockerfile: {line} and push the image again",
                ident,
            )
        if found != server_name:
            raise refuse(
                "identifier",
                f"OCI image '{ident}' ownership validation failed. Expected label "
                f"{OCI_NAME_LABEL} '{server_name}', got '{found}': set {line} in your "
                "Dockerfile and push the image again",
                ident,
            )

    def _default_host(self, ident: str) -> str:
        default = self._sources.default_host()
        if default is not None:
            return default
        if not self._sources.entries and not self._sources.trust_documents:
            # Nothing configured at all: the message every unconfigured type gives.
            self._sources.by_host("", "identifier", ident)
        raise refuse(
            "identifier",
            f"OCI image '{ident}' names no registry host, and no default OCI registry is "
            f"configured ({self._sources.setting} lists none, or only wildcards): write "
            f"the registry host into 'identifier', e.g. {EXAMPLE}",
            ident,
        )


def _bearer_challenge(headers: httpx.Headers) -> dict[str, str] | None:
    """The parameters of a ``WWW-Authenticate: Bearer realm=...`` challenge, if any."""
    for value in headers.get_list("www-authenticate"):
        scheme, _, params = value.strip().partition(" ")
        if scheme.lower() != "bearer":
            continue
        found: dict[str, str] = {}
        for match in _PARAM.finditer(params):
            quoted, bare = match.group(2), match.group(3)
            raw = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
            found[match.group(1).lower()] = raw
        if found.get("realm"):
            return found
    return None


def _media_type(answer: Answer, document: dict[str, Any]) -> str:
    declared = document.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    header = str(answer.headers.get("content-type", "")).split(";")[0].strip().lower()
    if header in INDEX_TYPES or header in MANIFEST_TYPES:
        return header
    # OCI allows documents without mediaType: tell them apart by shape.
    return OCI_INDEX if "manifests" in document else OCI_MANIFEST


class _Pull:
    """One check's conversation with one registry; holds the bearer token it earns (a
    verifier serves many checks at once, so the token lives here, not on the verifier)."""

    def __init__(self, fetcher: Fetcher, base: str, repository: str, ident: str, what: str):
        self._fetcher = fetcher
        self._base = f"{base}/v2/{repository}"
        self._repository = repository
        self._ident = ident
        self._what = what
        self._token: str | None = None

    # -- the image ----------------------------------------------------------------------

    def image_config(self, ref: ImageReference, reference: str) -> Any:
        """The config JSON of the image ``reference`` (``ref``'s digest, else its tag)."""
        url = f"{self._base}/manifests/{reference}"
        answer = self._get(url, accept=ACCEPT)
        if answer.status in (401, 403):
            raise self._denied()
        if answer.status == 404:
            raise self._missing(ref)
        if not answer.ok:
            raise refuse(
                "identifier",
                f"{self._what} answered {answer.status} for OCI image '{self._ident}'",
                self._ident,
            )
        if ref.digest is not None:
            self._check_digest(answer, ref.digest, "manifest")
        document = self._object(answer, "manifest")
        if _media_type(answer, document) in INDEX_TYPES:
            digest = self._choose(document)
            answer = self._expect(self._get(f"{self._base}/manifests/{digest}", accept=ACCEPT))
            self._check_digest(answer, digest, "manifest")
            document = self._object(answer, "manifest")
            if _media_type(answer, document) not in MANIFEST_TYPES:
                raise BadUpstreamError(
                    f"{self._what} sent something other than an image manifest for "
                    f"{answer.url} (an index within an index is not supported)"
                )
        config = document.get("config")
        config_digest = config.get("digest") if isinstance(config, dict) else None
        if not isinstance(config_digest, str) or not _DIGEST.fullmatch(config_digest):
            raise BadUpstreamError(
                f"{self._what} sent an image manifest for {answer.url} without a sha256 "
                f"config digest (config: {config!r:.200})"
            )
        blob = self._expect(self._get(f"{self._base}/blobs/{config_digest}"))
        self._check_digest(blob, config_digest, "config blob")
        return blob.json(self._what)

    def _choose(self, index: dict[str, Any]) -> str:
        """The image of an index to read: linux/amd64, else the first for a known platform."""
        entries = index.get("manifests")
        if not isinstance(entries, list):
            raise BadUpstreamError(f"{self._what} sent an image index without 'manifests'")
        first: str | None = None
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            annotations = entry.get("annotations")
            if (
                isinstance(annotations, dict)
                and annotations.get("vnd.docker.reference.type") == ATTESTATION
            ):
                continue
            media = entry.get("mediaType")
            if media is not None and media not in MANIFEST_TYPES:
                continue
            platform = entry.get("platform")
            platform = platform if isinstance(platform, dict) else {}
            where = (platform.get("os"), platform.get("architecture"))
            if where == ("unknown", "unknown"):
                continue
            digest = entry.get("digest")
            if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
                raise BadUpstreamError(
                    f"{self._what} sent an image index entry without a sha256 digest "
                    f"({digest!r:.100})"
                )
            if where == ("linux", "amd64"):
                return digest
            first = first or digest
        if first is None:
            raise refuse(
                "identifier",
                f"OCI image '{self._ident}' is an image index with no image for a known "
                f"platform in {self._what}: push an image built for linux/amd64 (or another "
                "platform) under this reference",
                self._ident,
            )
        return first

    # -- answers ------------------------------------------------------------------------

    def _missing(self, ref: ImageReference) -> PackageOwnershipError:
        tags = self._get(f"{self._base}/tags/list?n=1", accept="application/json")
        if tags.status == 404:
            return refuse(
                "identifier",
                f"OCI image '{self._ident}' does not exist in the registry: {self._what} "
                f"has no repository '{self._repository}'; push the image first, or fix "
                "'identifier'",
                self._ident,
            )
        if ref.digest is not None:
            what_is_missing = f"no manifest '{ref.digest}'"
        else:
            what_is_missing = f"no tag '{ref.tag}'"
        return refuse(
            "identifier",
            f"OCI image '{self._ident}' has {what_is_missing} in {self._what}: push it "
            "first, or fix 'identifier'",
            self._ident,
        )

    def _denied(self) -> PackageOwnershipError:
        return refuse(
            "identifier",
            f"OCI image '{self._ident}' is private or requires authentication. Only public "
            f"images are supported ({self._what} refused an anonymous pull; some registries "
            "refuse it this way for images that do not exist, too)",
            self._ident,
        )

    def _expect(self, answer: Answer) -> Answer:
        """An answer for something the registry itself pointed us to: it must be there."""
        if answer.status in (401, 403):
            raise self._denied()
        if not answer.ok:
            raise BadUpstreamError(
                f"{self._what} answered {answer.status} for {answer.url}, which its own "
                f"manifests for '{self._ident}' refer to"
            )
        return answer

    def _object(self, answer: Answer, noun: str) -> dict[str, Any]:
        document = answer.json(self._what)
        if not isinstance(document, dict):
            raise BadUpstreamError(
                f"{self._what} sent a {noun} for {answer.url} that is not a JSON object"
            )
        return document

    def _check_digest(self, answer: Answer, digest: str, noun: str) -> None:
        found = "sha256:" + hashlib.sha256(answer.body).hexdigest()
        if found != digest:
            raise BadUpstreamError(
                f"{self._what} sent a {noun} for {answer.url} whose digest is {found}, not "
                f"the {digest} it is addressed by"
            )

    # -- HTTP with the anonymous bearer-token flow --------------------------------------

    def _get(self, url: str, accept: str | None = None) -> Answer:
        answer = self._fetcher.get(url, what=self._what, accept=accept, headers=self._auth())
        if answer.status == 401 and self._token is None:
            challenge = _bearer_challenge(answer.headers)
            if challenge is not None:
                self._token = self._fetch_token(answer, challenge)
                answer = self._fetcher.get(
                    url, what=self._what, accept=accept, headers=self._auth()
                )
        return answer

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def _fetch_token(self, answer: Answer, challenge: dict[str, str]) -> str:
        realm = urljoin(answer.url, challenge["realm"])
        query = {}
        if challenge.get("service"):
            query["service"] = challenge["service"]
        query["scope"] = challenge.get("scope") or f"repository:{self._repository}:pull"
        url = f"{realm}{'&' if urlsplit(realm).query else '?'}{urlencode(query)}"
        got = self._fetcher.get(url, what=self._what, accept="application/json")
        if got.status in (401, 403):
            raise self._denied()
        if not got.ok:
            raise BadUpstreamError(
                f"{self._what} answered {got.status} at its token endpoint {realm} for an "
                "anonymous pull token"
            )
        document = got.json(self._what)
        token: Any = None
        if isinstance(document, dict):
            token = document.get("token") or document.get("access_token")
        if not isinstance(token, str) or not token:
            raise BadUpstreamError(
                f"{self._what} answered its token endpoint {realm} without a 'token'"
            )
        return token
