"""The pages: home and search, a server, a namespace, the change feed.

Each page is one read through ``ctx.read`` (where database reads belong) and one template.
The read cache in front of the app (api/cache.py) already treats these paths as reads, so a
page is computed once per change of the data and answered with an ETag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from registrum.api.context import ApiContext
from registrum.core.errors import InvalidInputError, NotFoundError
from registrum.core.install import CLIENTS, install_configs
from registrum.core.search import (
    DEFAULT_LIMIT,
    FACETS,
    MAX_QUERY,
    Filters,
    SearchQuery,
    decode_offset,
    encode_offset,
)
from registrum.core.wire import VersionView
from registrum.web import views
from registrum.web.render import Renderer

SEARCH_PARAMS: Final = ("q", *FACETS, "cursor")
RECENT: Final = 12  # servers on the home page
RECENT_CHANGES: Final = 60  # change-log entries read to find them
TIMELINE: Final = 50  # entries on a page of /changes
FACET_TITLES: Final = {
    "registryType": "Package type",
    "transport": "Transport",
    "status": "Status",
    "namespace": "Namespace",
    "hasRemote": "Remote",
}
INSTALL_LINKS: Final = {
    ("vscode", "install"): "Install in VS Code",
    ("vscode", "installInsiders"): "Install in VS Code Insiders",
    ("cursor", "install"): "Install in Cursor",
}
INSTALL_SCHEMES: Final = ("vscode:", "vscode-insiders:", "cursor:")


@dataclass(frozen=True, slots=True)
class FacetLink:
    facet: str
    value: str
    label: str
    count: int
    href: str
    active: bool


_DIGITS: Final = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() takes "²", int() does not
_MAX_PARAM: Final = 200


def _unprintable(text: str) -> bool:
    return len(text) > 1000 or any(ord(c) < 32 or ord(c) == 127 for c in text)


def _params(request: Request) -> dict[str, str]:
    """The search parameters of the request, blank ones dropped; a control character (NUL
    cannot even reach PostgreSQL's text) or an overlong value is a 400 page."""
    params = {
        key: value for key in SEARCH_PARAMS if (value := request.query_params.get(key, "").strip())
    }
    for key, value in params.items():
        if len(value) > _MAX_PARAM or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise InvalidInputError(
                f"{key} must be at most {_MAX_PARAM} characters, without control characters"
            )
    return params


def _href(params: Mapping[str, str], path: str = "/") -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _filters(params: Mapping[str, str]) -> Filters:
    has_remote = params.get("hasRemote")
    return Filters(
        registry_type=params.get("registryType"),
        transport=params.get("transport"),
        status=params.get("status"),
        namespace=params.get("namespace"),
        has_remote=None if has_remote not in ("true", "false") else has_remote == "true",
    )


def _facet_label(facet: str, value: str) -> str:
    if facet == "hasRemote":
        return "remote" if value == "true" else "local only"
    return value


def _facet_links(
    facets: Mapping[str, Any], params: Mapping[str, str], path: str = "/"
) -> list[tuple[str, str, list[FacetLink]]]:
    out = []
    for facet in FACETS:
        links = []
        for found in facets.get(facet, ()):
            active = params.get(facet) == found.value
            target = {k: v for k, v in params.items() if k not in (facet, "cursor")}
            if not active:
                target[facet] = found.value
            links.append(
                FacetLink(
                    facet,
                    found.value,
                    _facet_label(facet, found.value),
                    found.count,
                    _href(target, path),
                    active,
                )
            )
        if links:
            out.append((facet, FACET_TITLES[facet], links))
    return out


def _offset(params: Mapping[str, str]) -> int:
    cursor = params.get("cursor")
    if not cursor:
        return 0
    offset = decode_offset(cursor)
    if offset is None:
        raise InvalidInputError("This page link is not valid any more: start the search again")
    return offset


def _latest(found: list[VersionView]) -> VersionView:
    return next((v for v in found if v.is_latest), max(found, key=lambda v: v.published_at))


def build_router(render: Renderer) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def ctx_of(request: Request) -> ApiContext:
        context: ApiContext = request.app.state.context
        return context

    @router.get("/")
    async def home(request: Request) -> Response:
        ctx = ctx_of(request)
        try:
            params = _params(request)
            offset = _offset(params)
        except InvalidInputError as exc:
            return render.error(request, 400, str(exc))
        searching = bool(params)
        text = params.get("q", "")[:MAX_QUERY] or None
        query = SearchQuery(
            text=text,
            filters=_filters(params),
            limit=DEFAULT_LIMIT if searching else 1,
            offset=offset,
        )

        def answer() -> Response:
            page = ctx.search.search(query)
            recent: list[views.Card] = []
            if not searching:
                recent = _recent(ctx)
            next_href = None
            if searching and page.next_offset is not None:
                next_href = _href({**params, "cursor": encode_offset(page.next_offset)})
            return render.page(
                request,
                "home.html",
                searching=searching,
                params=params,
                filters={k: v for k, v in params.items() if k not in ("q", "cursor")},
                total=page.total,
                first=offset + 1,
                cards=[views.card(v) for v in page.items] if searching else recent,
                facets=_facet_links(page.facets, params),
                next_href=next_href,
            )

        return await ctx.read(answer)

    @router.get("/servers/{name:path}")
    async def server(request: Request, name: str) -> Response:
        ctx = ctx_of(request)
        wanted = request.query_params.get("version") or None
        if _unprintable(name) or (wanted is not None and _unprintable(wanted)):
            return render.error(request, 400, "A name or version holds no control characters")
        raw_option = request.query_params.get("option")
        option: int | None = None
        if raw_option:
            if not _DIGITS.fullmatch(raw_option) or len(raw_option) > 4:
                return render.error(request, 400, "The option must be a number from the list")
            option = int(raw_option)

        def answer() -> Response:
            try:
                found = ctx.query.versions(name, include_deleted=True)
            except NotFoundError:
                moved = ctx.query.moved_to(name)
                if moved is None:
                    return render.error(request, 404, "No server has this name here.")
                location = views.server_path(moved)
                query = request.url.query
                return Response(
                    status_code=308,
                    headers={"Location": f"{location}?{query}" if query else location},
                )
            latest = _latest(found)
            view = latest
            if wanted is not None:
                chosen = next((v for v in found if v.version == wanted), None)
                if chosen is None:
                    return render.error(
                        request,
                        404,
                        "This server has no such version.",
                        server=views.server_path(latest.name),
                    )
                view = chosen
            document = views.document_of(view)
            try:
                install = install_configs(document, option=option)
            except InvalidInputError as exc:
                return render.error(request, 400, str(exc))
            detail = views.detail(view, document)
            base = {"version": wanted} if wanted else {}
            return render.page(
                request,
                "server.html",
                view=view,
                latest=latest,
                detail=detail,
                versions=sorted(found, key=lambda v: v.published_at, reverse=True),
                install=install,
                clients=[install.configs[c] for c in CLIENTS if c in install.configs],
                option_links=[
                    (o, _href({**base, "option": str(o.index)}, views.server_path(view.name)))
                    for o in install.options
                ],
                install_links=_install_links,
            )

        return await ctx.read(answer)

    @router.get("/namespaces/{namespace}")
    async def namespace(request: Request, namespace: str) -> Response:
        ctx = ctx_of(request)
        try:
            params = _params(request)
            offset = _offset(params)
        except InvalidInputError as exc:
            return render.error(request, 400, str(exc))
        if _unprintable(namespace):
            return render.error(request, 400, "A namespace holds no control characters")
        query = SearchQuery(filters=Filters(namespace=namespace), limit=50, offset=offset)
        path = f"/namespaces/{namespace}"

        def answer() -> Response:
            page = ctx.search.search(query)
            if page.total == 0:
                return render.error(request, 404, "No server is published under this namespace.")
            next_href = None
            if page.next_offset is not None:
                next_href = _href({"cursor": encode_offset(page.next_offset)}, path)
            return render.page(
                request,
                "namespace.html",
                namespace=views.shown(namespace),
                proof=views.namespace_proof(namespace + "/x"),
                total=page.total,
                first=offset + 1,
                cards=[views.card(v) for v in page.items],
                next_href=next_href,
                search_href=_href({"namespace": namespace}),
            )

        return await ctx.read(answer)

    @router.get("/changes")
    async def changes(request: Request) -> Response:
        ctx = ctx_of(request)
        raw = request.query_params.get("since", "")
        raw_limit = request.query_params.get("limit", "")
        if raw and (not _DIGITS.fullmatch(raw) or len(raw) > 18):
            return render.error(request, 400, "since must be a change number")
        if raw_limit and (not _DIGITS.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= TIMELINE):
            return render.error(request, 400, f"limit must be a number from 1 to {TIMELINE}")
        limit = int(raw_limit) if raw_limit else TIMELINE

        def answer() -> Response:
            head = ctx.query.head()
            # Newest first: a page shows the ``limit`` entries after ``since``; the next
            # page the ones before them (sequence numbers have no gaps, so a window is
            # exact), the last one fewer.
            since = min(int(raw), head) if raw else max(0, head - limit)
            page = ctx.query.changes(since, limit)
            entries = [views.change(e) for e in reversed(page.entries)]
            older = max(0, since - TIMELINE)
            older_href = f"/changes?since={older}"
            if since - older < TIMELINE:
                older_href += f"&limit={since - older}"
            newer = since + limit
            return render.page(
                request,
                "changes.html",
                entries=entries,
                head=head,
                next_href=older_href if since > 0 else None,
                newer_href=f"/changes?since={newer}" if newer < head else None,
            )

        return await ctx.read(answer)

    return router


def _install_links(client: str, links: Mapping[str, str]) -> list[tuple[str, str]]:
    """The install links of one client's configuration, labelled, only in the schemes the
    clients register (they are ours, but an href deserves a check)."""
    return [
        (INSTALL_LINKS.get((client, kind), kind), href)
        for kind, href in links.items()
        if href.startswith(INSTALL_SCHEMES)
    ]


def _recent(ctx: ApiContext) -> list[views.Card]:
    """The servers changed last, newest first: read from the tail of the change log (gap-free
    sequence numbers make its last entries one indexed range), not from a sort of every
    server."""
    head = ctx.query.head()
    page = ctx.query.changes(max(0, head - RECENT_CHANGES), RECENT_CHANGES)
    seen: set[str] = set()
    out = []
    for entry in reversed(page.entries):
        view = entry.view
        # An entry about a version that is no longer latest (the latest-moved entry of the
        # old one after a publish) does not show the server as it is now.
        if (
            view is None
            or not view.is_latest
            or view.name in seen
            or view.status.value == "deleted"
        ):
            continue
        seen.add(view.name)
        out.append(view)
        if len(out) == RECENT:
            break
    # The servers changed last, shown by their update time: an import of an older dump
    # changes them in its own order, which need not be the order of their dates.
    out.sort(key=lambda v: v.updated_at, reverse=True)
    return [views.card(v) for v in out]
