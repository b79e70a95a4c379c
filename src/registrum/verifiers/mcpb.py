"""MCPB: a bundle downloaded from an allowed release host, whose SHA-256 must match.

An MCPB bundle carries no name marker, so what the registry can vouch for is where the
file lives and that it is the file the publisher meant: the official registry requires
``fileSha256`` and an allow-listed host but never downloads the file. Registrum downloads
it (streamed, within ``MCP_REGISTRY_MCPB_MAX_BYTES``) and compares the hash, so a document
can never point clients at a file that differs from the one its hash describes.

Entries of ``MCP_REGISTRY_MCPB_REGISTRY_URLS`` are hosts the bundle URL may name, each
optionally with the base URL to fetch it from (a mirror of release assets).
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from registrum.core.server_json import Package
from registrum.verifiers.fetching import Fetcher
from registrum.verifiers.fields import forbid, refuse
from registrum.verifiers.package_sources import EntryKind, PackageSources


class McpbVerifier:
    registry_type: ClassVar[str] = "mcpb"
    entries: ClassVar[EntryKind] = "host"

    def __init__(self, sources: PackageSources, fetcher: Fetcher) -> None:
        self._sources = sources
        self._fetcher = fetcher

    def verify(self, package: Package, server_name: str) -> None:
        declared = package.file_sha256
        if declared is None:
            # Checked first, as the official registry does: without it nothing else matters.
            raise refuse(
                "fileSha256",
                "MCPB packages must include a fileSha256 hash for integrity verification: "
                "set 'fileSha256' to the file's SHA-256 (the output of `sha256sum FILE`)",
            )
        forbid(package, "MCPB", "registryBaseUrl")
        url = package.identifier
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise refuse(
                "identifier",
                f"MCPB package identifier must be the https URL of the bundle file, such as "
                f"https://releases.example.com/alice/weather/v1.0.0/weather.mcpb; got '{url}'",
                url,
            )
        if "mcp" not in url.lower():
            # The official registry's rule; keeps arbitrary files out of the registry.
            raise refuse("identifier", f"MCPB package URL must contain 'mcp': {url}", url)
        _, base = self._sources.by_host(parts.hostname, "identifier", url)
        target = base + parts.path + (f"?{parts.query}" if parts.query else "")
        what = f"the release host {parts.hostname}"
        got = self._fetcher.download_sha256(target, what=what)
        if got.status in (401, 403, 404, 410):
            raise refuse(
                "identifier",
                f"MCPB package '{url}' is not publicly accessible (status: {got.status}): "
                "upload the bundle to a public release and use its download URL",
                url,
            )
        if not 200 <= got.status < 300:
            raise refuse(
                "identifier", f"{what} answered {got.status} for MCPB package '{url}'", url
            )
        if got.too_large:
            cap = self._fetcher.max_download_bytes
            raise refuse(
                "identifier",
                f"MCPB package '{url}' is larger than this registry's limit of {cap:,} bytes "
                "(MCP_REGISTRY_MCPB_MAX_BYTES), so its hash cannot be checked",
                url,
            )
        if got.sha256 != declared:
            raise refuse(
                "fileSha256",
                f"MCPB package '{url}' has SHA-256 {got.sha256} ({got.size:,} bytes), but "
                f"'fileSha256' says {declared}: the file changed after the hash was taken, or "
                "the hash is of another file. Put the hash of the file you mean to publish in "
                "'fileSha256'",
                declared,
            )
