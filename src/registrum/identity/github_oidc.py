"""``github-oidc``: a GitHub Actions ID token proves the workflow runs in a repository of
``<repository_owner>``, which grants ``publish`` on ``io.github.<repository_owner>/*``
(the official registry's ``POST /auth/github-oidc``).

The token must be RS256-signed by a key (chosen by ``kid``) from the issuer's JWKS, carry an
``exp``, have ``iss`` equal to the configured issuer, and list this deployment's audience in
``aud``. Only served when an audience is configured.
"""

from __future__ import annotations

from typing import Any, Final

import httpx

from registrum.core.identity import github_permissions, is_github_login
from registrum.core.permissions import Principal
from registrum.identity.common import RefusedError, refused, required_token
from registrum.identity.jwks import KeySet, verify

GITHUB_ACTIONS_ISSUER: Final = "https://token.actions.githubusercontent.com"
FIELD: Final = "oidc_token"


class GitHubOidcLogin:
    method = "github-oidc"

    def __init__(
        self,
        audience: str,
        *,
        issuer: str = GITHUB_ACTIONS_ISSUER,
        jwks_url: str = "",
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        cache_seconds: float = 60.0,
    ) -> None:
        if not audience:
            raise ValueError("github-oidc needs an audience (MCP_REGISTRY_GITHUB_OIDC_AUDIENCE)")
        self.audience = audience
        self.issuer = issuer
        self.jwks_url = jwks_url or issuer.rstrip("/") + "/.well-known/jwks"
        self._keys = KeySet(lambda: self.jwks_url, http=http, timeout=timeout, ttl=cache_seconds)

    def exchange(self, body: Any) -> Principal:
        token = required_token(body, FIELD)
        try:
            claims = verify(
                token,
                self._keys,
                algorithms=("RS256",),
                issuer=self.issuer,
                audience=self.audience,
                require_kid=True,
            )
        except RefusedError as exc:
            raise refused(FIELD, exc.reason) from None
        owner = claims.get("repository_owner")
        if not isinstance(owner, str) or not owner:
            raise refused(FIELD, "the token has no repository_owner claim")
        if not is_github_login(owner):
            raise refused(
                FIELD, f"repository_owner {owner!r} is not a GitHub name (letters, digits, '-')"
            )
        subject = claims.get("sub")
        return Principal(
            self.method,
            subject if isinstance(subject, str) and subject else f"repo-owner:{owner}",
            github_permissions(owner),
        )
