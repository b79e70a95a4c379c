"""Templates to responses: one Jinja environment, escaping everything, and the headers every
page carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

import registrum
from registrum.web.assets import Assets
from registrum.web.headers import SECURITY_HEADERS
from registrum.web.views import shown

_REASONS: Final = {400: "Bad request", 404: "Not found"}


def _iso(value: datetime) -> str:
    """A stored (naive UTC) time as RFC 3339, for ``<time datetime=...>``."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def _finalize(value: Any) -> Any:
    """Every string a template prints, with its bidirectional and invisible controls spelled
    out: what reaches a page from the data (install snippets, option labels, warnings)
    cannot reorder it. Markup is the templates' own output (a macro's), already done."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return shown(value)
    return value


def _day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def _minute(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


class Renderer:
    def __init__(self, assets: Assets) -> None:
        self.assets = assets
        self.env = Environment(
            loader=PackageLoader("registrum.web", "templates"),
            # Every value is escaped unless a template says otherwise (none does).
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            finalize=_finalize,
        )
        self.env.filters["iso"] = _iso
        self.env.filters["day"] = _day
        self.env.filters["minute"] = _minute
        self.env.globals["asset"] = assets.url
        self.env.globals["version"] = registrum.__version__

    def html(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        body = self.env.get_template(template).render(**values)
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)

    def page(self, request: Request, template: str, **values: Any) -> HTMLResponse:
        return self.html(template, q=request.query_params.get("q", ""), **values)

    def error(
        self, request: Request, status: int, message: str, *, server: str | None = None
    ) -> HTMLResponse:
        return self.html(
            "error.html",
            status,
            q=request.query_params.get("q", ""),
            status_code=status,
            reason=_REASONS.get(status, "Error"),
            message=message,
            server=server,
        )
