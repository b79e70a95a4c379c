"""Real-shaped answers of the official registry: ServerResponse items as its
``/v0.1/servers?include_deleted=true`` serves them, with the defects real data has.

The official registry serves documents it accepted under older rules, which today's publish
refuses: ``"repository": {}``, ``"$schema": ""`` or an older schema, a package ``"version":
"latest"``, an argument ``"type": ""``, an environment variable ``"format": "integer"``, a
description over 100 characters, a remote URL two servers share. Its ``isLatest`` is decided
at each publish, so it can differ from what the rules give for the versions alone (a
non-semver version between two semver ones). Built here, never fetched.

``DEFECTS`` maps each defect to the deviations a mirror or an import must record for it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

OFFICIAL: Final = "io.modelcontextprotocol.registry/official"
CURRENT: Final = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
OLDER: Final = "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json"

# defect -> the deviation keys (core/ingest.py Deviation.key) it must be counted under
DEFECTS: Final = {
    "empty-repository": (
        "schema:missing at repository.url",
        "schema:missing at repository.source",
    ),
    "empty-schema": ("schema-field-required",),
    "older-schema": ("schema-version-deprecated",),
    "package-version-latest": ("version-latest-reserved",),
    "argument-type-empty": ("schema:literal_error at packages[].packageArguments[].type",),
    "env-format-integer": ("schema:literal_error at packages[].environmentVariables[].format",),
    "long-description": ("schema:string_too_long at description",),
    "shared-remote": ("remote-url-taken",),
}


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _package(version: str = "1.0.0", **members: Any) -> dict[str, Any]:
    return {
        "registryType": "npm",
        "identifier": "@example/tool",
        "version": version,
        "transport": {"type": "stdio"},
        **members,
    }


def _document(name: str, version: str, defect: str | None, index: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "$schema": CURRENT,
        "name": name,
        "description": f"Server number {index}.",
        "version": version,
    }
    if defect == "empty-repository":
        doc["repository"] = {}
    elif defect == "empty-schema":
        doc["$schema"] = ""
    elif defect == "older-schema":
        doc["$schema"] = OLDER
    elif defect == "package-version-latest":
        doc["packages"] = [_package("latest")]
    elif defect == "argument-type-empty":
        doc["packages"] = [_package(packageArguments=[{"type": "", "value": "--stdio"}])]
    elif defect == "env-format-integer":
        env = [{"name": "PORT", "format": "integer", "description": "Port"}]
        doc["packages"] = [_package(environmentVariables=env)]
    elif defect == "long-description":
        doc["description"] = "A description accepted before the 100-character limit. " * 3
    elif defect == "shared-remote":
        doc["remotes"] = [{"type": "streamable-http", "url": "https://shared.example.com/mcp"}]
    else:
        doc["remotes"] = [{"type": "streamable-http", "url": f"https://s{index}.example.com/mcp"}]
    return doc


def _item(
    doc: dict[str, Any], at: datetime, *, latest: bool, status: str = "active", message: str = ""
) -> dict[str, Any]:
    meta: dict[str, Any] = {"status": status}
    if message:
        meta["statusMessage"] = message
    meta.update(
        statusChangedAt=_iso(at + timedelta(hours=1)),
        publishedAt=_iso(at),
        updatedAt=_iso(at + timedelta(hours=2)),
        isLatest=latest,
    )
    return {"server": doc, "_meta": {OFFICIAL: meta}}


def official_dump(names: int = 40) -> list[dict[str, Any]]:
    """ServerResponse items, ordered as the official list orders them (name, version)."""
    start = datetime(2025, 9, 1, tzinfo=UTC)
    defects = list(DEFECTS)
    items: list[dict[str, Any]] = []
    for i in range(names):
        name = f"io.github.owner{i:03d}/server-{i:03d}"
        at = start + timedelta(days=i)
        defect = defects[i % len(defects)] if i < 2 * len(defects) else None
        shape = i % 5
        if shape == 0:  # one version
            items.append(_item(_document(name, "1.0.0", defect, i), at, latest=True))
        elif shape == 1:  # build metadata; the newer one is latest
            items.append(_item(_document(name, "1.0.0+build.1", defect, i), at, latest=False))
            later = at + timedelta(hours=3)
            items.append(_item(_document(name, "1.0.0+build.2", defect, i), later, latest=True))
        elif shape == 2:
            # Published 2.0.0, then a non-semver version (newer wins: latest), then 1.0.0
            # (against a non-semver latest the newer wins again): the official registry
            # flags 1.0.0, where the rules applied to the set alone would pick 2.0.0.
            items.append(_item(_document(name, "2.0.0", defect, i), at, latest=False))
            items.append(
                _item(_document(name, "nightly", None, i), at + timedelta(hours=1), latest=False)
            )
            items.append(
                _item(_document(name, "1.0.0", None, i), at + timedelta(hours=2), latest=True)
            )
        elif shape == 3:  # the latest deprecated, an old one deleted
            items.append(
                _item(_document(name, "0.9.0", defect, i), at, latest=False, status="deleted")
            )
            items.append(
                _item(
                    _document(name, "1.0.0", None, i),
                    at + timedelta(hours=1),
                    latest=True,
                    status="deprecated",
                    message="Use server-next instead.",
                )
            )
        else:  # every version deleted: the greatest deleted one keeps the flag
            first = _document(name, "0.1.0", defect, i)
            items.append(_item(first, at, latest=False, status="deleted"))
            second = _document(name, "0.2.0", None, i)
            items.append(_item(second, at + timedelta(hours=1), latest=True, status="deleted"))
    items.sort(key=lambda item: (item["server"]["name"], item["server"]["version"]))
    return items


def defect_of(item: dict[str, Any], items: list[dict[str, Any]]) -> str | None:
    """Which defect an item of ``official_dump`` carries (None: none)."""
    server = item["server"]
    if server.get("repository") == {}:
        return "empty-repository"
    if server["$schema"] == "":
        return "empty-schema"
    if server["$schema"] == OLDER:
        return "older-schema"
    for package in server.get("packages", []):
        if package["version"] == "latest":
            return "package-version-latest"
        if package.get("packageArguments"):
            return "argument-type-empty"
        if package.get("environmentVariables"):
            return "env-format-integer"
    if len(server["description"]) > 100:
        return "long-description"
    shared = "https://shared.example.com/mcp"
    if any(r["url"] == shared for r in server.get("remotes", [])):
        # Only a second live server with that URL breaks the rule.
        live = [
            i["server"]["name"]
            for i in items
            if i["_meta"][OFFICIAL]["status"] != "deleted"
            and any(r["url"] == shared for r in i["server"].get("remotes", []))
        ]
        return "shared-remote" if len(set(live)) > 1 and server["name"] != min(live) else None
    return None
