"""Getting a GitHub credential to exchange for a registry token.

- :class:`DeviceFlow`: GitHub's OAuth device flow (RFC 8628) for ``login github``: ask for a
  code, show it to the user, poll until they approve, get an access token (then exchange it
  with :meth:`RegistryClient.login_github_at`).
- :func:`actions_id_token`: the ID token a GitHub Actions job can request (``permissions:
  id-token: write``), for ``login github-oidc``.

Both take the GitHub base URL and an optional :class:`httpx.Client`, so they can be pointed at
GitHub Enterprise or at a test server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from registrum.client.errors import LoginError

GITHUB_URL: Final = "https://github.com"
DEVICE_SCOPE: Final = "read:org read:user"
DEVICE_GRANT: Final = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL: Final = 5
MAX_INTERVAL: Final = 60
DEFAULT_EXPIRES_IN: Final = 900
MAX_EXPIRES_IN: Final = 3600
ACTIONS_URL_VAR: Final = "ACTIONS_ID_TOKEN_REQUEST_URL"
ACTIONS_TOKEN_VAR: Final = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105 - a variable name


@dataclass(frozen=True, slots=True)
class DeviceCode:
    """What the user needs (the code and where to enter it) and what polling needs."""

    device_code: str
    user_code: str
    verification_uri: str
    expires_in: int
    interval: int


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise LoginError(
            f"{what}: GitHub answered {response.status_code} without JSON", response.status_code
        ) from None
    if not isinstance(data, dict):
        raise LoginError(f"{what}: GitHub answered an unexpected shape", response.status_code)
    return data


def _positive(value: Any, default: int, cap: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return min(value, cap)
    return default


class DeviceFlow:
    """GitHub's OAuth device flow for one OAuth app (the registry's ``github_client_id``)."""

    def __init__(
        self,
        client_id: str,
        *,
        github_url: str = GITHUB_URL,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self.github_url = github_url.rstrip("/")
        self._own = http is None
        self._http = http or httpx.Client(timeout=30.0)
        self._sleep = sleep
        self._clock = clock

    def close(self) -> None:
        if self._own:
            self._http.close()

    def _post(self, path: str, form: Mapping[str, str], what: str) -> httpx.Response:
        url = f"{self.github_url}{path}"
        try:
            return self._http.post(url, data=dict(form), headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise LoginError(f"{what}: cannot reach {self.github_url}: {exc}") from exc

    def start(self, scope: str = DEVICE_SCOPE) -> DeviceCode:
        """Ask GitHub for a device code and the code the user types in."""
        what = "GitHub device login"
        response = self._post(
            "/login/device/code", {"client_id": self.client_id, "scope": scope}, what
        )
        data = _json(response, what)
        if response.status_code != 200 or "error" in data:
            reason = data.get("error_description") or data.get("error") or response.status_code
            raise LoginError(f"{what} refused: {reason}", response.status_code, data)
        try:
            return DeviceCode(
                device_code=str(data["device_code"]),
                user_code=str(data["user_code"]),
                verification_uri=str(data["verification_uri"]),
                expires_in=_positive(data.get("expires_in"), DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN),
                interval=_positive(data.get("interval"), DEFAULT_INTERVAL, MAX_INTERVAL),
            )
        except KeyError as exc:
            raise LoginError(f"{what}: GitHub's answer has no {exc}", 200, data) from None

    def wait(self, code: DeviceCode) -> str:
        """Poll until the user approves; the GitHub access token. Waits ``interval`` seconds
        between polls and 5 more after each ``slow_down`` (RFC 8628 §3.5)."""
        what = "GitHub device login"
        interval = code.interval
        deadline = self._clock() + code.expires_in
        form = {"client_id": self.client_id, "device_code": code.device_code}
        form["grant_type"] = DEVICE_GRANT
        while True:
            self._sleep(interval)
            if self._clock() > deadline:
                raise LoginError(f"{what}: the code {code.user_code} expired; log in again")
            response = self._post("/login/oauth/access_token", form, what)
            if response.status_code >= 500:
                continue
            data = _json(response, what)
            error = data.get("error")
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                # GitHub says how long to wait now; RFC 8628 says 5 seconds more.
                interval = _positive(data.get("interval"), interval + 5, MAX_INTERVAL)
                continue
            if error == "expired_token":
                raise LoginError(f"{what}: the code {code.user_code} expired; log in again")
            if error == "access_denied":
                raise LoginError(
                    f"{what}: the request was denied in the browser; log in again to retry"
                )
            if error:
                detail = data.get("error_description") or ""
                raise LoginError(
                    f"{what} failed: {error}" + (f" ({detail})" if detail else ""),
                    response.status_code,
                    data,
                )
            token = data.get("access_token")
            if response.status_code == 200 and isinstance(token, str) and token:
                return token
            raise LoginError(f"{what}: GitHub answered without an access token", None, data)


def audience_for(registry_url: str) -> str:
    """The audience GitHub Actions ID tokens carry for a registry: its scheme and host
    (``https://registry.example.com``), port included when the URL has one."""
    parts = urlsplit(registry_url.strip())
    if not parts.scheme or not parts.netloc:
        raise LoginError(f"cannot derive an audience from the registry URL {registry_url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def actions_id_token(
    audience: str, *, env: Mapping[str, str], http: httpx.Client | None = None
) -> str:
    """Request a GitHub Actions ID token for ``audience`` from the job's token service."""
    url, bearer = env.get(ACTIONS_URL_VAR), env.get(ACTIONS_TOKEN_VAR)
    if not url or not bearer:
        raise LoginError(
            f"{ACTIONS_URL_VAR} and {ACTIONS_TOKEN_VAR} are not set: run this in a GitHub Actions "
            "job that has `permissions: id-token: write`"
        )
    client = http or httpx.Client(timeout=30.0)
    try:
        response = client.get(
            url,
            params={"audience": audience},
            headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise LoginError(f"cannot reach the GitHub Actions token service: {exc}") from exc
    finally:
        if http is None:
            client.close()
    data = _json(response, "GitHub Actions ID token")
    value = data.get("value")
    if response.status_code != 200 or not isinstance(value, str) or not value:
        raise LoginError(
            f"the GitHub Actions token service answered {response.status_code} without a token",
            response.status_code,
            data,
        )
    return value
