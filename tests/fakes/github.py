"""A fake GitHub: a real HTTP server on 127.0.0.1 speaking the parts of GitHub's protocol the
registry and its CLI use.

Served (one base URL for both the REST API and the OAuth endpoints):

- ``GET /user`` (``Authorization: Bearer <token>`` or ``token <token>``) -> ``{"login", "id",
  ...}``; 401 ``{"message": "Bad credentials"}`` for an unknown token.
- ``GET /user/memberships/orgs?state=active&per_page=N&page=P`` -> a page (``per_page`` at most
  100, default 30) of ``{"state", "role", "organization": {"login", "id"}, ...}`` with a
  ``Link`` header; 403 when the token lacks ``read:org`` (no rate-limit exhaustion, no SSO
  header); failures can be injected (rate limit, SSO, outage).
- The OAuth device flow: ``POST /login/device/code`` (``client_id``, ``scope``) ->
  ``device_code``, ``user_code``, ``verification_uri``, ``expires_in``, ``interval``;
  ``POST /login/oauth/access_token`` (``client_id``, ``device_code``, ``grant_type``) ->
  ``authorization_pending`` until the test approves the code, then ``access_token``; also
  ``slow_down`` (with the new ``interval``), ``expired_token``, ``access_denied``,
  ``incorrect_device_code``, ``incorrect_client_credentials``, ``unsupported_grant_type``,
  ``device_flow_disabled``. Like GitHub, these errors come with HTTP 200; answers are JSON when
  the request says ``Accept: application/json``, form-encoded otherwise. Request fields may be
  sent form-encoded, as JSON, or in the query string.

Every answer of the API carries ``X-RateLimit-Limit/Remaining/Reset`` headers (Remaining is
non-zero except when a rate limit is injected), as GitHub's do.

Use::

    from tests.fakes.github import FakeGitHub

    with FakeGitHub() as gh:                       # or the ``fake_github`` pytest fixture
        alice = gh.add_user("alice", orgs={"acme": "admin", "friends": "member"})
        gh.add_user("bob", read_org=False)         # a token without read:org -> 403 on orgs
        settings.model_copy(update={
            "github_api_url": gh.url, "github_client_id": gh.client_id})
        client.post("/v0.1/auth/github-at", json={"github_token": alice})

        gh.rate_limit()                            # memberships answer 403 + Remaining: 0
        gh.require_sso(org="acme")                 # memberships answer 403 + X-GitHub-SSO
        gh.fail("/user", 503)                      # any status on any path; ``times=n``
                                                   # limits it, ``after=n`` lets n through
        gh.clear_failures()
        gh.requests                                # every request received, in order

    Device flow (what ``registrum login github`` does), from a test:
        gh.auto_approve("alice", after_polls=1)    # codes issued from now on are approved
                                                   # at their 2nd poll
    or, step by step:
        code = gh.wait_for_device_code(timeout=10) # the next code a client asks for
        token = gh.approve("alice", code.user_code)  # or gh.deny(...), gh.expire(...),
                                                     # gh.slow_down(..., times=1)

``add_user`` returns the user's token (``ghp_...`` unless given); ``add_token`` adds more tokens
for a user, ``add_membership`` more organisations (``role`` "admin" = Owner, or "member";
``state`` "active" or "pending"). ``interval`` (default 1 second, GitHub uses 5) and ``expires_in``
(default 900) are the device flow's timing; ``slow_down_increment`` (default 1) is what a
``slow_down`` adds to the interval.
"""

from __future__ import annotations

import itertools
import secrets
import string
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request

MEMBERSHIPS = "/user/memberships/orgs"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
API_VERSIONS = {"2022-11-28", "2026-03-10"}
ORG_SCOPES = {"read:org", "write:org", "admin:org", "user"}
DOCS = "https://docs.github.com/rest"


@dataclass
class Membership:
    org: str
    role: str = "member"  # "admin" is an organisation Owner
    state: str = "active"  # or "pending" (invited, not yet accepted)


@dataclass
class User:
    login: str
    id: int
    memberships: list[Membership] = field(default_factory=list)


@dataclass
class Token:
    value: str
    login: str
    scopes: tuple[str, ...]


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    issued_at: float
    expires_in: int
    interval: int
    state: str = "pending"  # pending | approved | denied | expired | used
    polls: int = 0
    access_token: str | None = None
    slow_downs: int = 0
    auto_login: str | None = None
    auto_after: int = 0


@dataclass
class _Failure:
    path: str
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    times: int | None
    after: int = 0


class FakeGitHub(LoopbackFake):
    def __init__(
        self,
        *,
        client_id: str = "Iv1.registrum-tests",
        interval: int = 1,
        expires_in: int = 900,
        slow_down_increment: int = 1,
    ) -> None:
        self.client_id = client_id
        self.interval = interval
        self.expires_in = expires_in
        self.slow_down_increment = slow_down_increment
        self.device_flow_enabled = True
        self.requests: list[Request] = []
        self._users: dict[str, User] = {}
        self._tokens: dict[str, Token] = {}
        self._codes: dict[str, DeviceCode] = {}  # by device_code
        self._failures: list[_Failure] = []
        self._auto: tuple[str, int] | None = None
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()
        self._issued = threading.Condition(self._lock)
        self._server = LoopbackServer(self._handle)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    # --- users, tokens, organisations -------------------------------------------------------

    def add_user(
        self,
        login: str,
        *,
        token: str | None = None,
        orgs: Mapping[str, str] | Iterable[str] = (),
        read_org: bool = True,
        user_id: int | None = None,
    ) -> str:
        """A user and one token for them; ``orgs`` maps organisation -> role ("admin" or
        "member"), or lists organisations the user is a member of. Returns the token."""
        with self._lock:
            self._users[login] = User(login, user_id if user_id is not None else next(self._ids))
            roles = orgs.items() if isinstance(orgs, Mapping) else ((o, "member") for o in orgs)
            for org, role in roles:
                self.add_membership(login, org, role=role)
            return self.add_token(login, token, read_org=read_org)

    def add_token(
        self,
        login: str,
        token: str | None = None,
        *,
        read_org: bool = True,
        scopes: Iterable[str] | None = None,
    ) -> str:
        with self._lock:
            if login not in self._users:
                raise KeyError(f"no user {login!r}: add_user() first")
            value = token or "ghp_" + secrets.token_hex(18)
            if scopes is None:
                scopes = ("read:user", "read:org") if read_org else ("read:user",)
            self._tokens[value] = Token(value, login, tuple(scopes))
            return value

    def add_membership(
        self, login: str, org: str, *, role: str = "member", state: str = "active"
    ) -> None:
        with self._lock:
            self._users[login].memberships.append(Membership(org, role, state))

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def rename(self, login: str, new_login: str) -> None:
        """Give a user another login (GitHub allows renames); tokens follow the user."""
        with self._lock:
            user = self._users.pop(login)
            user.login = new_login
            self._users[new_login] = user
            for t in self._tokens.values():
                if t.login == login:
                    t.login = new_login

    # --- injected failures ------------------------------------------------------------------

    def fail(
        self,
        path: str,
        status: int = 503,
        *,
        headers: Mapping[str, str] | None = None,
        message: str = "Service unavailable",
        times: int | None = None,
        after: int = 0,
    ) -> None:
        """Answer requests to ``path`` with ``status`` (``times`` times, or until cleared),
        once ``after`` requests to it have been answered normally."""
        with self._lock:
            self._failures.append(
                _Failure(
                    path,
                    status,
                    dict(headers or {}),
                    {"message": message, "documentation_url": DOCS},
                    times,
                    after,
                )
            )

    def rate_limit(
        self, path: str = MEMBERSHIPS, *, times: int | None = None, after: int = 0
    ) -> None:
        """A primary rate limit: 403 with ``X-RateLimit-Remaining: 0``."""
        self.fail(
            path,
            403,
            headers={
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(time.time()) + 3600),
            },
            message="API rate limit exceeded for user ID 1001.",
            times=times,
            after=after,
        )

    def secondary_rate_limit(
        self,
        path: str = MEMBERSHIPS,
        *,
        retry_after: int = 60,
        times: int | None = None,
        after: int = 0,
    ) -> None:
        """A secondary rate limit: 403 with ``Retry-After`` (Remaining stays non-zero)."""
        self.fail(
            path,
            403,
            headers={"Retry-After": str(retry_after)},
            message="You have exceeded a secondary rate limit.",
            times=times,
            after=after,
        )

    def require_sso(
        self,
        path: str = MEMBERSHIPS,
        *,
        org: str = "acme",
        times: int | None = None,
        after: int = 0,
    ) -> None:
        """SAML SSO enforced by an organisation the token is not authorised for."""
        self.fail(
            path,
            403,
            headers={"X-GitHub-SSO": f"required; url={self.url}/orgs/{org}/sso?authorization=1"},
            message="Resource protected by organization SAML enforcement.",
            times=times,
            after=after,
        )

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    # --- device flow controls ---------------------------------------------------------------

    @property
    def device_codes(self) -> list[DeviceCode]:
        with self._lock:
            return list(self._codes.values())

    def wait_for_device_code(self, timeout: float = 10.0) -> DeviceCode:
        """The newest still-pending device code, waiting up to ``timeout`` for one."""
        deadline = time.monotonic() + timeout
        with self._issued:
            while True:
                pending = [c for c in self._codes.values() if c.state == "pending"]
                if pending:
                    return pending[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no device code was requested from the fake GitHub")
                self._issued.wait(left)

    def approve(self, login: str, user_code: str | None = None) -> str:
        """The user enters the code and authorises the app; returns the token it will get."""
        with self._lock:
            code = self._code(user_code)
            code.access_token = self.add_token(login, "gho_" + secrets.token_hex(18))
            code.state = "approved"
            return code.access_token

    def deny(self, user_code: str | None = None) -> None:
        with self._lock:
            self._code(user_code).state = "denied"

    def expire(self, user_code: str | None = None) -> None:
        with self._lock:
            self._code(user_code).state = "expired"

    def slow_down(self, user_code: str | None = None, *, times: int = 1) -> None:
        """The next ``times`` polls of the code answer ``slow_down``."""
        with self._lock:
            self._code(user_code).slow_downs += times

    def auto_approve(self, login: str | None, *, after_polls: int = 0) -> None:
        """Device codes issued from now on are approved for ``login`` once they have been
        polled ``after_polls`` times (``None`` turns this off)."""
        with self._lock:
            self._auto = None if login is None else (login, after_polls)

    def _code(self, user_code: str | None) -> DeviceCode:
        codes = list(self._codes.values())
        if user_code is None:
            pending = [c for c in codes if c.state == "pending"]
            if not pending:
                raise LookupError("no pending device code")
            return pending[-1]
        for c in codes:
            if c.user_code == user_code:
                return c
        raise LookupError(f"no device code with user code {user_code!r}")

    # --- the HTTP side ----------------------------------------------------------------------

    def _handle(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            failure = self._failure_for(req.path)
        if failure is not None:
            return Reply.json(failure.body, failure.status, {**_limits(), **failure.headers})
        route = (req.method, req.path)
        if route == ("POST", "/login/device/code"):
            return self._device_code(req)
        if route == ("POST", "/login/oauth/access_token"):
            return self._access_token(req)
        if route == ("GET", "/login/device"):
            return Reply.text("<h1>Device activation</h1>", content_type="text/html")
        version = req.header("x-github-api-version")
        if version is not None and version not in API_VERSIONS:
            return _api_error(400, f"Unsupported 'X-GitHub-Api-Version' header: {version}")
        if route == ("GET", "/user"):
            return self._user(req)
        if route == ("GET", MEMBERSHIPS):
            return self._memberships(req)
        return _api_error(404, "Not Found")

    def _failure_for(self, path: str) -> _Failure | None:
        for f in self._failures:
            if f.path == path:
                if f.after > 0:
                    f.after -= 1
                    return None
                if f.times is not None:
                    f.times -= 1
                    if f.times <= 0:
                        self._failures.remove(f)
                return f
        return None

    def _authenticated(self, req: Request) -> tuple[Token, User] | Reply:
        value = req.bearer()
        if value is None:
            return _api_error(401, "Requires authentication")
        with self._lock:
            token = self._tokens.get(value)
            user = self._users.get(token.login) if token else None
        if token is None or user is None:
            return _api_error(401, "Bad credentials")
        return token, user

    def _user(self, req: Request) -> Reply:
        auth = self._authenticated(req)
        if isinstance(auth, Reply):
            return auth
        token, user = auth
        body = {
            "login": user.login,
            "id": user.id,
            "node_id": f"U_{user.id}",
            "type": "User",
            "site_admin": False,
            "html_url": f"{self.url}/{user.login}",
        }
        return Reply.json(body, headers={**_limits(), "X-OAuth-Scopes": ", ".join(token.scopes)})

    def _memberships(self, req: Request) -> Reply:
        auth = self._authenticated(req)
        if isinstance(auth, Reply):
            return auth
        token, user = auth
        scopes = {"X-OAuth-Scopes": ", ".join(token.scopes)}
        if not ORG_SCOPES.intersection(token.scopes):
            return _api_error(
                403,
                "You need at least read:org scope or user scope to list your organization "
                "memberships.",
                {**scopes, "X-Accepted-OAuth-Scopes": "admin:org, read:org, repo, user"},
            )
        try:
            per_page = min(max(int(req.query_one("per_page", "30") or 30), 1), 100)
            page = max(int(req.query_one("page", "1") or 1), 1)
        except ValueError:
            return _api_error(422, "Invalid request: per_page and page must be integers")
        state = req.query_one("state")
        with self._lock:
            chosen = [m for m in user.memberships if state is None or m.state == state]
        items = chosen[(page - 1) * per_page : page * per_page]
        body = [self._membership_json(user, m) for m in items]
        last = max((len(chosen) + per_page - 1) // per_page, 1)
        headers = {**_limits(), **scopes}
        links = []
        base = f"{self.url}{MEMBERSHIPS}?"
        query = {k: v[0] for k, v in req.query.items() if v and k != "page"}
        if page < last:
            links.append(f'<{base}{urlencode({**query, "page": page + 1})}>; rel="next"')
            links.append(f'<{base}{urlencode({**query, "page": last})}>; rel="last"')
        if links:
            headers["Link"] = ", ".join(links)
        return Reply.json(body, headers=headers)

    def _membership_json(self, user: User, m: Membership) -> dict[str, Any]:
        return {
            "url": f"{self.url}/orgs/{m.org}/memberships/{user.login}",
            "state": m.state,
            "role": m.role,
            "organization_url": f"{self.url}/orgs/{m.org}",
            "organization": {"login": m.org, "id": _stable_id(m.org)},
            "user": {"login": user.login, "id": user.id},
        }

    def _device_code(self, req: Request) -> Reply:
        fields = req.form()
        if not self.device_flow_enabled:
            return _oauth(req, {"error": "device_flow_disabled"}, 400)
        if fields.get("client_id") != self.client_id:
            return _oauth(
                req,
                {
                    "error": "incorrect_client_credentials",
                    "error_description": "The client_id passed is incorrect.",
                },
                401,
            )
        with self._issued:
            code = DeviceCode(
                device_code=secrets.token_hex(20),
                user_code=_user_code(),
                client_id=self.client_id,
                scope=fields.get("scope", ""),
                issued_at=time.monotonic(),
                expires_in=self.expires_in,
                interval=self.interval,
            )
            if self._auto is not None:
                code.auto_login, code.auto_after = self._auto
            self._codes[code.device_code] = code
            self._issued.notify_all()
        return _oauth(
            req,
            {
                "device_code": code.device_code,
                "user_code": code.user_code,
                "verification_uri": f"{self.url}/login/device",
                "expires_in": code.expires_in,
                "interval": code.interval,
            },
        )

    def _access_token(self, req: Request) -> Reply:
        fields = req.form()
        if fields.get("client_id") != self.client_id:
            return _oauth(
                req,
                {
                    "error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect.",
                },
            )
        if fields.get("grant_type") != DEVICE_GRANT:
            return _oauth(req, {"error": "unsupported_grant_type"})
        with self._lock:
            code = self._codes.get(fields.get("device_code", ""))
            if code is None or code.state == "used":
                return _oauth(req, {"error": "incorrect_device_code"})
            code.polls += 1
            if code.state == "pending" and time.monotonic() > code.issued_at + code.expires_in:
                code.state = "expired"
            if code.state == "expired":
                return _oauth(req, {"error": "expired_token"})
            if code.state == "denied":
                return _oauth(req, {"error": "access_denied"})
            if code.slow_downs > 0:
                code.slow_downs -= 1
                code.interval += self.slow_down_increment
                return _oauth(req, {"error": "slow_down", "interval": code.interval})
            if (
                code.state == "pending"
                and code.auto_login is not None
                and code.polls > code.auto_after
            ):
                code.access_token = self.add_token(code.auto_login, "gho_" + secrets.token_hex(18))
                code.state = "approved"
            if code.state == "pending":
                return _oauth(req, {"error": "authorization_pending"})
            code.state = "used"
            return _oauth(
                req,
                {"access_token": code.access_token, "token_type": "bearer", "scope": code.scope},
            )


def _limits() -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": "4999",
        "X-RateLimit-Reset": str(int(time.time()) + 3600),
        "X-GitHub-Api-Version-Selected": "2022-11-28",
    }


def _api_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    body = {"message": message, "documentation_url": DOCS, "status": str(status)}
    return Reply.json(body, status, {**_limits(), **(headers or {})})


def _oauth(req: Request, body: dict[str, Any], status: int = 200) -> Reply:
    if "json" in (req.header("accept") or "").lower():
        return Reply.json(body, status)
    form = urlencode({k: str(v) for k, v in body.items()})
    return Reply(status, form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})


def _user_code() -> str:
    alphabet = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"
    part = lambda: "".join(secrets.choice(alphabet) for _ in range(4))  # noqa: E731
    return f"{part()}-{part()}"


def _stable_id(name: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) + 50_000


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A running :class:`FakeGitHub`, stopped after the test."""
    with FakeGitHub() as gh:
        yield gh
