"""A fake OCI registry on 127.0.0.1 speaking the distribution API with anonymous token auth.

Served:

- ``GET /token?service=<service>&scope=repository:<repo>:pull`` -> ``{"token", "access_token",
  "expires_in"}``; 401 for a private repository (unless ``refuse_private_tokens`` is off:
  then the token is issued but grants nothing, as some registries do).
- ``GET /v2/<repo>/manifests/<tag or digest>``, ``GET /v2/<repo>/blobs/<digest>`` and
  ``GET /v2/<repo>/tags/list``: with ``require_auth`` (the default) they need
  ``Authorization: Bearer <token>`` for that repository, and answer 401 with
  ``WWW-Authenticate: Bearer realm="<url>/token",service="...",scope="..."`` otherwise.
  Manifests come with their media type and ``Docker-Content-Digest``; one whose media type
  the request does not accept is 404, as the distribution registry answers. Blobs are
  answered with a 307 to ``/_storage/<digest>`` (blob storage, no auth) while
  ``redirect_blobs`` is on. Errors carry the distribution error JSON (``NAME_UNKNOWN``,
  ``MANIFEST_UNKNOWN``, ``BLOB_UNKNOWN``, ``UNAUTHORIZED``, ``DENIED``).

    with FakeOci() as oci:
        image = oci.add_image("alice/weather", "1.0.0", {"io.modelcontextprotocol.server.name":
                                                         "io.github.alice/weather"})
        oci.url          # the fetch URL to configure: images.example.com=<oci.url>
        image.digest     # what the tag points to (the index, or the manifest if single-arch)
        image.manifests["linux/amd64"], image.configs["linux/amd64"]

An index lists an attestation manifest (platform unknown/unknown) first, then linux/arm64,
then linux/amd64, so a client that takes the first entry, or the first real platform, reads
the wrong image.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.faults import Faults
from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
IN_TOTO_LAYER = "application/vnd.in-toto+json"
SERVICE = "fake-oci"
STORAGE = "/_storage/"

_MANIFESTS = re.compile(r"^/v2/(?P<repo>.+)/(?P<kind>manifests|blobs)/(?P<ref>[^/]+)$")
_TAGS = re.compile(r"^/v2/(?P<repo>.+)/tags/list$")
_SCOPE = re.compile(r"^repository:(?P<repo>[^:]+):(?P<actions>[a-z,*]+)$")


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class Repository:
    private: bool = False
    tags: dict[str, str] = field(default_factory=dict)  # tag -> manifest digest
    manifests: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # -> (type, body)
    blobs: dict[str, bytes] = field(default_factory=dict)

    def put_manifest(self, media_type: str, document: Mapping[str, Any]) -> str:
        body = _canonical(document)
        digest = digest_of(body)
        self.manifests[digest] = (media_type, body)
        return digest

    def put_blob(self, data: bytes) -> str:
        digest = digest_of(data)
        self.blobs[digest] = data
        return digest


@dataclass(frozen=True)
class Image:
    repo: str
    tag: str
    digest: str  # what the tag points to: the index, or the manifest of a single-arch image
    manifests: dict[str, str]  # "linux/amd64" -> image manifest digest
    configs: dict[str, str]  # "linux/amd64" -> config blob digest
    attestation: str | None = None  # the attestation manifest's digest, in an index


class FakeOci(LoopbackFake):
    def __init__(self) -> None:
        self.repos: dict[str, Repository] = {}
        self.faults = Faults()
        self.require_auth = True
        self.redirect_blobs = True
        self.refuse_private_tokens = True
        self.challenge_scope = True  # name the scope in the 401 challenge
        self.tokens: dict[str, set[str]] = {}  # token -> repositories it may pull
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._server = LoopbackServer(self.faults.wrap(self._handle))

    @property
    def url(self) -> str:
        return self._server.url

    # -- content --------------------------------------------------------------------------

    def add_image(
        self,
        repo: str,
        tag: str,
        labels: Mapping[str, str] | None = None,
        multi_arch: bool = True,
        *,
        platforms: Sequence[str] = ("linux/arm64", "linux/amd64"),
        docker: bool = False,
        private: bool = False,
    ) -> Image:
        """Push an image (an index over ``platforms`` with an attestation, or one linux/amd64
        manifest) and tag it; every digest is the real sha256 of what is served."""
        repository = self.repos.setdefault(repo, Repository())
        repository.private = repository.private or private
        manifest_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
        chosen = platforms if multi_arch else ("linux/amd64",)
        manifests: dict[str, str] = {}
        configs: dict[str, str] = {}
        for platform in chosen:
            os_name, _, arch = platform.partition("/")
            layer = repository.put_blob(f"layer {repo}:{tag} {platform}".encode())
            config: dict[str, Any] = {
                "architecture": arch,
                "os": os_name,
                "config": {"Env": ["PATH=/usr/bin"], "Labels": dict(labels or {}) or None},
                "rootfs": {"type": "layers", "diff_ids": [layer]},
            }
            config_body = _canonical(config)
            configs[platform] = repository.put_blob(config_body)
            manifests[platform] = repository.put_manifest(
                manifest_type,
                {
                    "schemaVersion": 2,
                    "mediaType": manifest_type,
                    "config": {
                        "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                        "digest": configs[platform],
                        "size": len(config_body),
                    },
                    "layers": [
                        {
                            "mediaType": DOCKER_LAYER if docker else OCI_LAYER,
                            "digest": layer,
                            "size": len(repository.blobs[layer]),
                        }
                    ],
                },
            )
        if not multi_arch:
            repository.tags[tag] = manifests["linux/amd64"]
            return Image(repo, tag, manifests["linux/amd64"], manifests, configs)
        attestation = self._attestation(repository, manifests[chosen[-1]])
        entries: list[dict[str, Any]] = [
            {
                "mediaType": OCI_MANIFEST,
                "digest": attestation,
                "size": len(repository.manifests[attestation][1]),
                "platform": {"architecture": "unknown", "os": "unknown"},
                "annotations": {
                    "vnd.docker.reference.digest": manifests[chosen[-1]],
                    "vnd.docker.reference.type": "attestation-manifest",
                },
            }
        ]
        for platform in chosen:
            os_name, _, arch = platform.partition("/")
            entries.append(
                {
                    "mediaType": manifest_type,
                    "digest": manifests[platform],
                    "size": len(repository.manifests[manifests[platform]][1]),
                    "platform": {"architecture": arch, "os": os_name},
                }
            )
        index_type = DOCKER_LIST if docker else OCI_INDEX
        index = repository.put_manifest(
            index_type, {"schemaVersion": 2, "mediaType": index_type, "manifests": entries}
        )
        repository.tags[tag] = index
        return Image(repo, tag, index, manifests, configs, attestation)

    @staticmethod
    def _attestation(repository: Repository, subject: str) -> str:
        statement = repository.put_blob(
            json.dumps({"_type": "https://in-toto.io/Statement/v0.1", "subject": subject}).encode()
        )
        config = repository.put_blob(b"{}")
        return repository.put_manifest(
            OCI_MANIFEST,
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config, "size": 2},
                "layers": [
                    {
                        "mediaType": IN_TOTO_LAYER,
                        "digest": statement,
                        "size": len(repository.blobs[statement]),
                    }
                ],
            },
        )

    # -- protocol -------------------------------------------------------------------------

    def _handle(self, req: Request) -> Reply:
        if req.method not in ("GET", "HEAD"):
            return _error(405, "UNSUPPORTED", "the fake registry is read-only")
        if req.path == "/token":
            return self._token(req)
        if req.path.startswith(STORAGE):
            return self._storage(req.path[len(STORAGE) :])
        if req.path in ("/v2", "/v2/"):
            return self._unauthorised("") if self._denied(req, None) else Reply.json({})
        if match := _TAGS.match(req.path):
            return self._tags(req, match["repo"])
        if match := _MANIFESTS.match(req.path):
            repo, ref = match["repo"], match["ref"]
            if self._denied(req, repo):
                return self._unauthorised(repo)
            repository = self.repos.get(repo)
            if repository is None:
                return _error(404, "NAME_UNKNOWN", f"repository name not known: {repo}")
            if match["kind"] == "blobs":
                return self._blob(repository, ref)
            return self._manifest(req, repository, ref)
        return _error(404, "NOT_FOUND", f"no route for {req.path}")

    def _token(self, req: Request) -> Reply:
        if req.query_one("service") != SERVICE:
            return _error(400, "UNSUPPORTED", "unknown service")
        granted: set[str] = set()
        for scope in req.query.get("scope", []):
            match = _SCOPE.match(scope)
            if match is None or "pull" not in match["actions"].split(","):
                return _error(400, "UNSUPPORTED", f"bad scope {scope!r}")
            repository = self.repos.get(match["repo"])
            if repository is not None and repository.private:
                if self.refuse_private_tokens:
                    return _error(401, "UNAUTHORIZED", "authentication required")
                continue  # a token that grants nothing
            granted.add(match["repo"])
        with self._lock:
            token = f"anon-{next(self._counter)}"
            self.tokens[token] = granted
        return Reply.json({"token": token, "access_token": token, "expires_in": 300})

    def _denied(self, req: Request, repo: str | None) -> bool:
        if not self.require_auth:
            return repo is not None and self._private(repo)
        token = req.bearer()
        with self._lock:
            granted = self.tokens.get(token or "")
        if granted is None:
            return True
        return repo is not None and repo not in granted  # the token is for another scope

    def _private(self, repo: str) -> bool:
        repository = self.repos.get(repo)
        return repository is not None and repository.private

    def _unauthorised(self, repo: str) -> Reply:
        challenge = f'Bearer realm="{self.url}/token",service="{SERVICE}"'
        if self.challenge_scope and repo:
            challenge += f',scope="repository:{repo}:pull"'
        reply = _error(401, "UNAUTHORIZED", "authentication required")
        reply.headers["WWW-Authenticate"] = challenge
        return reply

    def _manifest(self, req: Request, repository: Repository, ref: str) -> Reply:
        digest = ref if ref.startswith("sha256:") else repository.tags.get(ref)
        stored = repository.manifests.get(digest or "")
        if digest is None or stored is None:
            return _error(404, "MANIFEST_UNKNOWN", f"manifest unknown: {ref}")
        media_type, body = stored
        accepted = {a.split(";")[0].strip() for a in (req.header("accept") or "").split(",")}
        if media_type not in accepted and "*/*" not in accepted:
            return _error(404, "MANIFEST_UNKNOWN", f"manifest unknown in the accepted types: {ref}")
        return Reply(200, body, {"Content-Type": media_type, "Docker-Content-Digest": digest})

    def _blob(self, repository: Repository, digest: str) -> Reply:
        if digest not in repository.blobs:
            return _error(404, "BLOB_UNKNOWN", f"blob unknown: {digest}")
        if self.redirect_blobs:
            return Reply(307, b"", {"Location": f"{STORAGE}{digest}"})
        return self._blob_body(repository.blobs[digest], digest)

    def _storage(self, digest: str) -> Reply:
        for repository in self.repos.values():
            if digest in repository.blobs:
                return self._blob_body(repository.blobs[digest], digest)
        return Reply.text("NoSuchKey", 404)

    @staticmethod
    def _blob_body(data: bytes, digest: str) -> Reply:
        return Reply(
            200,
            data,
            {"Content-Type": "application/octet-stream", "Docker-Content-Digest": digest},
        )

    def _tags(self, req: Request, repo: str) -> Reply:
        if self._denied(req, repo):
            return self._unauthorised(repo)
        repository = self.repos.get(repo)
        if repository is None:
            return _error(404, "NAME_UNKNOWN", f"repository name not known: {repo}")
        tags = sorted(repository.tags)
        limit = req.query_one("n")
        if limit is not None and limit.isdigit():
            tags = tags[: int(limit)]
        return Reply.json({"name": repo, "tags": tags})


def _error(status: int, code: str, message: str) -> Reply:
    return Reply.json({"errors": [{"code": code, "message": message, "detail": None}]}, status)
