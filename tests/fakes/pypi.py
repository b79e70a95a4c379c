"""A fake PyPI on 127.0.0.1: the JSON API's project and release documents
(``/pypi/<name>/json`` and ``/pypi/<name>/<version>/json``), whose ``info.description`` is
the README published with the release.

    with FakePyPi() as pypi:
        pypi.add("weather-mcp", "1.0.0", readme="# Weather\n\nmcp-name: io.github.alice/weather\n")
        pypi.url   # the base URL to configure (MCP_REGISTRY_PYPI_REGISTRY_URLS)

Names are matched as PyPI matches them (PEP 503 normalised); a request that spells a known
name differently is redirected to the name as registered, as PyPI does.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from tests.fakes.faults import Faults
from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class FakePyPi(LoopbackFake):
    def __init__(self) -> None:
        # normalised name -> (name as registered, {version: README})
        self.projects: dict[str, tuple[str, dict[str, str]]] = {}
        self.faults = Faults()
        self._server = LoopbackServer(self.faults.wrap(self._handle))

    @property
    def url(self) -> str:
        return self._server.url

    def add(self, name: str, version: str, readme: str = "") -> None:
        self.projects.setdefault(normalise(name), (name, {}))[1][version] = readme

    def _info(self, name: str, version: str, readme: str) -> dict[str, Any]:
        return {
            "name": name,
            "version": version,
            "summary": f"{name} for tests",
            "description": readme,
            "description_content_type": "text/markdown",
            "project_url": f"{self.url}/project/{name}/",
        }

    def _handle(self, req: Request) -> Reply:
        parts = [unquote(p) for p in req.path.strip("/").split("/")]
        if len(parts) not in (3, 4) or parts[0] != "pypi" or parts[-1] != "json":
            return Reply.json({"message": "Not Found"}, 404)
        project = self.projects.get(normalise(parts[1]))
        if project is None:
            return Reply.json({"message": "Not Found"}, 404)
        name, releases = project
        if parts[1] != name:
            moved = "/".join(quote(p, safe="") for p in ["pypi", name, *parts[2:]])
            return Reply(301, b"", {"Location": f"{self.url}/{moved}"})
        if len(parts) == 4:
            version = parts[2]
            if version not in releases:
                return Reply.json({"message": "Not Found"}, 404)
            return Reply.json({"info": self._info(name, version, releases[version]), "urls": []})
        latest = list(releases)[-1]
        return Reply.json(
            {
                "info": self._info(name, latest, releases[latest]),
                "releases": {v: [] for v in releases},
                "urls": [],
            }
        )
