"""npm: the version's package.json must carry ``"mcpName": "<server name>"``.

Asks ``GET <base>/<name>/<version>`` (the version document). On 404 the abbreviated
packument (``GET <base>/<name>``) tells a missing package from a missing version; a
registry that serves packuments but not version documents is read from the full packument.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final
from urllib.parse import quote

from registrum.core.ownership import NPM_NAME_FIELD
from registrum.core.server_json import Package
from registrum.verifiers.fetching import Fetcher
from registrum.verifiers.fields import (
    expect_ok,
    forbid,
    package_missing,
    refuse,
    require_version,
    version_missing,
)
from registrum.verifiers.package_sources import EntryKind, PackageSources

ABBREVIATED: Final = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"


def _escape(identifier: str) -> str:
    # A scoped name is one path segment with its '/' escaped: @scope%2Fname.
    return quote(identifier, safe="@")


LABEL: Final = "NPM package"


class NpmVerifier:
    registry_type: ClassVar[str] = "npm"
    entries: ClassVar[EntryKind] = "base-url"

    def __init__(self, sources: PackageSources, fetcher: Fetcher) -> None:
        self._sources = sources
        self._fetcher = fetcher

    def verify(self, package: Package, server_name: str) -> None:
        version = require_version(package, "NPM")
        forbid(package, "NPM", "fileSha256")
        source = self._sources.by_base_url(package.registry_base_url)
        what = f"the npm registry at {source.named}"
        ident = package.identifier
        base = f"{source.fetch}/{_escape(ident)}"
        answer = self._fetcher.get(f"{base}/{quote(version, safe='')}", what=what)
        if answer.status == 404:
            document = self._from_packument(base, ident, version, what)
        else:
            document = expect_ok(answer, LABEL, ident, what).json(what)
        if not isinstance(document, dict):
            document = {}
        found: Any = document.get(NPM_NAME_FIELD)
        if found is None:
            raise refuse(
                "identifier",
                f"NPM package '{ident}' version '{version}' is missing required "
                f"'{NPM_NAME_FIELD}' field. Add this to your package.json: "
                f'"{NPM_NAME_FIELD}": "{server_name}" and publish a new version',
                ident,
            )
        if found != server_name:
            raise refuse(
                "identifier",
                f"NPM package '{ident}' ownership validation failed. Expected "
                f"{NPM_NAME_FIELD} '{server_name}', got '{found}': set "
                f'"{NPM_NAME_FIELD}": "{server_name}" in your package.json and publish a new '
                "version",
                ident,
            )

    def _from_packument(self, base: str, ident: str, version: str, what: str) -> Any:
        short = self._fetcher.get(base, what=what, accept=ABBREVIATED)
        if short.status == 404:
            raise package_missing(LABEL, ident, what)
        versions = expect_ok(short, LABEL, ident, what).json(what)
        listed = versions.get("versions") if isinstance(versions, dict) else None
        if not isinstance(listed, dict) or version not in listed:
            raise version_missing(LABEL, ident, version, what)
        # The version exists but its document is not served on its own: read it from the
        # full packument (the abbreviated one leaves out mcpName).
        full = expect_ok(self._fetcher.get(base, what=what), LABEL, ident, what).json(what)
        entry = full.get("versions", {}).get(version) if isinstance(full, dict) else None
        return entry if isinstance(entry, dict) else {}
