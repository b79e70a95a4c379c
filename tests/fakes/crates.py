"""A fake crates registry on 127.0.0.1: the web API's crate and version documents
(``/api/v1/crates/<name>`` and ``/api/v1/crates/<name>/<version>``), the README endpoint
(``/api/v1/crates/<name>/<version>/readme``) and a store of rendered HTML READMEs.

    with FakeCrates() as crates:
        crates.add("weather-mcp", "1.0.0", readme="mcp-name: io.github.alice/weather")
        crates.url   # the base URL to configure (MCP_REGISTRY_CARGO_REGISTRY_URLS)

As in the real registry, the README endpoint does not look the version up: asked for JSON
it answers ``{"url": ...}`` and otherwise redirects there, and the store answers 403 for a
README that does not exist. ``readme_answer = "redirect"`` makes the endpoint redirect
whatever is asked for, and ``"html"`` makes it answer with the HTML itself. READMEs are
rendered as the registry renders them: HTML comments dropped, paragraphs in ``<p>``.
"""

from __future__ import annotations

import html
import re
from typing import Any, Literal
from urllib.parse import unquote

from tests.fakes.faults import Faults
from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request

ReadmeAnswer = Literal["json", "redirect", "html"]
NOT_FOUND = {"errors": [{"detail": "Not Found"}]}


def render(markdown: str) -> str:
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.DOTALL)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)


class FakeCrates(LoopbackFake):
    def __init__(self) -> None:
        # crate -> {version: README source, or None for a version without one}
        self.crates: dict[str, dict[str, str | None]] = {}
        self.faults = Faults()
        self.readme_answer: ReadmeAnswer = "json"
        self._server = LoopbackServer(self.faults.wrap(self._handle))

    @property
    def url(self) -> str:
        return self._server.url

    def add(self, name: str, version: str, readme: str | None = None) -> None:
        self.crates.setdefault(name, {})[version] = readme

    def _stored(self, name: str, version: str) -> str:
        return f"{self.url}/readmes/{name}/{name}-{version}.html"

    def _version(self, name: str, version: str) -> dict[str, Any]:
        return {
            "crate": name,
            "num": version,
            "yanked": False,
            "readme_path": f"/api/v1/crates/{name}/{version}/readme",
        }

    def _handle(self, req: Request) -> Reply:
        parts = [unquote(p) for p in req.path.strip("/").split("/")]
        if parts[0] == "readmes" and len(parts) == 3:
            return self._rendered(parts[1], parts[2])
        if parts[:3] != ["api", "v1", "crates"] or not 4 <= len(parts) <= 6:
            return Reply.json(NOT_FOUND, 404)
        name, rest = parts[3], parts[4:]
        if rest[1:] == ["readme"]:
            return self._readme(name, rest[0], req)
        versions = self.crates.get(name)
        if versions is None:
            return Reply.json(NOT_FOUND, 404)
        if not rest:
            return Reply.json(
                {
                    "crate": {"id": name, "name": name, "max_version": list(versions)[-1]},
                    "versions": [self._version(name, v) for v in versions],
                }
            )
        if len(rest) == 1 and rest[0] in versions:
            return Reply.json({"version": self._version(name, rest[0])})
        return Reply.json(NOT_FOUND, 404)

    def _readme(self, name: str, version: str, req: Request) -> Reply:
        if self.readme_answer == "html":
            readme = self.crates.get(name, {}).get(version)
            if readme is None:
                return Reply.json(NOT_FOUND, 404)
            return Reply.text(render(readme), content_type="text/html")
        asked = req.header("accept") or ""
        if self.readme_answer == "json" and "application/json" in asked:
            return Reply.json({"url": self._stored(name, version)})
        return Reply(302, b"", {"Location": self._stored(name, version)})

    def _rendered(self, name: str, file: str) -> Reply:
        for version, readme in self.crates.get(name, {}).items():
            if file == f"{name}-{version}.html" and readme is not None:
                return Reply.text(render(readme), content_type="text/html")
        return Reply.text(
            "<Error><Code>AccessDenied</Code></Error>", 403, content_type="application/xml"
        )
