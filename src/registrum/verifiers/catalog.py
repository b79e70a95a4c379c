"""Finding the installed verifiers and building them from configuration.

A verifier class is registered under the ``registrum.verifiers`` entry point group, named
for its registry type, and looks like this::

    class NpmVerifier:
        registry_type = "npm"        # the server.json registryType it checks
        entries: EntryKind = "base-url"   # what its setting lists: base URLs or hosts

        def __init__(self, sources: PackageSources, fetcher: Fetcher) -> None: ...
        def verify(self, package: Package, server_name: str) -> None: ...

Every installed type gets a verifier, configured or not: an unconfigured one refuses its
packages with a message that names the setting to set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import ClassVar, Final, Protocol
from urllib.parse import urlsplit

import httpx

from registrum.client.guard import OutboundPolicy
from registrum.core.addresses import IPNetwork
from registrum.core.ports import PackageVerifier
from registrum.verifiers.fetching import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    Fetcher,
)
from registrum.verifiers.package_sources import (
    EntryKind,
    PackageSources,
    parse_entries,
    setting_name,
)

ENTRY_POINT_GROUP: Final = "registrum.verifiers"


class VerifierClass(Protocol):
    registry_type: ClassVar[str]
    entries: ClassVar[EntryKind]

    def __call__(self, sources: PackageSources, fetcher: Fetcher) -> PackageVerifier: ...


class ConfigurationError(Exception):
    """A verification setting is wrong; the message names the variable."""


@dataclass(frozen=True)
class VerificationConfig:
    # registry type -> the raw value of its MCP_REGISTRY_<TYPE>_REGISTRY_URLS setting
    registry_urls: Mapping[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    host_timeouts: Mapping[str, float] = field(default_factory=dict)
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    ca_bundle: str = ""
    # The publisher's own check (CLI): use what the document names when nothing is set.
    trust_documents: bool = False
    transport: httpx.BaseTransport | None = None
    # Let checks reach private addresses through any host (tests, internal-only registries).
    allow_private: bool = False
    # Networks the address guard treats as public.
    public_networks: tuple[IPNetwork, ...] = ()


ALLOW_PRIVATE_SETTING: Final = "MCP_REGISTRY_VERIFY_ALLOW_PRIVATE"


def installed() -> dict[str, VerifierClass]:
    """The verifier classes installed as entry points, by registry type."""
    found: dict[str, VerifierClass] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:
            raise ConfigurationError(
                f"the package verifier {ep.name!r} ({ep.value}) cannot be loaded: {exc}"
            ) from exc
        if getattr(cls, "registry_type", None) != ep.name:
            raise ConfigurationError(
                f"the package verifier {ep.value} is registered as {ep.name!r} but checks "
                f"{getattr(cls, 'registry_type', None)!r}: the entry point name must be its "
                "registry_type"
            )
        found[ep.name] = cls
    return found


def package_sources(config: VerificationConfig) -> dict[str, tuple[VerifierClass, PackageSources]]:
    """Every installed verifier class with its parsed package sources; a bad setting raises
    :class:`ConfigurationError` naming it."""
    classes = installed()
    unknown = sorted(set(config.registry_urls) - set(classes))
    if unknown:
        raise ConfigurationError(
            f"{setting_name(unknown[0])} is set, but no verifier for the package type "
            f"{unknown[0]!r} is installed (installed: {', '.join(sorted(classes)) or 'none'})"
        )
    found: dict[str, tuple[VerifierClass, PackageSources]] = {}
    for registry_type, cls in classes.items():
        raw = config.registry_urls.get(registry_type, "")
        try:
            entries = parse_entries(registry_type, cls.entries, raw)
        except ValueError as exc:
            raise ConfigurationError(f"{setting_name(registry_type)}={raw!r}: {exc}") from None
        found[registry_type] = (
            cls,
            PackageSources(
                registry_type, cls.entries, entries, trust_documents=config.trust_documents
            ),
        )
    return found


def build(config: VerificationConfig) -> tuple[dict[str, PackageVerifier], Fetcher]:
    """A verifier for every installed type, and the fetcher they share (close it when done)."""
    parsed = package_sources(config)
    fetcher = Fetcher(
        timeout=config.timeout,
        host_timeouts=config.host_timeouts,
        max_response_bytes=config.max_response_bytes,
        max_download_bytes=config.max_download_bytes,
        verify=config.ca_bundle or True,
        transport=config.transport,
        policy=None if config.trust_documents else _policy(config, parsed),
    )
    verifiers = {t: cls(ups, fetcher) for t, (cls, ups) in parsed.items()}
    return verifiers, fetcher


def _policy(
    config: VerificationConfig, parsed: Mapping[str, tuple[VerifierClass, PackageSources]]
) -> OutboundPolicy:
    """The operator's fixed hosts are trusted as configured (a pull-through cache on the
    internal network is normal); a host a wildcard entry lets the publisher pick, or any
    other URL a document or an answer names, must be public."""
    trusted = {
        (urlsplit(entry.fetch).hostname or "").lower()
        for _, sources in parsed.values()
        for entry in sources.entries
        if not entry.named.startswith("*.")
    }
    return OutboundPolicy(
        trusted_hosts=frozenset(trusted - {""}),
        allow_private=config.allow_private,
        allow_private_setting=ALLOW_PRIVATE_SETTING,
        public_networks=config.public_networks,
    )


def parse_host_timeouts(raw: str) -> dict[str, float]:
    """``"images.example.com=30,slow.example:8443=60"`` -> ``{host: seconds}``."""
    out: dict[str, float] = {}
    for item in (p.strip() for p in raw.split(",")):
        if not item:
            continue
        host, sep, seconds = item.partition("=")
        try:
            value = float(seconds)
        except ValueError:
            value = -1.0
        if not sep or not host.strip() or not 0 < value <= 600:
            raise ValueError(
                f"{item!r} is not host=seconds (seconds between 0 and 600), for example "
                "images.example.com=30"
            )
        out[host.strip().lower()] = value
    return out
