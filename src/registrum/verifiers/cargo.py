"""cargo: the README published with the crate version must hold the line
``mcp-name: <server name>``.

Asks ``GET <base>/api/v1/crates/<name>/<version>`` first (on 404 the crate document,
``GET <base>/api/v1/crates/<name>``, tells a missing crate from a missing version), because
the README endpoint cannot tell: it points at wherever rendered READMEs are stored, whether
or not one exists. Then ``GET .../<version>/readme`` asking for JSON, which answers
``{"url": ...}``, the rendered HTML README; a registry that answers with the HTML itself,
or redirects to it, is read as it answers. The README is HTML, so the marker must be visible
text (the renderer drops HTML comments), and a ``<`` after the name ends it.
"""

from __future__ import annotations

from typing import ClassVar, Final, NoReturn
from urllib.parse import quote, urljoin

from registrum.core.errors import BadUpstreamError
from registrum.core.ownership import readme_marker
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
from registrum.verifiers.readme import require_readme_marker

JSON: Final = "application/json"


LABEL: Final = "Cargo package"


class CargoVerifier:
    registry_type: ClassVar[str] = "cargo"
    entries: ClassVar[EntryKind] = "base-url"

    def __init__(self, sources: PackageSources, fetcher: Fetcher) -> None:
        self._sources = sources
        self._fetcher = fetcher

    def verify(self, package: Package, server_name: str) -> None:
        version = require_version(package, "Cargo")
        forbid(package, "Cargo", "fileSha256")
        source = self._sources.by_base_url(package.registry_base_url)
        what = f"the Cargo registry at {source.named}"
        ident = package.identifier
        base = f"{source.fetch}/api/v1/crates/{quote(ident, safe='')}"
        version_url = f"{base}/{quote(version, safe='')}"
        answer = self._fetcher.get(version_url, what=what, accept=JSON)
        if answer.status == 404:
            self._missing(base, ident, version, what)
        expect_ok(answer, LABEL, ident, what)
        readme = self._readme(f"{version_url}/readme", ident, version, server_name, what)
        require_readme_marker(
            readme,
            label="Cargo package",
            ident=ident,
            version=version,
            server_name=server_name,
            where="the crate's README, as visible text (the rendered README drops HTML comments)",
        )

    def _readme(self, url: str, ident: str, version: str, server_name: str, what: str) -> str:
        answer = self._fetcher.get(url, what=what, accept=JSON)
        if answer.ok and "json" in answer.headers.get("content-type", "").lower():
            pointer = answer.json(what)
            link = pointer.get("url") if isinstance(pointer, dict) else None
            if not isinstance(link, str) or not link:
                raise BadUpstreamError(f"{what} answered {url} with JSON that has no 'url'")
            answer = self._fetcher.get(urljoin(answer.url, link), what=what)
            rendered = True
        else:
            rendered = answer.url != url  # the fetcher followed a redirect to it
        # Rendered READMEs sit in a file store that answers 403 (not 404) for a missing file.
        if answer.status == 404 or (rendered and answer.status == 403):
            raise refuse(
                "identifier",
                f"Cargo package '{ident}' version '{version}' has no README in {what}. Add "
                f"this line to the crate's README: {readme_marker(server_name)}, and publish "
                "a new version",
                ident,
            )
        return expect_ok(answer, LABEL, ident, what).text()

    def _missing(self, base: str, ident: str, version: str, what: str) -> NoReturn:
        crate = self._fetcher.get(base, what=what, accept=JSON)
        if crate.status == 404:
            raise package_missing(LABEL, ident, what)
        expect_ok(crate, LABEL, ident, what)
        raise version_missing(LABEL, ident, version, what)
