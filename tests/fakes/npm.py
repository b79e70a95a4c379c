"""A fake npm registry on 127.0.0.1: version documents and packuments (full and
abbreviated), as the npm registry's JSON API serves them.

    with FakeNpm() as npm:
        npm.add("@example/weather", "1.0.0", mcp_name="io.github.alice/weather")
        npm.url   # the base URL to configure (MCP_REGISTRY_NPM_REGISTRY_URLS)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from tests.fakes.faults import Faults
from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request

ABBREVIATED = "application/vnd.npm.install-v1+json"


class FakeNpm(LoopbackFake):
    def __init__(self) -> None:
        self.packages: dict[str, dict[str, dict[str, Any]]] = {}
        self.faults = Faults()
        # Some registries serve packuments only; then the verifier reads the packument.
        self.serve_version_documents = True
        self._server = LoopbackServer(self.faults.wrap(self._handle))

    @property
    def url(self) -> str:
        return self._server.url

    def add(self, name: str, version: str, mcp_name: str | None = None, **members: Any) -> None:
        doc: dict[str, Any] = {"name": name, "version": version, **members}
        if mcp_name is not None:
            doc["mcpName"] = mcp_name
        self.packages.setdefault(name, {})[version] = doc

    def _handle(self, req: Request) -> Reply:
        # The path is /<name> or /<name>/<version>; a scoped name arrives as @scope%2Fname.
        raw = req.path.lstrip("/")
        if raw.startswith("@") and "/" in raw and "%2f" not in raw.lower():
            return Reply.json({"error": "scoped names are one escaped segment"}, 400)
        parts = [unquote(p) for p in raw.split("/")]
        name = parts[0]
        versions = self.packages.get(name)
        if versions is None:
            return Reply.json({"error": "Not found"}, 404)
        if len(parts) == 2:
            if not self.serve_version_documents or parts[1] not in versions:
                return Reply.json({"error": "Not found"}, 404)
            return Reply.json(versions[parts[1]])
        if ABBREVIATED in (req.header("accept") or ""):
            return Reply.json(
                {
                    "name": name,
                    "versions": {v: {"name": name, "version": v, "dist": {}} for v in versions},
                },
                headers={"Content-Type": ABBREVIATED},
            )
        return Reply.json({"name": name, "versions": versions})
