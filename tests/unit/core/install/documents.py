"""Small server.json documents for the install mapping's tests, and ways to read every piece
of text a result shows (so that a secret can be looked for everywhere, links decoded)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from registrum.core.install import ClientConfig, InstallResult, install_configs
from tests.factories import remote, server_json

__all__ = ["remote"]

ALL_CLIENTS = ("vscode", "claude-desktop", "claude-code", "cursor", "generic")


def package(
    registry_type: str = "npm",
    identifier: str = "@example/tool",
    version: str | None = "1.2.3",
    **members: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"registryType": registry_type, "identifier": identifier}
    if version is not None:
        out["version"] = version
    out.update(members)
    return out


def document(
    *, packages: Sequence[dict[str, Any]] = (), remotes: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    members: dict[str, Any] = {}
    if packages:
        members["packages"] = list(packages)
    if remotes:
        members["remotes"] = list(remotes)
    return server_json(name="io.example/tool", **members)


def install(doc: dict[str, Any], **kw: Any) -> InstallResult:
    return install_configs(doc, **kw)


def generic(doc: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """The generic form: command, args, env (or url, headers, start) with ``${ID}`` holes."""
    config = install_configs(doc, clients=["generic"], **kw).configs["generic"]
    assert config.reason is None, config.reason
    assert config.config is not None
    return dict(config.config)


def argv(doc: dict[str, Any], **kw: Any) -> list[str]:
    """The generic form's command line as one list: command, then args."""
    config = generic(doc, **kw)
    return [config["command"], *config.get("args", [])]


def vscode_link_payload(link: str) -> dict[str, Any]:
    scheme, _, rest = link.partition(":mcp/install?")
    assert scheme in ("vscode", "vscode-insiders"), link
    decoded: dict[str, Any] = json.loads(unquote(rest))
    return decoded


def cursor_link(link: str) -> tuple[str, dict[str, Any]]:
    """The name and the decoded config of a Cursor install link."""
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "cursor",
        "anysphere.cursor-deeplink",
        "/mcp/install",
    ), link
    query = parse_qs(parts.query, strict_parsing=True)
    (name,) = query["name"]
    (config,) = query["config"]
    entry: dict[str, Any] = json.loads(base64.b64decode(config, validate=True))
    return name, entry


def texts_of(config: ClientConfig) -> Iterator[str]:
    """Everything one client's result shows: its configuration, snippet, command, argv,
    links (raw and decoded) and warnings."""
    yield json.dumps(config.to_json(), ensure_ascii=False)
    if config.config is not None:
        yield json.dumps(config.config, ensure_ascii=False)
    yield from (config.snippet or "", config.command or "", *config.argv, *config.warnings)
    for link in config.links.values():
        yield link
        yield unquote(link)
        if link.startswith("cursor:"):
            yield json.dumps(cursor_link(link)[1], ensure_ascii=False)
        else:
            yield json.dumps(vscode_link_payload(link), ensure_ascii=False)


def everything(result: InstallResult) -> str:
    """All text of a result, every client's included, as one string to search."""
    parts = [json.dumps(result.to_json(), ensure_ascii=False)]
    for config in result.configs.values():
        parts.extend(texts_of(config))
    return "\n".join(parts)
