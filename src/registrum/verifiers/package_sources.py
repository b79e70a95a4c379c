"""Where each package registry is reached: from configuration, never from code.

Each registry type has one setting, ``MCP_REGISTRY_<TYPE>_REGISTRY_URLS``: a comma-separated
list of entries. An entry names what documents may name — a base URL (npm, pypi, nuget,
cargo: a package's ``registryBaseUrl``) or a host (oci: the image reference's registry;
mcpb: the download URL's host, ``*.example.com`` for every subdomain) — optionally followed
by ``=`` and the base URL to fetch it from, for a private mirror or a pull-through cache::

    MCP_REGISTRY_NPM_REGISTRY_URLS=https://npm.example.com,https://npm.internal.example
    MCP_REGISTRY_OCI_REGISTRY_URLS=images.example.com=https://mirror.example.net/images

The first entry is the default: a package without ``registryBaseUrl`` is looked up there,
and for OCI an image reference without a registry host (``team/image:1.0``) names it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

from registrum.core.errors import PackageOwnershipError, Problem

EntryKind = Literal["base-url", "host"]

SETTING_PREFIX: Final = "MCP_REGISTRY_"
SETTING_SUFFIX: Final = "_REGISTRY_URLS"
VALIDATION_SETTING: Final = "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION"
_HOST: Final = re.compile(
    r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$"
)


def setting_name(registry_type: str) -> str:
    """``npm`` -> ``MCP_REGISTRY_NPM_REGISTRY_URLS``."""
    return SETTING_PREFIX + re.sub(r"[^A-Z0-9]", "_", registry_type.upper()) + SETTING_SUFFIX


_SETTING: Final = re.compile(
    re.escape(SETTING_PREFIX) + r"([A-Z0-9_]+?)" + re.escape(SETTING_SUFFIX), re.IGNORECASE
)


def registry_urls_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every ``MCP_REGISTRY_<TYPE>_REGISTRY_URLS`` variable, by type (``npm``)."""
    found = {}
    for key, value in (os.environ if environ is None else environ).items():
        match = _SETTING.fullmatch(key)
        if match:
            found[match.group(1).lower().replace("_", "-")] = value
    return found


def normalise_url(url: str) -> str:
    """Base URLs compare without a trailing slash and with a lower-case scheme and host (the
    official registry compares them as plain strings, so ``.../`` there is a refusal)."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def _base_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} {value!r} is not an http(s) URL such as https://registry.example")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} {value!r} must not have a query or fragment")
    return normalise_url(value)


@dataclass(frozen=True, slots=True)
class PackageSource:
    """One configured package registry that verifiers check packages against (not a registry
    this one mirrors: that is ``core.records.Upstream``)."""

    named: str  # as documents name it: a base URL, or a host (pattern)
    fetch: str  # the base URL requests go to, without a trailing slash

    def matches_host(self, host: str) -> bool:
        if self.named.startswith("*."):
            return host.endswith(self.named[1:]) and host != self.named[2:]
        return host == self.named

    def fetch_for(self, host: str) -> str:
        """The base URL of ``host`` (a wildcard entry fetches from the host itself)."""
        if self.named.startswith("*."):
            return f"https://{host}"
        return self.fetch


def parse_entries(registry_type: str, kind: EntryKind, raw: str) -> tuple[PackageSource, ...]:
    """Parse one ``*_REGISTRY_URLS`` value; ``ValueError`` says what is wrong with it."""
    entries: list[PackageSource] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        named, sep, fetch = item.partition("=")
        named, fetch = named.strip(), fetch.strip()
        if kind == "base-url":
            named = _base_url(named, "base URL")
            fetch = _base_url(fetch, "fetch URL") if sep else named
        else:
            host = named.lower()
            if not _HOST.match(host):
                raise ValueError(
                    f"{named!r} is not a host name such as images.example.com or *.example.com "
                    f"(for {registry_type}, entries name hosts, optionally '=<fetch URL>')"
                )
            if host.startswith("*.") and sep:
                raise ValueError(f"{named!r}: a wildcard host is fetched from itself; drop '='")
            named = host
            fetch = _base_url(fetch, "fetch URL") if sep else f"https://{host}"
        entries.append(PackageSource(named, fetch))
    return tuple(entries)


class PackageSources:
    """The configured package registries of one type, and the rule for choosing among them.

    With ``trust_documents`` (the CLI's ``validate --online``, run by the publisher on their
    own document) a base URL or host the document names is used even when not configured.
    """

    def __init__(
        self,
        registry_type: str,
        kind: EntryKind,
        entries: tuple[PackageSource, ...] = (),
        *,
        trust_documents: bool = False,
    ) -> None:
        self.registry_type = registry_type
        self.kind = kind
        self.entries = entries
        self.trust_documents = trust_documents

    @property
    def setting(self) -> str:
        return setting_name(self.registry_type)

    def _not_configured(self, path: str, value: str | None) -> PackageOwnershipError:
        if self.trust_documents:
            message = (
                f"no {self.registry_type} registry to check against: set {self.setting} "
                f"(or pass --package-registry {self.registry_type}=URL), or name one in "
                "'registryBaseUrl'"
            )
        else:
            message = (
                f"this registry checks {self.registry_type} packages against the "
                f"{self.registry_type} registries its operator configures, and none is "
                f"configured: the operator must set {self.setting} (or turn package checks "
                f"off with {VALIDATION_SETTING}=false)"
            )
        return PackageOwnershipError(message, [Problem(path, message, value)])

    def by_base_url(self, base_url: str | None) -> PackageSource:
        """The source for a package's ``registryBaseUrl`` (``None``: the default)."""
        if base_url is None:
            if not self.entries:
                raise self._not_configured("registryType", self.registry_type)
            return self.entries[0]
        wanted = normalise_url(base_url)
        for entry in self.entries:
            if entry.named == wanted:
                return entry
        if self.trust_documents and urlsplit(wanted).scheme in ("http", "https"):
            return PackageSource(wanted, wanted)
        if not self.entries:
            raise self._not_configured("registryBaseUrl", base_url)
        allowed = ", ".join(e.named for e in self.entries)
        message = (
            f"registry type and base URL do not match: '{base_url}' is not valid for registry "
            f"type '{self.registry_type}'. Expected one of: {allowed} (or leave "
            "'registryBaseUrl' out to use the first)"
        )
        raise PackageOwnershipError(message, [Problem("registryBaseUrl", message, base_url)])

    def default_host(self) -> str | None:
        for entry in self.entries:
            if not entry.named.startswith("*."):
                return entry.named
        return None

    def by_host(self, host: str, path: str, value: str) -> tuple[PackageSource, str]:
        """The source serving ``host`` and the base URL to fetch from."""
        host = host.lower()
        for entry in self.entries:
            if entry.matches_host(host):
                return entry, entry.fetch_for(host)
        if self.trust_documents:
            return PackageSource(host, f"https://{host}"), f"https://{host}"
        if not self.entries:
            raise self._not_configured(path, value)
        allowed = ", ".join(e.named for e in self.entries)
        message = (
            f"{self.registry_type} packages must come from a host this registry allows; "
            f"'{host}' is not one of: {allowed}"
        )
        raise PackageOwnershipError(message, [Problem(path, message, value)])
