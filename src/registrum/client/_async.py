"""The asyncio client: the same endpoints as the blocking one (both send the calls described
once in ``_calls``), awaited."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx

from registrum.client import _calls as calls
from registrum.client._base import DEFAULT_TIMEOUT, USER_AGENT, ClientBase
from registrum.client.cache import ResponseCache, prepare, settle
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

T = TypeVar("T")


class AsyncRegistryClient(ClientBase):
    """The asyncio twin of :class:`~registrum.client.RegistryClient`; same methods, awaited.

    ``RegistryClient("https://registry.example.com")`` talks to ``/v0.1`` below that URL (a URL
    already ending in ``/v0`` or ``/v0.1`` is used as it is). Give ``http`` to use your own
    :class:`httpx.AsyncClient` (it is then not closed here), or ``transport`` to replace only the
    transport, as tests do. Errors are the tree in :mod:`registrum.client.errors`.

    ``cache`` (a :class:`~registrum.client.cache.MemoryCache` or
    :class:`~registrum.client.cache.DirectoryCache`) keeps GET answers and revalidates them
    with their ETag: a ``304`` is answered from the cache. Without it nothing changes.
    """

    def __init__(
        self,
        base_url: str = calls.DEFAULT_REGISTRY,
        *,
        token: str | None = None,
        api_version: str = calls.DEFAULT_API_VERSION,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        cache: ResponseCache | None = None,
    ) -> None:
        super().__init__(base_url, token=token, api_version=api_version, cache=cache)
        self._own = http is None
        self._http = http or httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        )

    async def aclose(self) -> None:
        if self._own:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncRegistryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def send(self, call: calls.Call[T]) -> T:
        request = calls.build_request(self._http, self.root, call, self.token)
        kept = prepare(self.cache, request)
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as exc:
            raise calls.transport_error(request, exc) from exc
        return calls.finish(call, settle(self.cache, request, kept, response))

    # --- reading ----------------------------------------------------------------------------

    async def health(self) -> Health:
        return await self.send(calls.health())

    async def list_servers(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        search: str | None = None,
        version: str | None = None,
        updated_since: datetime | str | None = None,
        include_deleted: bool | None = None,
    ) -> ServerPage:
        """One page of ``GET /servers``; :meth:`iter_servers` follows the cursor for you."""
        return await self.send(
            calls.list_servers(
                cursor=cursor,
                limit=limit,
                search=search,
                version=version,
                updated_since=updated_since,
                include_deleted=include_deleted,
            )
        )

    async def iter_servers(
        self,
        *,
        search: str | None = None,
        version: str | None = None,
        updated_since: datetime | str | None = None,
        include_deleted: bool | None = None,
        page_size: int = calls.DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[ServerItem]:
        """Every server version the filters select, fetching pages as they are consumed."""
        pager = calls.Pager(search, version, updated_since, include_deleted, page_size)
        while (call := pager.next_call()) is not None:
            page = await self.send(call)
            for item in page.items:
                yield item
            pager.advance(page)

    async def iter_server_pages(
        self,
        *,
        cursor: str | None = None,
        search: str | None = None,
        version: str | None = None,
        updated_since: datetime | str | None = None,
        include_deleted: bool | None = None,
        page_size: int = calls.DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[RawServerPage]:
        """Each page of ``GET /servers`` with its items as the registry sent them (a mirror's
        or an import's view: nothing is read into models) and the cursor of the page after
        it (None on the last). From ``cursor`` when given, so a walk that stopped resumes."""
        pager = calls.Pager(search, version, updated_since, include_deleted, page_size, cursor)
        while (call := pager.next_raw_call()) is not None:
            page = await self.send(call)
            yield page
            pager.advance(page)

    def search(
        self, text: str, *, latest_only: bool = True, page_size: int = calls.DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[ServerItem]:
        """Servers whose name (or, on registries that support it, description) contains
        ``text``; only their latest versions unless ``latest_only`` is false."""
        return self.iter_servers(
            search=text, version="latest" if latest_only else None, page_size=page_size
        )

    async def versions(self, name: str, *, include_deleted: bool = False) -> list[ServerItem]:
        return await self.send(calls.versions(name, include_deleted=include_deleted))

    async def get(
        self, name: str, version: str = "latest", *, include_deleted: bool = False
    ) -> ServerItem:
        """One version; ``"latest"`` (the default) is the latest one."""
        return await self.send(calls.get(name, version, include_deleted=include_deleted))

    async def validate(self, document: calls.Document) -> ValidationResult:
        return await self.send(calls.validate(document))

    # --- Registrum's extensions (other registries answer 404 NotFoundError) -----------------

    async def changes(self, since: int = 0, limit: int = calls.DEFAULT_CHANGES) -> ChangePage:
        """One page of the change feed: the changes with ``seq > since``, at most ``limit``."""
        return await self.send(calls.changes(since, limit))

    async def follow_changes(
        self, since: int = 0, *, page_size: int = calls.DEFAULT_CHANGES
    ) -> AsyncIterator[Change]:
        """Every change after ``since``, in order, each once, fetching pages until caught up
        with the registry's head; call again from the last ``seq`` seen to keep following."""
        follower = calls.ChangeFollower(since, page_size)
        while (call := follower.next_call()) is not None:
            for change in follower.advance(await self.send(call)):
                yield change

    async def server_by_id(self, server_id: str, *, include_deleted: bool = False) -> ServerItem:
        """The latest version of the server with this stable id."""
        return await self.send(calls.server_by_id(server_id, include_deleted=include_deleted))

    async def versions_by_id(
        self, server_id: str, *, include_deleted: bool = False
    ) -> list[ServerItem]:
        """Every version of the server with this stable id."""
        return await self.send(calls.versions_by_id(server_id, include_deleted=include_deleted))

    async def transfer(self, offer_id: str) -> TransferOffer:
        """Show a transfer offer."""
        return await self.send(calls.transfer(offer_id))

    # --- writing (needs a token) ------------------------------------------------------------

    async def publish(self, document: calls.Document) -> ServerItem:
        """Publish a server.json (a mapping, or the exact bytes of a file)."""
        return await self.send(calls.publish(document))

    async def set_status(
        self, name: str, version: str, status: str, *, message: str | None = None
    ) -> ServerItem:
        """Set one version's status: ``active``, ``deprecated`` or ``deleted``."""
        return await self.send(calls.set_status(name, version, status, message=message))

    async def set_all_status(
        self, name: str, status: str, *, message: str | None = None
    ) -> StatusResult:
        """Set the status of every version of ``name`` at once."""
        return await self.send(calls.set_all_status(name, status, message=message))

    async def rename(self, name: str, new_name: str) -> ServerItem:
        """Move a server (its id and every version) to ``new_name``; the token must cover both
        names. Returns the latest version under the new name."""
        return await self.send(calls.rename(name, new_name))

    async def transfer_offer(self, name: str, new_name: str) -> TransferOffer:
        """Offer a server to the holder of ``new_name`` (step one of a transfer)."""
        return await self.send(calls.transfer_offer(name, new_name))

    async def transfer_accept(self, offer_id: str) -> ServerItem:
        """Accept a transfer offer (step two, by the holder of the new name)."""
        return await self.send(calls.transfer_accept(offer_id))

    # --- logging in: each sets ``self.token`` -------------------------------------------------

    async def exchange_token(self, method: str, body: Mapping[str, Any] | None = None) -> Token:
        return await self._login(calls.exchange_token(method, body))

    async def login_none(self) -> Token:
        return await self._login(calls.exchange_token("none"))

    async def login_github_at(self, github_token: str) -> Token:
        return await self._login(calls.exchange_token("github-at", {"github_token": github_token}))

    async def login_github_oidc(self, oidc_token: str) -> Token:
        return await self._login(calls.exchange_token("github-oidc", {"oidc_token": oidc_token}))

    async def login_oidc(self, oidc_token: str) -> Token:
        return await self._login(calls.exchange_token("oidc", {"oidc_token": oidc_token}))

    async def login_dns(
        self, domain: str, key: SigningKey, *, timestamp: str | None = None
    ) -> Token:
        return await self._login(calls.domain_login("dns", domain, key, timestamp))

    async def login_http(
        self, domain: str, key: SigningKey, *, timestamp: str | None = None
    ) -> Token:
        return await self._login(calls.domain_login("http", domain, key, timestamp))

    async def _login(self, call: calls.Call[Token]) -> Token:
        token = await self.send(call)
        self.token = token.registry_token
        return token
