"""Rules on a package entry's members that each registry type sets for itself, checked
before anything is fetched (the official validators' field rules)."""

from __future__ import annotations

from registrum.core.errors import PackageOwnershipError, Problem
from registrum.core.server_json import Package
from registrum.verifiers.fetching import Answer


def refuse(path: str, message: str, value: object = None) -> PackageOwnershipError:
    """A refusal of one package, located at ``path`` within the package entry."""
    return PackageOwnershipError(message, [Problem(path, message, value)])


def require_version(package: Package, label: str) -> str:
    if package.version is None:
        raise refuse(
            "version",
            f"package version is required for {label} packages: set 'version' to the "
            "published version this server runs",
        )
    return package.version


def forbid(package: Package, label: str, *members: str) -> None:
    """Refuse members the type does not use (by wire name)."""
    present = {
        "fileSha256": package.file_sha256,
        "registryBaseUrl": package.registry_base_url,
        "version": package.version,
    }
    for member in members:
        value = present[member]
        if value is None:
            continue
        if member == "version":
            hint = "include the tag or digest in 'identifier' instead"
        elif member == "registryBaseUrl":
            hint = "the registry is part of 'identifier'"
        else:
            hint = "it is only for MCPB packages"
        raise refuse(member, f"{label} packages must not have '{member}': {hint}", value)


def expect_ok(answer: Answer, label: str, ident: str, what: str) -> Answer:
    """``answer`` if it is a 2xx; a refusal naming the package otherwise. ``label`` names
    the kind of package ("PyPI package")."""
    if answer.status in (401, 403):
        raise refuse(
            "identifier",
            f"{label} '{ident}' is private or needs authentication at {what}: only public "
            "packages can be checked",
            ident,
        )
    if not answer.ok:
        raise refuse("identifier", f"{what} answered {answer.status} for {label} '{ident}'", ident)
    return answer


def package_missing(label: str, ident: str, what: str) -> PackageOwnershipError:
    return refuse(
        "identifier",
        f"{label} '{ident}' does not exist in {what}: publish it first, or fix 'identifier'",
        ident,
    )


def version_missing(label: str, ident: str, version: str, what: str) -> PackageOwnershipError:
    return refuse(
        "version",
        f"{label} '{ident}' has no version '{version}' in {what}: publish that version first, "
        "or fix 'version'",
        version,
    )
