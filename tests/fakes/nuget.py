"""A fake NuGet v3 feed on 127.0.0.1: a service index whose resources point at the fake
itself, the flat container's version lists (``PackageBaseAddress/3.0.0``) and embedded
READMEs (``ReadmeUriTemplate/6.13.0``).

    with FakeNuGet() as nuget:
        nuget.add("Example.Weather", "1.0.0", readme="mcp-name: io.github.alice/weather\n")
        nuget.index_url   # the URL to configure (MCP_REGISTRY_NUGET_REGISTRY_URLS)

Like a real flat container, paths hold the lower-cased id and the lower-cased version
without build metadata; any other spelling is a 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from tests.fakes.faults import Faults
from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request

README_RESOURCE = "ReadmeUriTemplate/6.13.0"
PACKAGES_RESOURCE = "PackageBaseAddress/3.0.0"


def feed_version(version: str) -> str:
    return version.partition("+")[0].lower()


class FakeNuGet(LoopbackFake):
    def __init__(self) -> None:
        # lower-cased id -> {feed version: README, or None for a package without one}
        self.packages: dict[str, dict[str, str | None]] = {}
        self.faults = Faults()
        # Older feeds have no README resource; then the verifier cannot check.
        self.serve_readme_resource = True
        self._server = LoopbackServer(self.faults.wrap(self._handle))

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def index_url(self) -> str:
        return f"{self.url}/v3/index.json"

    def add(self, ident: str, version: str, readme: str | None = None) -> None:
        self.packages.setdefault(ident.lower(), {})[feed_version(version)] = readme

    def _index(self) -> dict[str, Any]:
        flat = f"{self.url}/v3-flatcontainer/"
        resources = [
            {"@id": f"{self.url}/query", "@type": "SearchQueryService/3.5.0"},
            {"@id": f"{self.url}/registration/", "@type": "RegistrationsBaseUrl/3.6.0"},
            {"@id": flat, "@type": PACKAGES_RESOURCE, "comment": "package content"},
        ]
        if self.serve_readme_resource:
            resources.append(
                {"@id": flat + "{lower_id}/{lower_version}/readme", "@type": README_RESOURCE}
            )
        return {
            "version": "3.0.0",
            "resources": resources,
            "@context": {"@vocab": "http://schema.nuget.example/services#"},
        }

    def _handle(self, req: Request) -> Reply:
        if req.path == "/v3/index.json":
            return Reply.json(self._index())
        parts = [unquote(p) for p in req.path.strip("/").split("/")]
        if parts[0] != "v3-flatcontainer" or len(parts) not in (3, 4):
            return Reply.text("Not found", 404)
        versions = self.packages.get(parts[1]) if parts[1] == parts[1].lower() else None
        if versions is None:
            return Reply.text("Not found", 404)
        if parts[2:] == ["index.json"]:
            return Reply.json({"versions": list(versions)})
        if len(parts) == 4 and parts[3] == "readme":
            readme = versions.get(parts[2])
            if readme is None:
                return Reply.text("Not found", 404)
            return Reply.text(readme, content_type="text/markdown")
        return Reply.text("Not found", 404)
