"""The client-neutral plan of how to run one server, which every client's form is written from.

A server.json says what to run (a package and its launcher hints) or where to connect (a
remote). `options.py` reads it into :class:`Option` values: a command line or an endpoint
whose pieces are :data:`Text` — literal strings with :class:`Ref` holes where the person must
supply a value (an API key, a path). Each client module decides how a hole is written: VS Code
prompts (``${input:id}``), Cursor reads the environment (``${env:ID}``), Claude Desktop can only
show a placeholder to replace. Keeping the holes symbolic until then is what lets one mapping
serve every client without a secret ever being written as a literal value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Prompt:
    """A value the person supplies. ``id`` is a valid environment-variable name, so that clients
    that read values from the environment can use it as is."""

    id: str
    description: str = ""
    secret: bool = False
    required: bool = False
    default: str | None = None
    choices: tuple[str, ...] = ()
    format: str = "string"
    placeholder: str | None = None
    used_in: tuple[str, ...] = ()  # where it goes: "env API_KEY", "header Authorization", ...

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "description": self.description,
            "isSecret": self.secret,
            "isRequired": self.required,
            "format": self.format,
        }
        if self.default is not None:
            out["default"] = self.default
        if self.choices:
            out["choices"] = list(self.choices)
        if self.placeholder is not None:
            out["placeholder"] = self.placeholder
        out["usedIn"] = list(self.used_in)
        return out


@dataclass(frozen=True, slots=True)
class Ref:
    """A hole in a :data:`Text`: the value of the prompt with this id."""

    id: str


# A value as a sequence of literal pieces and holes: ("Bearer ", Ref("TOKEN")).
Text = tuple[str | Ref, ...]


def literal(value: str) -> Text:
    return (value,)


def refs_of(text: Text) -> list[str]:
    return [part.id for part in text if isinstance(part, Ref)]


def render(text: Text, hole: Callable[[Ref], str]) -> str:
    """The text with each hole written by ``hole``."""
    return "".join(part if isinstance(part, str) else hole(part) for part in text)


@dataclass(frozen=True, slots=True)
class Launch:
    """A local process started over stdio: ``command`` with ``args`` and ``env``."""

    command: str
    args: tuple[Text, ...]
    env: tuple[tuple[str, Text], ...] = ()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An MCP endpoint reached over HTTP. ``start`` is set when a package serves it locally
    and must be started first (a package whose transport is streamable-http or sse)."""

    transport: str  # "streamable-http" or "sse"
    url: Text
    headers: tuple[tuple[str, Text], ...] = ()
    start: Launch | None = None


@dataclass(frozen=True, slots=True)
class Omitted:
    """An optional setting left out of the configuration (no value to give it), so a person
    can add it: where it goes and what it is."""

    where: str
    description: str

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "description": self.description}


@dataclass(frozen=True, slots=True)
class Option:
    """One way to run the server: a remote, or one of its packages. ``reason`` is set (and
    ``launch`` and ``endpoint`` are None) when no client configuration can express it."""

    index: int
    kind: str  # "remote" or "package"
    label: str
    transport: str
    registry_type: str | None = None
    launch: Launch | None = None
    endpoint: Endpoint | None = None
    prompts: tuple[Prompt, ...] = ()
    notes: tuple[str, ...] = ()  # what every client's result should say about it
    optional: tuple[Omitted, ...] = ()
    reason: str | None = None

    @property
    def supported(self) -> bool:
        return self.reason is None

    def prompt(self, prompt_id: str) -> Prompt:
        for prompt in self.prompts:
            if prompt.id == prompt_id:
                return prompt
        raise KeyError(prompt_id)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "kind": self.kind,
            "label": self.label,
            "transport": self.transport,
            "supported": self.supported,
        }
        if self.registry_type is not None:
            out["registryType"] = self.registry_type
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """What one client gets for one option: the configuration to paste (``config``, the JSON
    as it sits in the client's file, or None for a client configured by a command), the text
    to show (``snippet``), install links, a command line where the client has one, and what
    could not be expressed (``warnings``). ``reason`` is set instead when nothing can be."""

    client: str
    title: str
    option: int | None
    key: str
    file: str | None = None
    config: Mapping[str, Any] | None = None
    snippet: str | None = None
    command: str | None = None
    argv: tuple[str, ...] = ()
    links: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def supported(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "client": self.client,
            "title": self.title,
            "supported": self.supported,
            "option": self.option,
            "key": self.key,
        }
        if self.reason is not None:
            out["reason"] = self.reason
            return out
        if self.file is not None:
            out["file"] = self.file
        if self.config is not None:
            out["config"] = self.config
        if self.snippet is not None:
            out["snippet"] = self.snippet
        if self.command is not None:
            out["command"] = self.command
            out["argv"] = list(self.argv)
        if self.links:
            out["links"] = dict(self.links)
        out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True, slots=True)
class ClientFormat:
    """A client Registrum writes configurations for: its id (``vscode``), its name as people
    know it, the file its configuration lives in, and the function that writes one option."""

    id: str
    title: str
    file: str | None
    write: Callable[[Option, str], ClientConfig]


# Keys a configuration's server entry goes under: what every client accepts (Claude Code's
# `mcp add` takes letters, digits, hyphens and underscores only).
KEY_CHARACTERS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
