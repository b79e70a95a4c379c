"""The stylesheet and the script, served under names that hold a hash of their content, so a
browser (or a CDN) may keep them a year: a new release has new names."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Final

from starlette.responses import Response

from registrum.web.headers import SECURITY_HEADERS

IMMUTABLE: Final = "public, max-age=31536000, immutable"
_TYPES: Final = {
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
}
FILES: Final = ("registrum.css", "registrum.js", "favicon.svg")


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # /static/registrum.1a2b3c4d5e.css
    body: bytes
    media_type: str


class Assets:
    """The static files, read once when the site is built."""

    def __init__(self) -> None:
        self._by_name: dict[str, Asset] = {}
        self._by_path: dict[str, Asset] = {}
        folder = resources.files("registrum.web") / "static"
        for name in FILES:
            body = (folder / name).read_bytes()
            stem, _, ext = name.rpartition(".")
            digest = hashlib.sha256(body).hexdigest()[:12]
            asset = Asset(f"/static/{stem}.{digest}.{ext}", body, _TYPES[ext])
            self._by_name[name] = asset
            self._by_path[asset.path] = asset

    def url(self, name: str) -> str:
        return self._by_name[name].path

    def response(self, path: str) -> Response | None:
        asset = self._by_path.get(path)
        if asset is None:
            return None
        return Response(
            asset.body,
            media_type=asset.media_type,
            headers={**SECURITY_HEADERS, "Cache-Control": IMMUTABLE},
        )
