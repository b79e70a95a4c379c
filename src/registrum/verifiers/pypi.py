"""pypi: the version's README (its long description) must hold the line
``mcp-name: <server name>``.

Asks ``GET <base>/pypi/<name>/<version>/json``: its ``info.description`` is the README
published with that version, which only the project's maintainers can write. On 404 the
project document (``GET <base>/pypi/<name>/json``) tells a missing project from a missing
version. The marker is matched with the boundary rule of
:func:`~registrum.core.ownership.find_readme_marker`, so a README naming a longer name
(``mcp-name: <server name>-extra``) does not count.
"""

from __future__ import annotations

from typing import ClassVar, Final, NoReturn
from urllib.parse import quote

from registrum.core.server_json import Package
from registrum.verifiers.fetching import Fetcher
from registrum.verifiers.fields import (
    expect_ok,
    forbid,
    package_missing,
    require_version,
    version_missing,
)
from registrum.verifiers.package_sources import EntryKind, PackageSources
from registrum.verifiers.readme import require_readme_marker

LABEL: Final = "PyPI package"


class PyPiVerifier:
    registry_type: ClassVar[str] = "pypi"
    entries: ClassVar[EntryKind] = "base-url"

    def __init__(self, sources: PackageSources, fetcher: Fetcher) -> None:
        self._sources = sources
        self._fetcher = fetcher

    def verify(self, package: Package, server_name: str) -> None:
        version = require_version(package, "PyPI")
        forbid(package, "PyPI", "fileSha256")
        source = self._sources.by_base_url(package.registry_base_url)
        what = f"the PyPI registry at {source.named}"
        ident = package.identifier
        base = f"{source.fetch}/pypi/{quote(ident, safe='')}"
        answer = self._fetcher.get(f"{base}/{quote(version, safe='')}/json", what=what)
        if answer.status == 404:
            self._missing(base, ident, version, what)
        document = expect_ok(answer, LABEL, ident, what).json(what)
        info = document.get("info") if isinstance(document, dict) else None
        readme = info.get("description") if isinstance(info, dict) else None
        require_readme_marker(
            readme if isinstance(readme, str) else "",
            label="PyPI package",
            ident=ident,
            version=version,
            server_name=server_name,
            where="your README (the package's long description)",
        )

    def _missing(self, base: str, ident: str, version: str, what: str) -> NoReturn:
        project = self._fetcher.get(f"{base}/json", what=what)
        if project.status == 404:
            raise package_missing(LABEL, ident, what)
        expect_ok(project, LABEL, ident, what)
        raise version_missing(LABEL, ident, version, what)
