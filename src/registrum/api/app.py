"""The application factory: every router mounted under ``/v0`` and ``/v0.1``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp
from swagger_ui_bundle import swagger_ui_path

import registrum
from registrum.api import openapi, problems
from registrum.api.cache import ReadCacheMiddleware, software_fingerprint
from registrum.api.context import ApiContext, strict_query
from registrum.api.cors import CorsMiddleware
from registrum.api.fastpath import FastListMiddleware
from registrum.api.middleware import BodyLimitMiddleware, RawPathMiddleware
from registrum.api.observe import ObserveMiddleware, route_templates
from registrum.api.rate_limits import RateLimitMiddleware
from registrum.api.routes import (
    auth,
    extensions,
    install,
    meta,
    operations,
    publish,
    search,
    servers,
    validate,
)
from registrum.core.errors import RegistrumError
from registrum.services.query import DEFAULT_LIMIT

PREFIXES = ("/v0.1", "/v0")

DESCRIPTION = """\
Registrum, an MCP server registry. Wire-compatible with the official MCP Registry API:
every operation is served under `/v0.1` (stable) and `/v0`.

Server names and versions are single URL path segments: encode the `/` of a name as `%2F`
(`io.github.alice%2Fweather`). Errors are `application/problem+json`.
"""


def _suffix(router: APIRouter, prefix: str) -> APIRouter:
    """A copy of ``router`` whose operation ids end in the prefix, as the official ones do
    (``list-servers-v0.1``)."""
    copy = APIRouter()
    tag = prefix.strip("/").replace("/", "-")
    for route in router.routes:
        assert isinstance(route, APIRoute)
        copy.add_api_route(
            route.path,
            route.endpoint,
            methods=list(route.methods or ()),
            operation_id=f"{route.operation_id}-{tag}",
            summary=route.summary,
            description=route.description,
            tags=list(route.tags or ()),
            response_class=route.response_class,
            status_code=route.status_code,
            responses=route.responses,
            openapi_extra=route.openapi_extra,
        )
    return copy


def _install_docs(app: FastAPI, *, home: bool) -> None:
    """Swagger UI at /docs, its assets served from the installed package (no CDN: the page
    works on a machine without Internet access)."""
    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    if home:

        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            # An app without the pages (web/): a browser pointed at it lands on the API docs.
            return RedirectResponse("/docs")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — docs",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )


# Adds the human-facing pages to the app (web.mount); the web layer sits above this one, so
# it is handed in by whoever builds the served app (web.create_site).
Pages = Callable[[FastAPI, ApiContext], None]


def create_app(ctx: ApiContext, *, fast_paths: bool = True, pages: Pages | None = None) -> FastAPI:
    """The API, and the pages when ``pages`` mounts them. ``fast_paths=False`` leaves every
    request to the routes (the tests compare the two)."""
    app = FastAPI(
        title="Registrum — MCP Server Registry API",
        version=registrum.__version__,
        description=DESCRIPTION,
        docs_url=None,
        openapi_url="/openapi.json",
        redoc_url=None,
        dependencies=[Depends(strict_query)],
    )
    app.state.context = ctx
    routers = [
        servers.router,
        publish.router,
        validate.router,
        meta.router,
        extensions.router,
        install.router,
        search.router,
    ]
    if ctx.auth.methods:
        routers.append(auth.router_for(ctx.auth.methods))
    for prefix in PREFIXES:
        for router in routers:
            app.include_router(_suffix(router, prefix), prefix=prefix)
    _install_docs(app, home=pages is None)
    if pages is not None:
        pages(app, ctx)
    problems.install(app)
    openapi.install(app)
    if fast_paths:
        app.add_middleware(FastListMiddleware, ctx=ctx, default_limit=DEFAULT_LIMIT)
    app.add_middleware(BodyLimitMiddleware, limit=ctx.max_body_bytes)
    app.add_middleware(RawPathMiddleware)
    # Outermost: a repeated read is answered before anything else runs.
    app.add_middleware(
        ReadCacheMiddleware,
        token=ctx.query.change_token_async,
        head=ctx.query.head_async,
        max_bytes=ctx.response_cache_bytes,
        max_age=ctx.cache_max_age,
        salt=software_fingerprint(),
    )
    if ctx.rate_limits.active:
        # Outside the cache, so that a limit on reads counts cached answers too; inside CORS,
        # so that a browser can read the 429.
        app.add_middleware(RateLimitMiddleware, config=ctx.rate_limits, subject=_token_subject(ctx))
    if ctx.cors_origins:
        _wrap_everything(app, lambda inner: CorsMiddleware(inner, origins=ctx.cors_origins))
    # Outside even CORS: every answer gets a request id and is counted (api/observe.py).
    operations.install(app, ctx)
    _wrap_everything(
        app,
        lambda inner: ObserveMiddleware(
            inner,
            lambda: [
                *(
                    template
                    for prefix in PREFIXES
                    for router in routers
                    for template in route_templates(router.routes, prefix)
                ),
                *route_templates(app.router.routes),
            ],
            log_requests=ctx.log_requests,
            publish_paths=[f"{prefix}/publish" for prefix in PREFIXES],
            trusted_proxies=ctx.rate_limits.trusted_proxies,
        ),
    )
    return app


def _token_subject(ctx: ApiContext) -> Callable[[str], str | None]:
    """``method:subject`` of a valid registry token, which a per-token limit counts under."""

    def subject(token: str) -> str | None:
        try:
            principal = ctx.tokens.verify(token)
        except RegistrumError:
            return None
        return f"{principal.method}:{principal.subject}"

    return subject


def _wrap_everything(app: FastAPI, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
    """Put ``wrap`` around the whole stack, outside even Starlette's own error handler
    (``add_middleware`` stops inside it), so that an unexpected 500 carries the same headers
    as every other answer and a browser shows the error rather than a CORS failure."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: wrap(build())  # type: ignore[method-assign]
