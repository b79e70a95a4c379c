"""``registrum install``: a server's ready configuration for an MCP client, printed or merged
into the client's configuration file.

The server is fetched from any registry that speaks the official API; the mapping runs here
(``core/install``). ``--write`` merges the entry into the client's file: created when absent,
the previous file kept as ``<file>.bak``, every other entry, key and comment kept, and an
entry of the same name replaced only after asking (or with ``--yes``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import unicodedata
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from registrum.cli.options import RegistryOption
from registrum.cli.output import err, fail, say, warn
from registrum.cli.session import open_client, registry_errors
from registrum.client import DEFAULT_REGISTRY, NotFoundError, install_configs
from registrum.core.errors import InvalidInputError
from registrum.core.install import ClientConfig, InstallResult
from registrum.core.install.config_files import ConfigFileError, EntryExistsError, merge_entry


class Client(StrEnum):
    vscode = "vscode"
    claude_desktop = "claude-desktop"
    claude_code = "claude-code"
    cursor = "cursor"
    generic = "generic"


# The object in each client's file that holds the servers.
SECTIONS = {
    Client.vscode: "servers",
    Client.claude_desktop: "mcpServers",
    Client.claude_code: "mcpServers",
    Client.cursor: "mcpServers",
}


def default_config_path(client: Client) -> Path:
    """Where ``--write`` writes without ``--config``: VS Code's and Claude Code's files of
    the project in the current folder, Cursor's and Claude Desktop's of the user."""
    home = Path.home()
    if client is Client.vscode:
        return Path(".vscode") / "mcp.json"
    if client is Client.claude_code:
        return Path(".mcp.json")
    if client is Client.cursor:
        return home / ".cursor" / "mcp.json"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Claude" / "claude_desktop_config.json"
    return home / ".config" / "Claude" / "claude_desktop_config.json"


def _show_options(result: InstallResult) -> None:
    chosen = result.option
    if len(result.options) > 1:
        err.print("ways to run it (choose with --option N):", markup=False)
        for option in result.options:
            mark = "*" if chosen is not None and option.index == chosen.index else " "
            why = f" — {option.reason}" if option.reason else ""
            err.print(_printable(f" {mark} {option.index}  {option.label}{why}"), markup=False)
    elif chosen is not None:
        err.print(_printable(f"runs as: {chosen.label}"), markup=False)


def _show_config(config: ClientConfig, *, several: bool) -> None:
    if several:
        say(f"# {config.title}" + (f" ({config.file})" if config.file else ""))
    if not config.supported:
        warn(config.title, config.reason or "cannot be configured")
        return
    typer.echo(
        _printable(config.snippet or json.dumps(config.config, indent=2, ensure_ascii=False))
    )
    for name, link in config.links.items():
        err.print(f"{name} link: {link}", markup=False, soft_wrap=True)
    for message in config.warnings:
        warn(config.title, _printable(message))
    if several:
        say()


def _show_inputs(result: InstallResult) -> None:
    chosen = result.option
    if chosen is None or not chosen.supported:
        return
    for prompt in chosen.prompts:
        kind = "secret" if prompt.secret else "value"
        about = f": {prompt.description}" if prompt.description else ""
        err.print(
            _printable(f"you supply {prompt.id} ({kind}, for {', '.join(prompt.used_in)}){about}"),
            markup=False,
        )
    for left in chosen.optional:
        about = f": {left.description}" if left.description else ""
        err.print(_printable(f"optional, left out: {left.where}{about}"), markup=False)


def _replace_with(path: Path, text: str) -> None:
    """Write ``text`` to a new file beside ``path`` and move it over ``path``: a reader never
    sees half a file, and a symbolic link AT ``path`` is replaced, never written through."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists() and not path.is_symlink():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _target(path: Path) -> Path:
    """The file to edit: a configuration kept as a symbolic link (dotfiles) is edited where
    the link points, so the link stays."""
    return path.resolve() if path.is_symlink() else path


def _printable(text: str) -> str:
    """``text`` with control characters (but tab and newline) and bidirectional controls
    shown as escapes: a publisher's argument could otherwise carry terminal escape sequences
    into the person's terminal, or reorder what the line seems to say."""
    return "".join(
        c
        if c in "\t\n" or not (unicodedata.category(c) in ("Cc", "Cf") or c in "\u2028\u2029")
        else f"\\u{ord(c):04x}"
        for c in text
    )


def _write(client: Client, config: ClientConfig, path: Path, yes: bool) -> None:
    section = SECTIONS[client]
    assert config.config is not None
    entry = config.config[section][config.key]
    inputs = config.config.get("inputs", ()) if client is Client.vscode else ()
    path = _target(path)
    try:
        # newline="": line endings are kept as the file has them (\r\n stays \r\n).
        with path.open(encoding="utf-8", newline="") as handle:
            before: str | None = handle.read()
    except FileNotFoundError:
        before = None
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
    try:
        try:
            merged = merge_entry(before, section, config.key, entry, inputs=inputs)
        except EntryExistsError as exc:
            err.print(f"{path} already has an entry {config.key!r}:", markup=False)
            err.print(_printable(exc.existing), markup=False)
            if not yes:
                if not sys.stdin.isatty():
                    fail(
                        f"an entry {config.key!r} is already in {path}: rerun with --yes to "
                        "replace it, or with --key NAME to add this one beside it"
                    )
                if not typer.confirm(f"replace {config.key!r}?", default=False, err=True):
                    fail("nothing written", code=1)
            merged = merge_entry(before, section, config.key, entry, inputs=inputs, replace=True)
    except ConfigFileError as exc:
        fail(f"{path} is not a file Registrum can edit: {exc}; fix it, or use --config")
    if merged.unchanged:
        say(f"{path} already has this entry {config.key!r}: nothing written")
        return
    try:
        if before is not None:
            backup = path.with_name(path.name + ".bak")
            _replace_with(backup, before)
            err.print(f"previous file kept as {backup}", markup=False)
        _replace_with(path, merged.text)
    except OSError as exc:
        fail(f"cannot write {path}: {exc}")
    for kept in merged.kept_inputs:
        warn(str(path), f"input {kept!r} was already defined differently and is kept as it was")
    verb = "replaced" if merged.replaced else "added"
    say(f"{verb} {config.key!r} in {path}")


def install(
    name: Annotated[str, typer.Argument(help="The server name, such as io.github.alice/weather.")],
    version: Annotated[
        str, typer.Option("--version", help="The version to install ('latest' by default).")
    ] = "latest",
    client: Annotated[
        Client | None,
        typer.Option("--client", help="The MCP client (default: print every client's form)."),
    ] = None,
    option: Annotated[
        int | None,
        typer.Option(
            "--option", min=0, help="Which way to run it (a remote or a package), by index."
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key", help="The entry's name in the client's file (default: the name's last part)."
        ),
    ] = None,
    write: Annotated[
        bool,
        typer.Option("--write", help="Merge the entry into the client's configuration file."),
    ] = False,
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="The file --write edits (default: .vscode/mcp.json, .mcp.json, "
            "~/.cursor/mcp.json or Claude Desktop's file, by client).",
            dir_okay=False,
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Replace an entry of the same name without asking.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole result as JSON.")
    ] = False,
    registry: RegistryOption = DEFAULT_REGISTRY,
) -> None:
    """Print a server's configuration for an MCP client, or merge it into the client's file.

    Secrets are never written: VS Code asks for them (inputs), Cursor and Claude Code read
    them from your environment, Claude Desktop gets a <PLACEHOLDER> to replace. Works with any
    registry that speaks the official API; no login.
    """
    if write and (client is None or client is Client.generic):
        fail("--write needs --client vscode, claude-desktop, claude-code or cursor")
    if config_path is not None and not write:
        fail("--config goes with --write")
    registry_client = open_client(registry, cache=True)
    try:
        with registry_errors(registry):
            try:
                item = registry_client.get(name, version)
            except NotFoundError:
                fail(f"{registry} has no server {name!r} (version {version})")
    finally:
        registry_client.close()
    try:
        result = install_configs(
            item, clients=[client.value] if client else None, option=option, key=key
        )
    except InvalidInputError as exc:
        fail(f"{exc.detail}")
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    status = item.status
    if status and status != "active":
        message = item.official.status_message if item.official else None
        said = f"this version is {status}" + (f": {message}" if message else "")
        warn(f"{result.name} {result.version}", said)
    _show_options(result)
    configs = list(result.configs.values())
    if write:
        assert client is not None
        config = result.configs[client.value]
        if not config.supported:
            fail(f"{config.title} cannot run this server: {config.reason}")
        for message in config.warnings:
            warn(config.title, _printable(message))
        _show_inputs(result)
        _write(client, config, config_path or default_config_path(client), yes)
        return
    for config in configs:
        _show_config(config, several=len(configs) > 1)
    _show_inputs(result)
