"""The registry API, described once.

Each endpoint is a function returning a :class:`Call`: how to ask (method, path, query, body)
and how to read the answer. The sync and the async client both send these and differ only in
whether they await; paging is a small state machine (:class:`Pager`) both drive the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Generic, TypeVar
from urllib.parse import quote

import httpx
import orjson

from registrum.client.errors import TransportError, UnexpectedResponseError, response_error
from registrum.client.models import (
    Change,
    ChangePage,
    Health,
    RawServerPage,
    ServerItem,
    ServerPage,
    StatusResult,
    Token,
    TransferOffer,
    ValidationResult,
)
from registrum.client.signing import SigningKey
from registrum.core import wire

T = TypeVar("T")

DEFAULT_REGISTRY: Final = "http://127.0.0.1:8080"
DEFAULT_API_VERSION: Final = "v0.1"
DEFAULT_PAGE_SIZE: Final = 100
DEFAULT_CHANGES: Final = 100
MAX_CHANGES: Final = 1000
STATUSES: Final = ("active", "deprecated", "deleted")
EXTENSIONS: Final = "/x/io.registrum"
"""Registrum's own endpoints, below the API root (docs/guides/change-feed-ids-and-renames.md)."""
LOGIN_METHODS: Final = ("none", "github-at", "github-oidc", "dns", "http", "oidc")

Document = Mapping[str, Any] | bytes


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request to the API and how to read its successful answer."""

    method: str
    path: str  # below the API root; path segments already encoded
    parse: Callable[[Any], T]
    params: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    authenticated: bool = False
    decode: Callable[[bytes], Any] = json.loads  # the answer's body; a ValueError if not JSON


def segment(value: str) -> str:
    """One URL path segment: every reserved character escaped, so a name's ``/`` travels as
    ``%2F`` and a version's ``+`` as ``%2B``, as the official API expects."""
    return quote(value, safe="")


def api_root(base_url: str, api_version: str = DEFAULT_API_VERSION) -> str:
    """``http://host:8080`` -> ``http://host:8080/v0.1``; a URL that already names an API
    version (``.../v0`` or ``.../v0.1``) is kept as it is."""
    base = base_url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"registry URL must start with http:// or https://, not {base_url!r}")
    last = base.rsplit("/", 1)[-1]
    if last in ("v0", "v0.1"):
        return base
    return f"{base}/{api_version.strip('/')}"


def _document(document: Document) -> bytes:
    if isinstance(document, bytes):
        return document
    return json.dumps(document, ensure_ascii=False).encode()


def _rfc3339(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _versions(data: Any) -> list[ServerItem]:
    return ServerPage.from_json(data).items


def _bool(value: bool) -> str:
    return "true" if value else "false"


# --- endpoints -----------------------------------------------------------------------------


def health() -> Call[Health]:
    return Call("GET", "/health", Health.from_json)


def _list_params(
    *,
    cursor: str | None = None,
    limit: int | None = None,
    search: str | None = None,
    version: str | None = None,
    updated_since: datetime | str | None = None,
    include_deleted: bool | None = None,
) -> dict[str, str]:
    params: dict[str, str] = {}
    if cursor:
        params["cursor"] = cursor
    if limit is not None:
        params["limit"] = str(limit)
    if search:
        params["search"] = search
    if version:
        params["version"] = version
    if updated_since is not None:
        params["updated_since"] = _rfc3339(updated_since)
    if include_deleted is not None:
        params["include_deleted"] = _bool(include_deleted)
    return params


def list_servers(
    *,
    cursor: str | None = None,
    limit: int | None = None,
    search: str | None = None,
    version: str | None = None,
    updated_since: datetime | str | None = None,
    include_deleted: bool | None = None,
) -> Call[ServerPage]:
    params = _list_params(
        cursor=cursor,
        limit=limit,
        search=search,
        version=version,
        updated_since=updated_since,
        include_deleted=include_deleted,
    )
    return Call("GET", "/servers", ServerPage.from_json, params)


def list_server_items(
    *,
    cursor: str | None = None,
    limit: int | None = None,
    search: str | None = None,
    version: str | None = None,
    updated_since: datetime | str | None = None,
    include_deleted: bool | None = None,
) -> Call[RawServerPage]:
    """``list_servers`` with the items left as they were served. Decoded by orjson, which
    refuses what could not be stored again as it was sent (a lone surrogate, an integer past
    64 bits, NaN): such a page is not JSON, rather than holding an item that changed."""
    params = _list_params(
        cursor=cursor,
        limit=limit,
        search=search,
        version=version,
        updated_since=updated_since,
        include_deleted=include_deleted,
    )
    return Call("GET", "/servers", RawServerPage.from_json, params, decode=orjson.loads)


def versions(name: str, *, include_deleted: bool = False) -> Call[list[ServerItem]]:
    params = {"include_deleted": "true"} if include_deleted else {}
    return Call("GET", f"/servers/{segment(name)}/versions", _versions, params)


def get(name: str, version: str = "latest", *, include_deleted: bool = False) -> Call[ServerItem]:
    params = {"include_deleted": "true"} if include_deleted else {}
    path = f"/servers/{segment(name)}/versions/{segment(version)}"
    return Call("GET", path, ServerItem.from_json, params)


def publish(document: Document) -> Call[ServerItem]:
    return Call(
        "POST", "/publish", ServerItem.from_json, body=_document(document), authenticated=True
    )


def _status_body(status: str, message: str | None) -> bytes:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    body: dict[str, Any] = {wire.STATUS: status}
    if message is not None:
        body[wire.STATUS_MESSAGE] = message
    return _document(body)


def set_status(
    name: str, version: str, status: str, *, message: str | None = None
) -> Call[ServerItem]:
    path = f"/servers/{segment(name)}/versions/{segment(version)}/status"
    return Call(
        "PATCH",
        path,
        ServerItem.from_json,
        body=_status_body(status, message),
        authenticated=True,
    )


def set_all_status(name: str, status: str, *, message: str | None = None) -> Call[StatusResult]:
    return Call(
        "PATCH",
        f"/servers/{segment(name)}/status",
        StatusResult.from_json,
        body=_status_body(status, message),
        authenticated=True,
    )


def validate(document: Document) -> Call[ValidationResult]:
    return Call("POST", "/validate", ValidationResult.from_json, body=_document(document))


def exchange_token(method: str, body: Mapping[str, Any] | None = None) -> Call[Token]:
    """``POST /auth/<method>``: ``none`` takes no body, every other method a JSON object."""
    if method not in LOGIN_METHODS:
        raise ValueError(f"login method must be one of {', '.join(LOGIN_METHODS)}")
    return Call(
        "POST",
        f"/auth/{method}",
        Token.from_json,
        body=None if body is None else _document(body),
    )


def timestamp_now() -> str:
    """The current time as the domain logins sign it: RFC 3339, UTC, whole seconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def domain_login(
    method: str, domain: str, key: SigningKey, timestamp: str | None = None
) -> Call[Token]:
    """``dns`` or ``http`` login: the domain, a timestamp and the key's signature of it."""
    if method not in ("dns", "http"):
        raise ValueError("domain login is 'dns' or 'http'")
    ts = timestamp or timestamp_now()
    body = {"domain": domain, "timestamp": ts, "signed_timestamp": key.sign_timestamp(ts)}
    return exchange_token(method, body)


# --- Registrum's extensions: the change feed, look-ups by id, renames and transfers -------


def changes(since: int = 0, limit: int = DEFAULT_CHANGES) -> Call[ChangePage]:
    if since < 0:
        raise ValueError(f"since must be 0 or more, not {since}")
    if not 1 <= limit <= MAX_CHANGES:
        raise ValueError(f"limit must be between 1 and {MAX_CHANGES}, not {limit}")
    params = {"since": str(since), "limit": str(limit)}
    return Call("GET", f"{EXTENSIONS}/changes", ChangePage.from_json, params)


def server_by_id(server_id: str, *, include_deleted: bool = False) -> Call[ServerItem]:
    params = {"include_deleted": "true"} if include_deleted else {}
    path = f"{EXTENSIONS}/servers/{segment(server_id)}"
    return Call("GET", path, ServerItem.from_json, params)


def versions_by_id(server_id: str, *, include_deleted: bool = False) -> Call[list[ServerItem]]:
    params = {"include_deleted": "true"} if include_deleted else {}
    path = f"{EXTENSIONS}/servers/{segment(server_id)}/versions"
    return Call("GET", path, _versions, params)


def _new_name_body(new_name: str) -> bytes:
    return _document({wire.NEW_NAME: new_name})


def rename(name: str, new_name: str) -> Call[ServerItem]:
    return Call(
        "POST",
        f"{EXTENSIONS}/servers/{segment(name)}/rename",
        ServerItem.from_json,
        body=_new_name_body(new_name),
        authenticated=True,
    )


def transfer_offer(name: str, new_name: str) -> Call[TransferOffer]:
    return Call(
        "POST",
        f"{EXTENSIONS}/servers/{segment(name)}/transfer",
        TransferOffer.from_json,
        body=_new_name_body(new_name),
        authenticated=True,
    )


def transfer(offer_id: str) -> Call[TransferOffer]:
    return Call("GET", f"{EXTENSIONS}/transfers/{segment(offer_id)}", TransferOffer.from_json)


def transfer_accept(offer_id: str) -> Call[ServerItem]:
    return Call(
        "POST",
        f"{EXTENSIONS}/transfers/{segment(offer_id)}/accept",
        ServerItem.from_json,
        authenticated=True,
    )


# --- sending and reading ---------------------------------------------------------------------


def build_request(
    http: httpx.Client | httpx.AsyncClient, root: str, call: Call[Any], token: str | None
) -> httpx.Request:
    headers = {"Accept": "application/json, application/problem+json"}
    if call.body is not None:
        headers["Content-Type"] = "application/json"
    if call.authenticated and token:
        headers["Authorization"] = f"Bearer {token}"
    return http.build_request(
        call.method,
        root + call.path,
        params=call.params or None,
        content=call.body,
        headers=headers,
    )


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"


def transport_error(request: httpx.Request, exc: httpx.HTTPError) -> TransportError:
    what = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        what = "no answer in time (timeout)"
    elif isinstance(exc, httpx.ConnectError):
        what = f"cannot connect ({exc})" if str(exc) else "cannot connect"
    return TransportError(f"cannot reach {_origin(request.url)}: {what}", url=str(request.url))


def _problem(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def finish(call: Call[T], response: httpx.Response) -> T:
    """The parsed answer, or the typed error for it."""
    url = str(response.request.url)
    if not 200 <= response.status_code < 300:
        raise response_error(
            response.status_code, _problem(response), url=url, reason=response.reason_phrase
        )
    try:
        data = call.decode(response.content)
    except ValueError:
        raise UnexpectedResponseError(
            f"{call.method} {url} did not answer JSON", response.status_code, response.text[:500]
        ) from None
    try:
        return call.parse(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise UnexpectedResponseError(
            f"{call.method} {url} answered an unexpected shape: {exc}",
            response.status_code,
            data,
            url=url,
        ) from None


@dataclass(slots=True)
class Pager:
    """Walks ``GET /servers`` page by page, following ``nextCursor`` until there is none;
    from ``cursor`` when given (a walk that stopped resumes there)."""

    search: str | None = None
    version: str | None = None
    updated_since: datetime | str | None = None
    include_deleted: bool | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    done: bool = False
    _seen: set[str] = field(default_factory=set)

    def next_call(self) -> Call[ServerPage] | None:
        return None if self.done else list_servers(**self._query())

    def next_raw_call(self) -> Call[RawServerPage] | None:
        """The next page's call with its items left as served (:func:`list_server_items`)."""
        return None if self.done else list_server_items(**self._query())

    def _query(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "limit": self.page_size,
            "search": self.search,
            "version": self.version,
            "updated_since": self.updated_since,
            "include_deleted": self.include_deleted,
        }

    def advance(self, page: ServerPage | RawServerPage) -> None:
        cursor = page.next_cursor
        if not cursor:
            self.done = True
            return
        # A registry that hands back a cursor it already gave would page forever.
        if cursor in self._seen:
            raise UnexpectedResponseError(
                f"the registry returned the cursor {cursor!r} twice; stopping to avoid a loop"
            )
        self._seen.add(cursor)
        self.cursor = cursor


@dataclass(slots=True)
class ChangeFollower:
    """Walks the change feed from ``since`` with ``since = nextSince`` until it is caught up
    (the page's ``nextSince`` reaches its ``head``, or a page is empty)."""

    since: int = 0
    limit: int = DEFAULT_CHANGES
    done: bool = False

    def next_call(self) -> Call[ChangePage] | None:
        return None if self.done else changes(self.since, self.limit)

    def advance(self, page: ChangePage) -> list[Change]:
        """The page's changes not seen yet, in order; moves ``since`` past them."""
        fresh = [c for c in page.changes if c.seq > self.since]
        if page.changes and page.next_since <= self.since:
            # A registry whose cursor does not move would be asked the same page forever.
            raise UnexpectedResponseError(
                f"the change feed answered nextSince {page.next_since} after since "
                f"{self.since}; stopping to avoid a loop"
            )
        self.since = max(self.since, page.next_since)
        self.done = page.caught_up
        return fresh
