"""``github-at``: a GitHub access token (OAuth, from the device flow, or a personal access
token) proves who the user is, which grants ``publish`` on ``io.github.<login>/*`` and on the
namespace of every organisation the user is an Owner of (the official registry's
``POST /auth/github-at``).

Organisations come from ``GET /user/memberships/orgs`` (active memberships with role
``admin``), which needs the ``read:org`` scope. A token without it gets a plain 403 there and
is granted the user's own namespace only; a 403 that is a rate limit or an SSO demand fails
the exchange instead, so an Owner is never silently granted less than they should be.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import httpx

from registrum.core.identity import github_permissions, is_github_login
from registrum.core.permissions import Principal
from registrum.identity.common import RefusedError, describe, http_client, refused, required_token

API_VERSION: Final = "2022-11-28"
PAGE_SIZE: Final = 100  # GitHub's maximum
MAX_PAGES: Final = 100
FIELD: Final = "github_token"
MEMBERSHIPS: Final = "/user/memberships/orgs"


class GitHubLogin:
    method = "github-at"

    def __init__(
        self,
        api_url: str = "https://api.github.com",
        *,
        http: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = http
        self._timeout = timeout

    def exchange(self, body: Any) -> Principal:
        token = required_token(body, FIELD)
        try:
            with http_client(self._http, self._timeout) as client:
                login = self._login(client, token)
                organisations = self._owned_organisations(client, token)
        except RefusedError as exc:
            raise refused(FIELD, exc.reason) from None
        return Principal(self.method, login, github_permissions(login, organisations))

    def _get(self, client: httpx.Client, token: str, path: str) -> httpx.Response:
        try:
            return client.get(
                self.api_url + path,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/vnd.github+json",
                    "X-GitHub-Api-Version": API_VERSION,
                },
            )
        except httpx.HTTPError as exc:
            raise RefusedError(
                f"could not reach GitHub at {self.api_url}: {describe(exc)}"
            ) from exc

    def _login(self, client: httpx.Client, token: str) -> str:
        response = self._get(client, token, "/user")
        if response.status_code == 401:
            raise RefusedError(
                "GitHub rejected the token (401): it is unknown, expired or revoked; "
                "log in to GitHub again to get a new one"
            )
        limited = _rate_limited(response)
        if limited:
            raise RefusedError(limited)
        if response.status_code != 200:
            raise RefusedError(
                f"GitHub answered {response.status_code} to GET /user; try again later"
            )
        user = _json(response, "GET /user")
        login = user.get("login") if isinstance(user, dict) else None
        if not isinstance(login, str) or not login:
            raise RefusedError("GitHub's answer to GET /user has no login")
        if not is_github_login(login):
            raise RefusedError(
                f"GitHub login {login!r} is not a GitHub name (letters, digits, '-')"
            )
        return login

    def _owned_organisations(self, client: httpx.Client, token: str) -> list[str]:
        owned: list[str] = []
        for page in range(1, MAX_PAGES + 1):
            response = self._get(
                client,
                token,
                f"{MEMBERSHIPS}?state=active&per_page={PAGE_SIZE}&page={page}",
            )
            if response.status_code == 403 or response.status_code == 429:
                limited = _rate_limited(response)
                if limited:
                    raise RefusedError(limited)
                if response.headers.get("X-GitHub-SSO"):
                    raise RefusedError(
                        "an organisation you belong to enforces SAML single sign-on and this "
                        "token is not authorised for it (403): authorise the token for the "
                        "organisation on GitHub, then log in again"
                    )
                if response.status_code == 403:
                    return []  # no read:org scope: the user's own namespace only
            if response.status_code != 200:
                raise RefusedError(
                    f"GitHub answered {response.status_code} to GET {MEMBERSHIPS}; try again later"
                )
            memberships = _json(response, f"GET {MEMBERSHIPS}")
            if not isinstance(memberships, list):
                raise RefusedError(f"GitHub's answer to GET {MEMBERSHIPS} is not a list")
            for m in memberships:
                if not isinstance(m, dict):
                    continue
                organisation = m.get("organization")
                name = organisation.get("login") if isinstance(organisation, dict) else None
                # state=active is asked for already; checked again so a pending Owner
                # invitation never grants anything.
                if m.get("state") == "active" and m.get("role") == "admin" and name:
                    owned.append(str(name))
            if len(memberships) < PAGE_SIZE:
                return owned
        raise RefusedError(
            f"GitHub listed more than {MAX_PAGES * PAGE_SIZE} organisation memberships; "
            "refusing to grant from a possibly incomplete list"
        )


def _rate_limited(response: httpx.Response) -> str | None:
    """Why GitHub throttled this request, or ``None`` if it did not."""
    if response.status_code not in (403, 429):
        return None
    retry_after = response.headers.get("Retry-After")
    exhausted = response.headers.get("X-RateLimit-Remaining") == "0"
    if not exhausted and retry_after is None and response.status_code == 403:
        return None
    when = "later"
    reset = response.headers.get("X-RateLimit-Reset")
    if retry_after and retry_after.isdigit():
        when = f"in {retry_after} seconds"
    elif reset and reset.isdigit():
        when = "after " + datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M:%S UTC")
    return f"GitHub's API rate limit is exhausted ({response.status_code}); try again {when}"


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise RefusedError(f"GitHub's answer to {what} is not JSON") from exc
