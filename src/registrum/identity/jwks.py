"""Verifying ID tokens signed with a key from the issuer's JSON Web Key Set (GitHub Actions,
an operator's OIDC provider).

Only asymmetric algorithms are ever accepted, and only those the caller allows: ``alg: none``
and HMAC tokens (the "public key as HMAC secret" forgery) are refused before any key is looked
at. Keys are cached for ``ttl`` seconds; a key id not in the cached set triggers one refetch,
so a rotated key is picked up at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection
from typing import Any, Final

import httpx
import jwt

from registrum.identity.common import RefusedError, describe, http_client

ASYMMETRIC: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
MAX_DOCUMENT_BYTES: Final = 1024 * 1024
LEEWAY_SECONDS: Final = 30  # clock skew between the issuer and us


def fetch_json(http: httpx.Client | None, url: str, what: str, timeout: float) -> Any:
    """GET a JSON document (discovery, key set), at most 1 MiB."""
    try:
        with (
            http_client(http, timeout, follow_redirects=True) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise RefusedError(f"the {what} at {url} answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise RefusedError(f"the {what} at {url} is larger than 1 MiB")
    except httpx.HTTPError as exc:
        raise RefusedError(f"could not fetch the {what} from {url}: {describe(exc)}") from exc
    try:
        return json.loads(body)
    except ValueError as exc:
        raise RefusedError(f"the {what} at {url} is not JSON") from exc


class KeySet:
    """The signing keys published at a JWKS URL (given as a function: with OIDC discovery
    the URL is only known once the discovery document has been read)."""

    def __init__(
        self,
        url: Callable[[], str],
        *,
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._http = http
        self._timeout = timeout
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[tuple[dict[str, Any], jwt.PyJWK]] | None = None
        self._fetched_at = 0.0
        self.last_url = ""

    def candidates(self, kid: str | None, alg: str) -> list[jwt.PyJWK]:
        """The published keys that may have signed a token with this ``kid`` and ``alg``."""
        keys, fresh = self._current()
        found = _matching(keys, kid, alg)
        if not found and not fresh:
            found = _matching(self._refresh(), kid, alg)
        return found

    def _current(self) -> tuple[list[tuple[dict[str, Any], jwt.PyJWK]], bool]:
        with self._lock:
            keys, fetched_at = self._keys, self._fetched_at
        if keys is not None and self._clock() - fetched_at < self._ttl:
            return keys, False
        return self._refresh(), True

    def _refresh(self) -> list[tuple[dict[str, Any], jwt.PyJWK]]:
        url = self._url()
        self.last_url = url
        document = fetch_json(self._http, url, "key set (JWKS)", self._timeout)
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise RefusedError(f"the key set at {url} has no 'keys' list")
        keys = []
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                keys.append((entry, jwt.PyJWK(entry)))
            except jwt.PyJWTError:
                continue  # a key type we cannot use; others in the set may still verify
        with self._lock:
            self._keys, self._fetched_at = keys, self._clock()
        return keys


def _matching(
    keys: list[tuple[dict[str, Any], jwt.PyJWK]], kid: str | None, alg: str
) -> list[jwt.PyJWK]:
    return [
        key
        for entry, key in keys
        if (kid is None or entry.get("kid") == kid) and entry.get("alg", alg) == alg
    ]


def verify(
    token: str,
    keys: KeySet,
    *,
    algorithms: Collection[str],
    issuer: str,
    audience: str,
    require_kid: bool,
) -> dict[str, Any]:
    """The token's claims, once its signature, ``iss``, ``aud`` (contains ``audience``) and
    ``exp`` hold; raises :class:`RefusedError` saying which check failed."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise RefusedError("the token is not a well-formed JWT (header.payload.signature)") from exc
    allowed = [a for a in algorithms if a in ASYMMETRIC]
    alg = header.get("alg")
    if alg not in allowed:
        raise RefusedError(
            f"tokens signed with {alg!r} are not accepted: expected {' or '.join(allowed)}"
        )
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise RefusedError("the token header's key id (kid) is not a string")
    if require_kid and not kid:
        raise RefusedError("the token header has no key id (kid)")
    candidates = keys.candidates(kid or None, alg)
    if not candidates:
        which = f"with id {kid!r} " if kid else ""
        raise RefusedError(
            f"no {alg} key {which}in the issuer's key set at {keys.last_url}: the token was "
            "not signed by this issuer, or with a key it has retired"
        )
    for key in candidates:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                issuer=issuer,
                audience=audience,
                options={"require": ["exp", "iss", "aud"]},
                leeway=LEEWAY_SECONDS,
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise RefusedError(_reason(exc, token, issuer, audience)) from exc
        return claims
    raise RefusedError("the token's signature does not verify with the issuer's published key")


def _reason(exc: jwt.PyJWTError, token: str, issuer: str, audience: str) -> str:
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        unverified = {}
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "the token has expired: request a new one"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token has no '{exc.claim}' claim"
    if isinstance(exc, jwt.InvalidIssuerError):
        return f"invalid issuer: expected {issuer}, got {unverified.get('iss')!r}"
    if isinstance(exc, jwt.InvalidAudienceError):
        got = unverified.get("aud")
        got_list = got if isinstance(got, list) else [got]
        return f"invalid audience: expected {audience}, got {json.dumps(got_list)}"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "the token is not valid yet (its nbf or iat is in the future)"
    if isinstance(exc, jwt.InvalidKeyError):
        return "the issuer's key does not fit the token's algorithm"
    return f"the token is not valid: {exc}"
