"""Claude Code: a ``claude mcp add`` command line, and the same server as an entry of a
project's ``.mcp.json``.

Forms from Claude Code's documentation, "Connect Claude Code to tools via MCP"
(docs.claude.com/en/docs/claude-code/mcp): ``claude mcp add --transport stdio NAME --env
KEY=value -- command args...`` for a local server, ``claude mcp add --transport http|sse NAME
URL --header "Name: value"`` for a remote one; ``.mcp.json`` holds ``{"mcpServers": {NAME:
{"type": "stdio", "command", "args", "env"} | {"type": "http" | "sse", "url", "headers"}}}``
and expands ``${VAR}`` and ``${VAR:-default}`` from the environment. The name goes before
``--env`` because ``--env`` takes several values and would swallow a name after it.

A value the person supplies is read from their environment: ``"${ID}"`` in the command line
(the shell expands it when the command runs; Claude Code stores the result) and in
``.mcp.json`` (expanded each time the server starts). A default (not a secret's) is written
``${ID:-default}`` when it can be carried safely: one holding ``}``, quotes, ``$``,
backquotes, a backslash, ``!`` or a line break cannot (in the shell it would run or end the
expansion: bash reads ``'`` inside ``"${ID:-...}"`` as a quote, ``!`` is history
expansion), so it is ``${ID}`` with the default said in the warnings.
"""

from __future__ import annotations

import shlex
from typing import Any, Final

from registrum.core.install.clients.common import notes, start_first, stdio_entry, used_prompts
from registrum.core.install.model import (
    ClientConfig,
    ClientFormat,
    Option,
    Prompt,
    Ref,
    Text,
    render,
)

ID = "claude-code"
TITLE = "Claude Code"
FILE = ".mcp.json"
_TRANSPORT = {"streamable-http": "http", "sse": "sse"}


# What a default may not hold to be written inside "${ID:-default}" (see the docstring).
_UNSAFE_IN_DEFAULT: Final = frozenset("}'\"$`\\!\n\r")


def _inline_default(prompt: Prompt) -> str | None:
    if prompt.secret or prompt.default is None:
        return None
    if _UNSAFE_IN_DEFAULT & set(prompt.default):
        return None
    return prompt.default


def _hole_for(option: Option) -> Any:
    def hole(ref: Ref) -> str:
        default = _inline_default(option.prompt(ref.id))
        if default is not None:
            return "${" + ref.id + ":-" + default + "}"
        return "${" + ref.id + "}"

    return hole


def _shell_word(text: Text, hole: Any) -> str:
    """One word of the command line, for a POSIX shell: literal pieces single-quoted where
    they need it (nothing expands inside single quotes, not even bash's ``!``), each hole
    double-quoted (``"${ID}"``: it expands, and is not split or globbed), side by side."""
    pieces: list[str | Ref] = []
    for part in text:  # adjacent literal pieces quoted as one
        if isinstance(part, str) and pieces and isinstance(pieces[-1], str):
            pieces[-1] += part
        else:
            pieces.append(part)
    if not pieces:
        return "''"
    return "".join(
        shlex.quote(part) if isinstance(part, str) else '"' + hole(part) + '"' for part in pieces
    )


def write(option: Option, key: str) -> ClientConfig:
    hole = _hole_for(option)
    warnings = notes(option)
    words: list[Text] = [("claude",), ("mcp",), ("add",), ("--transport",)]
    if option.launch is not None:
        launch = option.launch
        entry = stdio_entry(launch, hole, type="stdio")
        words += [("stdio",), (key,)]
        for name, value in launch.env:
            words += [("--env",), (f"{name}=", *value)]
        words += [("--",), (launch.command,), *launch.args]
    else:
        assert option.endpoint is not None
        endpoint = option.endpoint
        kind = _TRANSPORT[endpoint.transport]
        entry = {"type": kind, "url": render(endpoint.url, hole)}
        words += [(kind,), (key,), endpoint.url]
        if endpoint.headers:
            entry["headers"] = {name: render(value, hole) for name, value in endpoint.headers}
            for name, value in endpoint.headers:
                words += [("--header",), (f"{name}: ", *value)]
        if endpoint.start is not None:
            warnings.append(start_first(endpoint, entry["url"], TITLE))
    for prompt in used_prompts(option):
        if _inline_default(prompt) is not None:
            continue
        about = prompt.description or "used in " + ", ".join(prompt.used_in)
        default = (
            ""
            if prompt.secret or prompt.default is None
            else f"; its default is {prompt.default!r}"
        )
        warnings.append(
            f"set {prompt.id} in your environment first ({about}{default}): the command line "
            "and .mcp.json read it from there"
        )
    command = " ".join(_shell_word(word, hole) for word in words)
    config = {"mcpServers": {key: entry}}
    return ClientConfig(
        client=ID,
        title=TITLE,
        option=option.index,
        key=key,
        file=FILE,
        config=config,
        snippet=command,
        command=command,
        argv=tuple(render(word, hole) for word in words),
        warnings=tuple(warnings),
    )


CLIENT = ClientFormat(ID, TITLE, FILE, write)
