"""Token exchange: a login method's proof in, a short-lived registry token out, as
the official registry's ``/auth/*`` endpoints do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from registrum.core.errors import NotFoundError, PermissionDeniedError
from registrum.core.identity import BLOCKED_MESSAGE, blocked_namespaces_hit
from registrum.core.ports import IdentityProvider
from registrum.services.tokens import TokenService


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: int


class TokenExchange:
    def __init__(
        self,
        tokens: TokenService,
        providers: Iterable[IdentityProvider],
        blocked_namespaces: Iterable[str] = (),
    ) -> None:
        self._tokens = tokens
        self._providers: Mapping[str, IdentityProvider] = {p.method: p for p in providers}
        self._blocked = tuple(blocked_namespaces)

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self._providers)

    def exchange(self, method: str, body: Any) -> IssuedToken:
        provider = self._providers.get(method)
        if provider is None:
            raise NotFoundError(f"login method '{method}' is not enabled on this registry")
        principal = provider.exchange(body)
        hits = blocked_namespaces_hit(principal, self._blocked)
        if hits:
            raise PermissionDeniedError(f"{BLOCKED_MESSAGE} ({', '.join(sorted(set(hits)))})")
        token, expires_at = self._tokens.issue(principal)
        return IssuedToken(token, expires_at)
