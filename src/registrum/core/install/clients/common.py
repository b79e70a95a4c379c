"""What the client modules share: writing a command line or an endpoint as a JSON entry with
each client's way of filling holes, and the warnings every client gives the same way."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from typing import Any

from registrum.core.install.model import Endpoint, Launch, Option, Prompt, Ref, Text, render

Hole = Callable[[Ref], str]


def texts(option: Option) -> Iterator[Text]:
    """Every value a client's configuration writes. The command that starts a package
    serving HTTP is not among them: clients only connect to it, and the warning that gives
    the command shows its holes as placeholders."""
    if option.launch is not None:
        yield from option.launch.args
        yield from (value for _, value in option.launch.env)
    if option.endpoint is not None:
        yield option.endpoint.url
        yield from (value for _, value in option.endpoint.headers)


def used_prompts(option: Option) -> list[Prompt]:
    """The option's prompts its configuration actually refers to, in the option's order."""
    used = {part.id for text in texts(option) for part in text if isinstance(part, Ref)}
    return [p for p in option.prompts if p.id in used]


def stdio_entry(launch: Launch, hole: Hole, **extra: Any) -> dict[str, Any]:
    """``{"command", "args", "env"}`` (empty members left out), after ``extra`` members."""
    entry: dict[str, Any] = dict(extra)
    entry["command"] = launch.command
    if launch.args:
        entry["args"] = [render(arg, hole) for arg in launch.args]
    if launch.env:
        entry["env"] = {name: render(value, hole) for name, value in launch.env}
    return entry


def headers_of(endpoint: Endpoint, hole: Hole) -> dict[str, str]:
    return {name: render(value, hole) for name, value in endpoint.headers}


def placeholder(ref: Ref) -> str:
    return f"<{ref.id}>"


def default_or(option: Option, otherwise: Hole) -> Hole:
    """Write a hole as its prompt's default where it has one and is not a secret (for
    clients that cannot prompt), else as ``otherwise`` does."""

    def hole(ref: Ref) -> str:
        prompt = option.prompt(ref.id)
        if prompt.default is not None and not prompt.secret:
            return prompt.default
        return otherwise(ref)

    return hole


def unfilled(option: Option) -> list[Prompt]:
    """The prompts a client without prompting cannot fill from a default."""
    return [p for p in used_prompts(option) if p.default is None or p.secret]


def command_line(launch: Launch, hole: Hole) -> str:
    """The launch as a shell command line, for a person to read (holes as ``hole`` writes
    them, so the line shows what to fill)."""
    words = [launch.command, *(render(arg, hole) for arg in launch.args)]
    env = [f"{name}={render(value, hole)}" for name, value in launch.env]
    return shlex.join([*env, *words])


def start_first(endpoint: Endpoint, url: str, client: str) -> str:
    """The warning for a package that serves HTTP: someone must start it."""
    assert endpoint.start is not None
    line = command_line(endpoint.start, placeholder)
    return (
        f"this package serves MCP over HTTP at {url}: {client} does not start it, so start "
        f"it yourself first with: {line}"
    )


def notes(option: Option) -> list[str]:
    return list(option.notes)
