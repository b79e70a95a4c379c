"""A fake OpenID Connect issuer: a real HTTP server on 127.0.0.1 with a JWKS of real RSA keys,
and helpers to mint ID tokens with any claims, audience, expiry, key id or algorithm.

Served, under the issuer URL (``issuer.url``, which is ``http://127.0.0.1:<port>`` plus an
optional ``path``):

- ``GET /.well-known/openid-configuration`` -> ``issuer``, ``jwks_uri``,
  ``id_token_signing_alg_values_supported`` (``["RS256"]``), ...
- ``GET /.well-known/jwks`` -> ``{"keys": [...]}``, the published public keys. This is also
  where GitHub Actions publishes its keys, so the same fake stands in for
  ``https://token.actions.githubusercontent.com``.
- ``GET /_actions/idtoken?api-version=2.0&audience=A`` (``Authorization: Bearer
  <request token>``) -> ``{"value": "<ID token>", "count": 1}``: the runner endpoint behind
  ``ACTIONS_ID_TOKEN_REQUEST_URL``, so a CLI can be tested as it runs inside a workflow.

Use::

    from tests.fakes.oidc import FakeOIDCIssuer

    with FakeOIDCIssuer() as idp:                         # or the ``fake_oidc`` fixture
        token = idp.mint({"sub": "u1", "hd": "example.com"}, aud="registrum")
        token = idp.mint(idp.github_actions_claims("octo-org"), aud="https://reg.example")
        idp.mint(claims, aud="x", exp=-60)                # expired a minute ago
        idp.mint(claims, aud="x", exp=None)               # no exp claim at all
        idp.mint(claims, aud="x", kid="nope")             # a kid not in the JWKS
        idp.mint(claims, aud="x", key=idp.new_key(publish=False))  # an unpublished key
        idp.mint(claims, aud="x", alg="RS384")            # another algorithm, same key
        idp.forge_alg_none(claims)                        # alg "none", no signature
        idp.forge_hs256_with_public_key(claims)           # HS256 keyed with the public key
        env = idp.actions_env(idp.github_actions_claims("octo-org"))  # ACTIONS_ID_TOKEN_*
        idp.fail("/.well-known/jwks", 500)                # make an endpoint fail
        idp.requests                                      # every request received

Two ways to play GitHub Actions: set the registry's ``github_oidc_issuer`` to ``idp.url`` (its
JWKS is then found at ``<issuer>/.well-known/jwks``), or start
``FakeOIDCIssuer(issuer=GITHUB_ACTIONS_ISSUER)`` and set ``github_oidc_jwks_url`` to
``idp.jwks_url``: tokens then carry GitHub's real ``iss``.

``mint`` fills ``iss`` (``idp.issuer``), ``iat``, ``nbf`` and ``exp`` (``exp`` seconds from
now, default 300) unless the claims give them; ``iss=`` overrides the issuer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request

GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/.well-known/jwks"
ACTIONS_TOKEN = "/_actions/idtoken"


@dataclass
class RsaKey:
    kid: str
    private_key: rsa.RSAPrivateKey = field(repr=False)
    alg: str | None = "RS256"  # what the published JWK says (None: no "alg" member)

    @classmethod
    def generate(cls, kid: str | None = None) -> RsaKey:
        return cls(
            kid or secrets.token_hex(8),
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
        )

    def public_jwk(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        jwk = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "n": _b64int(numbers.n),
            "e": _b64int(numbers.e),
        }
        if self.alg is not None:
            jwk["alg"] = self.alg
        return jwk

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class FakeOIDCIssuer(LoopbackFake):
    def __init__(
        self,
        *,
        path: str = "",
        algorithms: tuple[str, ...] = ("RS256",),
        issuer: str | None = None,
    ) -> None:
        self.path = "/" + path.strip("/") if path.strip("/") else ""
        self._issuer = issuer
        self.algorithms = algorithms
        self.key = RsaKey.generate()
        self.keys: list[RsaKey] = [self.key]  # the published ones
        self.requests: list[Request] = []
        self.discovery_overrides: dict[str, Any] = {}
        self._failures: dict[str, tuple[int, str]] = {}
        self._actions: dict[str, dict[str, Any]] = {}  # request token -> claims
        self._lock = threading.RLock()
        self._server = LoopbackServer(self._handle)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Where the issuer is served (discovery and JWKS live under it)."""
        return self._server.url + self.path

    @property
    def issuer(self) -> str:
        """The ``iss`` of minted tokens and of the discovery document: ``url`` unless another
        was given (``FakeOIDCIssuer(issuer=GITHUB_ACTIONS_ISSUER)`` plays GitHub Actions
        exactly; point the registry's JWKS URL at ``jwks_url`` then)."""
        return self._issuer or self.url

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS

    # --- keys -------------------------------------------------------------------------------

    def new_key(self, *, publish: bool = True, kid: str | None = None) -> RsaKey:
        key = RsaKey.generate(kid)
        if publish:
            with self._lock:
                self.keys.append(key)
        return key

    def unpublish(self, key: RsaKey) -> None:
        with self._lock:
            self.keys = [k for k in self.keys if k.kid != key.kid]

    def fail(self, path: str, status: int = 500, body: str = "unavailable") -> None:
        """Answer ``path`` (relative to the issuer: ``/.well-known/jwks``) with ``status``."""
        with self._lock:
            self._failures[path] = (status, body)

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    # --- tokens -----------------------------------------------------------------------------

    def mint(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        aud: str | list[str] | None = None,
        iss: str | None = None,
        exp: int | None = 300,
        key: RsaKey | None = None,
        kid: str | None = None,
        alg: str = "RS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed ID token. ``exp`` is seconds from now (negative: already expired; ``None``:
        no ``exp`` claim); ``kid`` overrides the header's key id (``""`` leaves it out)."""
        now = int(time.time())
        payload: dict[str, Any] = {"iss": iss if iss is not None else self.issuer, "iat": now}
        payload["nbf"] = now - 5
        if exp is not None:
            payload["exp"] = now + exp
        if aud is not None:
            payload["aud"] = aud
        payload.update(claims or {})
        signing = key or self.key
        header: dict[str, Any] = {"kid": signing.kid if kid is None else kid}
        if header["kid"] == "":
            del header["kid"]
        header.update(headers or {})
        return jwt.encode(payload, signing.private_key, algorithm=alg, headers=header)

    def forge_alg_none(self, claims: Mapping[str, Any], *, aud: str | None = None) -> str:
        """An unsigned token (``alg: none``) that otherwise looks right."""
        header = {"alg": "none", "typ": "JWT", "kid": self.key.kid}
        return f"{_b64json(header)}.{_b64json(self._payload(claims, aud))}."

    def forge_hs256_with_public_key(
        self, claims: Mapping[str, Any], *, aud: str | None = None
    ) -> str:
        """The classic key-confusion forgery: HS256, with the published public key (PEM) as
        the HMAC secret."""
        header = {"alg": "HS256", "typ": "JWT", "kid": self.key.kid}
        signing_input = f"{_b64json(header)}.{_b64json(self._payload(claims, aud))}"
        mac = hmac.new(self.key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"

    def _payload(self, claims: Mapping[str, Any], aud: str | None) -> dict[str, Any]:
        now = int(time.time())
        payload: dict[str, Any] = {"iss": self.issuer, "iat": now, "exp": now + 300}
        if aud is not None:
            payload["aud"] = aud
        payload.update(claims)
        return payload

    def github_actions_claims(
        self, owner: str, repo: str = "server", **extra: Any
    ) -> dict[str, Any]:
        """The claims of a GitHub Actions ID token for a workflow in ``owner/repo``."""
        repository = f"{owner}/{repo}"
        claims: dict[str, Any] = {
            "sub": f"repo:{repository}:ref:refs/heads/main",
            "ref": "refs/heads/main",
            "repository": repository,
            "repository_id": "123456",
            "repository_owner": owner,
            "repository_owner_id": "654321",
            "repository_visibility": "public",
            "run_id": "1",
            "run_number": "1",
            "run_attempt": "1",
            "actor": owner,
            "actor_id": "654321",
            "workflow": "publish",
            "workflow_ref": f"{repository}/.github/workflows/publish.yml@refs/heads/main",
            "event_name": "push",
            "ref_type": "branch",
            "job_workflow_ref": f"{repository}/.github/workflows/publish.yml@refs/heads/main",
            "runner_environment": "github-hosted",
        }
        claims.update(extra)
        return claims

    def actions_env(
        self, claims: Mapping[str, Any], *, request_token: str | None = None
    ) -> dict[str, str]:
        """``ACTIONS_ID_TOKEN_REQUEST_URL`` and ``ACTIONS_ID_TOKEN_REQUEST_TOKEN`` as a GitHub
        runner sets them: a GET of the URL with ``&audience=<aud>`` and the request token as
        Bearer answers ``{"value": <token with those claims and that audience>}``."""
        request_token = request_token or secrets.token_hex(16)
        with self._lock:
            self._actions[request_token] = dict(claims)
        return {
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.url}{ACTIONS_TOKEN}?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": request_token,
            "GITHUB_ACTIONS": "true",
        }

    # --- the HTTP side ----------------------------------------------------------------------

    def _handle(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            if not req.path.startswith(self.path):
                return Reply.json({"error": "not found"}, 404)
            path = req.path[len(self.path) :]
            failure = self._failures.get(path)
        if failure is not None:
            return Reply.text(failure[1], failure[0])
        if req.method != "GET":
            return Reply.json({"error": "method not allowed"}, 405)
        if path == DISCOVERY:
            return Reply.json(self.discovery())
        if path == JWKS:
            with self._lock:
                return Reply.json(
                    {"keys": [k.public_jwk() for k in self.keys]},
                    headers={"Cache-Control": "max-age=60"},
                )
        if path == ACTIONS_TOKEN:
            return self._actions_token(req)
        return Reply.json({"error": "not found"}, 404)

    def discovery(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(self.algorithms),
            "claims_supported": ["sub", "aud", "exp", "iat", "iss"],
        }
        doc.update(self.discovery_overrides)
        return doc

    def _actions_token(self, req: Request) -> Reply:
        with self._lock:
            claims = self._actions.get(req.bearer() or "")
        if claims is None:
            return Reply.json({"message": "Unauthorized"}, 401)
        audience = (
            req.query_one("audience") or f"https://github.com/{claims.get('repository_owner', '')}"
        )
        return Reply.json({"count": 1, "value": self.mint(claims, aud=audience)})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _b64json(data: Mapping[str, Any]) -> str:
    return _b64(json.dumps(data, separators=(",", ":")).encode())


@pytest.fixture
def fake_oidc() -> Iterator[FakeOIDCIssuer]:
    """A running :class:`FakeOIDCIssuer`, stopped after the test."""
    with FakeOIDCIssuer() as idp:
        yield idp
