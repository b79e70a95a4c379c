"""``oidc``: an ID token from the operator's identity provider, for registry
administrators (the official registry's ``POST /auth/oidc``).

The provider is found by OIDC discovery (``<issuer>/.well-known/openid-configuration``, whose
``issuer`` must be exactly the configured one); the token must be signed by a key from its
``jwks_uri`` with an algorithm it announces (asymmetric only), and carry ``iss`` = the issuer,
``aud`` containing the client id, and ``exp``. Then every extra-claim rule must hold, and the
token grants the configured publish and edit patterns, whatever else it says.

Extra-claim rules (``MCP_REGISTRY_OIDC_EXTRA_CLAIMS``) are a JSON array of objects; every key
of every object must be among the token's non-standard claims and match: a scalar rule equals
a scalar claim or is one of an array claim's elements (a one-element array is compared as its
element); an array rule matches an array claim sharing at least one element.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import httpx

from registrum.core.permissions import Action, Permission, Principal
from registrum.identity.common import RefusedError, refused, required_token
from registrum.identity.jwks import ASYMMETRIC, KeySet, fetch_json, verify

FIELD: Final = "oidc_token"
STANDARD_CLAIMS: Final = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
ClaimRule = dict[str, Any]


def parse_claim_rules(text: str) -> list[ClaimRule]:
    """``MCP_REGISTRY_OIDC_EXTRA_CLAIMS``: empty, or a JSON array of objects."""
    example = 'for example [{"hd": "example.com"}]'
    if not text.strip():
        return []
    try:
        rules = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"expected a JSON array of objects ({example}); not JSON: {exc}") from exc
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ValueError(f"expected a JSON array of objects, {example}")
    return rules


def parse_patterns(text: str) -> list[str]:
    """A comma-separated list of permission patterns; whitespace trimmed, empties skipped."""
    return [p.strip() for p in text.split(",") if p.strip()]


def claim_problem(rules: list[ClaimRule], claims: Mapping[str, Any]) -> str | None:
    """Why the token's claims break the rules, or ``None`` when every rule holds."""
    extra = {k: v for k, v in claims.items() if k not in STANDARD_CLAIMS}
    for rule in rules:
        for key, expected in rule.items():
            if key not in extra:
                return f"claim '{key}' is required by this registry but the token has none"
            if not _claim_matches(extra[key], expected):
                return (
                    f"claim '{key}': expected {json.dumps(expected)}, got {json.dumps(extra[key])}"
                )
    return None


def _claim_matches(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        if isinstance(expected, list):
            return any(_json_equal(a, e) for a in actual for e in expected)
        if len(actual) == 1:
            return _claim_matches(actual[0], expected)
        return any(_json_equal(a, expected) for a in actual)
    return _json_equal(actual, expected)


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return bool(a == b)


class Provider:
    """The provider's discovery document, read when first needed and kept for ``ttl``."""

    def __init__(
        self,
        issuer: str,
        *,
        http: httpx.Client | None,
        timeout: float,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        self._http = http
        self._timeout = timeout
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._document: tuple[str, tuple[str, ...]] | None = None
        self._read_at = 0.0

    def jwks_uri(self) -> str:
        return self._discover()[0]

    def algorithms(self) -> tuple[str, ...]:
        return self._discover()[1]

    def _discover(self) -> tuple[str, tuple[str, ...]]:
        with self._lock:
            if self._document is not None and self._clock() - self._read_at < self._ttl:
                return self._document
        doc = fetch_json(self._http, self.url, "OIDC discovery document", self._timeout)
        if not isinstance(doc, dict):
            raise RefusedError(f"the OIDC discovery document at {self.url} is not a JSON object")
        if doc.get("issuer") != self.issuer:
            raise RefusedError(
                f"the OIDC provider at {self.url} names the issuer {doc.get('issuer')!r}, "
                f"not the configured {self.issuer!r}"
            )
        jwks_uri = doc.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise RefusedError(f"the OIDC discovery document at {self.url} has no jwks_uri")
        announced = doc.get("id_token_signing_alg_values_supported")
        algorithms: tuple[str, ...] = ("RS256",)
        if isinstance(announced, list):
            algorithms = tuple(a for a in announced if a in ASYMMETRIC)
        document = (jwks_uri, algorithms)
        with self._lock:
            self._document, self._read_at = document, self._clock()
        return document


class OidcLogin:
    method = "oidc"

    def __init__(
        self,
        issuer: str,
        client_id: str,
        *,
        extra_claims: str = "",
        publish_permissions: str = "",
        edit_permissions: str = "",
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        discovery_seconds: float = 3600.0,
        cache_seconds: float = 60.0,
    ) -> None:
        if not issuer:
            raise ValueError("oidc login needs an issuer (MCP_REGISTRY_OIDC_ISSUER)")
        if not client_id:
            raise ValueError("oidc login needs a client id (MCP_REGISTRY_OIDC_CLIENT_ID)")
        self.issuer = issuer
        self.client_id = client_id
        self.rules = parse_claim_rules(extra_claims)
        self.permissions = tuple(
            [Permission(Action.PUBLISH, p) for p in parse_patterns(publish_permissions)]
            + [Permission(Action.EDIT, p) for p in parse_patterns(edit_permissions)]
        )
        self._provider = Provider(issuer, http=http, timeout=timeout, ttl=discovery_seconds)
        self._keys = KeySet(self._provider.jwks_uri, http=http, timeout=timeout, ttl=cache_seconds)

    def exchange(self, body: Any) -> Principal:
        token = required_token(body, FIELD)
        try:
            claims = verify(
                token,
                self._keys,
                algorithms=self._provider.algorithms(),
                issuer=self.issuer,
                audience=self.client_id,
                require_kid=False,
            )
        except RefusedError as exc:
            raise refused(FIELD, exc.reason) from None
        problem = claim_problem(self.rules, claims)
        if problem is not None:
            raise refused(FIELD, problem)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise refused(FIELD, "the token has no 'sub' claim")
        return Principal(self.method, subject, self.permissions)
