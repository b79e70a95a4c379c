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
``.mcp.json`` (expanded each time the server starts).
"""

from __future__ import annotations

import shlex
from typing import Any

from registrum.core.install.clients.common import notes, start_first, stdio_entry, used_prompts
from registrum.core.install.model import ClientConfig, ClientFormat, Option, Ref, Text, render

ID = "claude-code"
TITLE = "Claude Code"
FILE = ".mcp.json"
_TRANSPORT = {"streamable-http": "http", "sse": "sse"}


def _hole_for(option: Option) -> Any:
    def hole(ref: Ref) -> str:
        prompt = option.prompt(ref.id)
        if prompt.default is not None and not prompt.secret:
            return "${" + ref.id + ":-" + prompt.default + "}"
        return "${" + ref.id + "}"

    return hole


def _shell_word(text: Text, hole: Any) -> str:
    """One word of the command line. Literal text is quoted for a POSIX shell; a word with a
    hole is double-quoted with ``$``, backquotes, ``"`` and ``\\`` escaped in its literal
    parts, so that only the hole expands."""
    if all(isinstance(part, str) for part in text):
        return shlex.quote("".join(part for part in text if isinstance(part, str)))
    out = []
    for part in text:
        if isinstance(part, str):
            out.append("".join("\\" + c if c in '$`"\\' else c for c in part))
        else:
            out.append(hole(part))
    return '"' + "".join(out) + '"'


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
        if prompt.default is not None and not prompt.secret:
            continue
        warnings.append(
            f"set {prompt.id} in your environment first ({prompt.description or 'used in '}"
            f"{'' if prompt.description else ', '.join(prompt.used_in)}): the command line "
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
