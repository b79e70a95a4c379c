"""The browsing UI's entry points: :func:`mount` adds the pages to an API app,
:func:`create_site` builds the API with them (what ``registrum serve`` runs)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from registrum.api.app import create_app
from registrum.api.context import ApiContext
from registrum.web.assets import Assets
from registrum.web.pages import build_router
from registrum.web.render import Renderer


def mount(app: FastAPI, ctx: ApiContext) -> None:
    """Serve the pages and their static files from ``app``."""
    del ctx  # the routes read it from app.state, as the API's do
    assets = Assets()
    render = Renderer(assets)

    @app.get("/static/{file}", include_in_schema=False)
    async def static(request: Request, file: str) -> Response:
        found = assets.response(request.url.path)
        if found is None:
            return render.error(request, 404, "No such file.")
        return found

    app.include_router(build_router(render))


def create_site(ctx: ApiContext, *, fast_paths: bool = True) -> FastAPI:
    """The API and the pages, as served."""
    return create_app(ctx, fast_paths=fast_paths, pages=mount)
