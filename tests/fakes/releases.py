"""A fake release host on 127.0.0.1 serving MCPB bundle files, as a Git forge serves
release assets: the download path answers with a redirect to the file's storage location,
which streams the bytes.

    with FakeReleases() as host:
        sha = host.add("/alice/weather-mcp/releases/download/v1.0.0/weather.mcpb", b"...")
"""

from __future__ import annotations

import hashlib

from tests.fakes.faults import Faults
from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, Request


class FakeReleases(LoopbackFake):
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.faults = Faults()
        self.redirect = True
        self._server = LoopbackServer(self.faults.wrap(self._handle))

    @property
    def url(self) -> str:
        return self._server.url

    def add(self, path: str, content: bytes) -> str:
        """Serve ``content`` at ``path``; returns its SHA-256 (hex)."""
        self.files[path] = content
        return hashlib.sha256(content).hexdigest()

    def _handle(self, req: Request) -> Reply:
        if req.path.startswith("/storage/"):
            content = self.files.get(req.path.removeprefix("/storage"))
            if content is None:
                return Reply.text("no such object", 404)
            return Reply(200, content, {"Content-Type": "application/octet-stream"})
        if req.path not in self.files:
            return Reply.text("Not Found", 404)
        if self.redirect:
            return Reply(302, b"", {"Location": f"{self.url}/storage{req.path}"})
        return Reply(200, self.files[req.path], {"Content-Type": "application/octet-stream"})
