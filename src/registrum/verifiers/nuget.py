"""nuget: the README embedded in the version's .nupkg must hold the line
``mcp-name: <server name>``.

The configured base URL is the feed's v3 service index (``.../v3/index.json``). It names the
feed's other endpoints, so it is read first, and kept for an hour per fetch URL: it rarely
changes and every check needs it. The README is read from the ``ReadmeUriTemplate/6.13.0``
resource, filled with the lower-cased id and version (build metadata dropped, as the feed
stores them). When that answers 404, the package's version list under
``PackageBaseAddress/3.0.0`` tells a missing package from a missing version from a version
published without a README.
"""

from __future__ import annotations

import threading
from time import monotonic
from typing import ClassVar, Final, NoReturn
from urllib.parse import quote

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

README_RESOURCE: Final = "ReadmeUriTemplate/6.13.0"
PACKAGES_RESOURCE: Final = "PackageBaseAddress/3.0.0"
INDEX_TTL: Final = 3600.0


LABEL: Final = "NuGet package"


class NuGetVerifier:
    registry_type: ClassVar[str] = "nuget"
    entries: ClassVar[EntryKind] = "base-url"

    def __init__(self, sources: PackageSources, fetcher: Fetcher) -> None:
        self._sources = sources
        self._fetcher = fetcher
        self._lock = threading.Lock()
        # fetch URL of a service index -> (when it was read, its resources by @type)
        self._indexes: dict[str, tuple[float, dict[str, str]]] = {}

    def verify(self, package: Package, server_name: str) -> None:
        version = require_version(package, "NuGet")
        forbid(package, "NuGet", "fileSha256")
        source = self._sources.by_base_url(package.registry_base_url)
        what = f"the NuGet registry at {source.named}"
        ident = package.identifier
        resources = self._resources(source.fetch, what)
        lower_id = ident.lower()
        lower_version = version.partition("+")[0].lower()
        url = (
            resources[README_RESOURCE]
            .replace("{lower_id}", quote(lower_id, safe=""))
            .replace("{lower_version}", quote(lower_version, safe=""))
        )
        answer = self._fetcher.get(url, what=what)
        if answer.status == 404:
            self._no_readme(resources, lower_id, lower_version, ident, version, server_name, what)
        readme = expect_ok(answer, LABEL, ident, what).text()
        require_readme_marker(
            readme,
            label="NuGet package",
            ident=ident,
            version=version,
            server_name=server_name,
            where="the README packed in the .nupkg",
        )

    def _resources(self, index_url: str, what: str) -> dict[str, str]:
        now = monotonic()
        with self._lock:
            cached = self._indexes.get(index_url)
        if cached is not None and now - cached[0] < INDEX_TTL:
            return cached[1]
        # Read outside the lock: when the feed is slow or down, concurrent checks each wait
        # out their own timeout instead of queueing behind one another's.
        answer = self._fetcher.get(index_url, what=what)
        if not answer.ok:
            raise BadUpstreamError(
                f"{what} answered {answer.status} for its service index {index_url}: the "
                "configured URL must be the feed's v3 service index (…/v3/index.json)"
            )
        index = answer.json(what)
        listed = index.get("resources") if isinstance(index, dict) else None
        resources: dict[str, str] = {}
        for resource in listed if isinstance(listed, list) else []:
            if not isinstance(resource, dict):
                continue
            kind, at = resource.get("@type"), resource.get("@id")
            if isinstance(kind, str) and isinstance(at, str):
                resources.setdefault(kind, at)
        if README_RESOURCE not in resources:
            raise BadUpstreamError(
                f"{what} has no {README_RESOURCE} resource in its service index {index_url}, "
                "so package READMEs cannot be read from it"
            )
        with self._lock:
            self._indexes[index_url] = (now, resources)
        return resources

    def _no_readme(
        self,
        resources: dict[str, str],
        lower_id: str,
        lower_version: str,
        ident: str,
        version: str,
        server_name: str,
        what: str,
    ) -> NoReturn:
        base = resources.get(PACKAGES_RESOURCE)
        if base is None:
            raise BadUpstreamError(
                f"{what} has no README for NuGet package '{ident}' version '{version}' and no "
                f"{PACKAGES_RESOURCE} resource in its service index to tell why"
            )
        listing = self._fetcher.get(
            f"{base.rstrip('/')}/{quote(lower_id, safe='')}/index.json", what=what
        )
        if listing.status == 404:
            raise package_missing(LABEL, ident, what)
        document = expect_ok(listing, LABEL, ident, what).json(what)
        listed = document.get("versions") if isinstance(document, dict) else None
        known = {str(v).lower() for v in listed} if isinstance(listed, list) else set()
        if lower_version not in known:
            raise version_missing(LABEL, ident, version, what)
        raise refuse(
            "identifier",
            f"NuGet package '{ident}' version '{version}' does not have an embedded README in "
            f"{what}. Add a README holding the line {readme_marker(server_name)} to the "
            ".nupkg (PackageReadmeFile in the project file), and publish a new version",
            ident,
        )
