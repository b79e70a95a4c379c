"""Registry tokens: short-lived Ed25519 JWTs carrying permissions, in the official
registry's format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registrum.core.errors import AuthenticationError
from registrum.core.permissions import Action, Permission, Principal

ISSUER: Final = "mcp-registry"
TOKEN_TTL: Final = timedelta(minutes=5)
INVALID_TOKEN: Final = "Invalid or expired Registry JWT token"  # noqa: S105 - a message
# Clocks of the hosts behind one load balancer drift a little; more than this is not drift.
LEEWAY: Final = 5


def _permission(claim: Any) -> Permission:
    """One ``{"action", "resource"}`` claim; any other shape makes the token invalid."""
    resource = claim["resource"]
    if not isinstance(resource, str):
        raise TypeError(f"permission resource must be a string, not {type(resource).__name__}")
    return Permission(Action(claim["action"]), resource)


class TokenService:
    def __init__(self, seed: bytes, ttl: timedelta = TOKEN_TTL) -> None:
        if len(seed) != 32:
            raise ValueError("the JWT private key must be a 32-byte Ed25519 seed")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self._public = self._key.public_key()
        self._ttl = ttl

    def issue(self, principal: Principal, now: datetime | None = None) -> tuple[str, int]:
        issued = now or datetime.now(UTC)
        expires = issued + self._ttl
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "iat": int(issued.timestamp()),
            "nbf": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "auth_method": principal.method,
            "auth_method_sub": principal.subject,
            "permissions": [
                {"action": p.action.value, "resource": p.resource} for p in principal.permissions
            ],
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA"), int(expires.timestamp())

    def verify(self, token: str, now: datetime | None = None) -> Principal:
        """The principal a token of this registry carries. Beyond the signature, the issuer
        and the lifetime are checked: a token signed with a leaked or reused key under
        another issuer, or minted to live for years, is refused like an expired one."""
        try:
            claims = jwt.decode(
                token,
                self._public,
                algorithms=["EdDSA"],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss"]},
                leeway=LEEWAY,
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(INVALID_TOKEN) from exc
        issued, expires = claims["iat"], claims["exp"]
        moment = (now or datetime.now(UTC)).timestamp()
        if (
            not isinstance(issued, int | float)
            or not isinstance(expires, int | float)
            or issued > moment + LEEWAY
            or expires - issued > self._ttl.total_seconds() + LEEWAY
        ):
            raise AuthenticationError(INVALID_TOKEN)
        try:
            permissions = tuple(_permission(p) for p in claims.get("permissions") or [])
        except (KeyError, TypeError, ValueError) as exc:
            raise AuthenticationError(INVALID_TOKEN) from exc
        return Principal(
            str(claims.get("auth_method", "")), str(claims.get("auth_method_sub", "")), permissions
        )
