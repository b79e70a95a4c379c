"""From the schema's inputs (an environment variable, a header, an argument, a URL variable)
to :data:`Text`: a literal value, a hole the person fills, or nothing (an optional setting
with no value, left out and listed so that it can be added).

The rules, in the order they apply:

- a fixed ``value`` is used as given, its ``{name}`` pieces replaced from ``variables``
  (a ``{name}`` with no variable stays as written, as the schema says);
- a secret is never written as a literal: a secret with a fixed value, or a default, is
  asked for all the same, and its prompt carries no default (so no client, nor the
  result's ``inputs``, can show it); the variables inside a secret's value are secrets too
  (``Bearer {token}``: the token is the secret);
- a required input with no value becomes a hole (its default, if any, offered by clients
  that can prompt and used by those that cannot);
- an optional input with a default gets its default (an optional secret never does); one
  without is left out and listed;
- a variable inside a value follows the same rules, with its input's requiredness: an
  optional input whose variable would have to be asked for (an optional token) is left out
  whole rather than written half-filled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from registrum.core.install.model import Omitted, Prompt, Ref, Text

_BRACES: Final = re.compile(r"\{([^{}]+)\}")
_NOT_ID: Final = re.compile(r"[^A-Za-z0-9_]")


def text_of(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def flag(spec: Mapping[str, Any], member: str) -> bool:
    return spec.get(member) is True


def env_id(base: str) -> str:
    """An id usable as an environment-variable name: what is not a letter, digit or ``_``
    becomes ``_`` (``X-API-Key`` -> ``X_API_Key``, case kept); a leading digit gets an
    underscore."""
    cleaned = _NOT_ID.sub("_", base.strip()).strip("_") or "VALUE"
    return f"_{cleaned}" if cleaned[0].isdigit() else cleaned


def _choices(spec: Mapping[str, Any]) -> tuple[str, ...]:
    raw = spec.get("choices")
    if isinstance(raw, list):
        return tuple(c for c in raw if isinstance(c, str))
    if spec.get("format") == "boolean":
        return ("true", "false")
    return ()


class Prompts:
    """The holes one option needs, each under a unique id, and the settings left out."""

    def __init__(self) -> None:
        self._prompts: dict[str, Prompt] = {}
        self.omitted: list[Omitted] = []
        self.notes: list[str] = []

    @property
    def prompts(self) -> tuple[Prompt, ...]:
        return tuple(self._prompts.values())

    def ask(self, base: str, spec: Mapping[str, Any], where: str, *, required: bool) -> Ref:
        """A hole for ``spec``; the same value asked for twice (a token used in two headers)
        is asked for once."""
        secret = flag(spec, "isSecret")
        # A secret's default is a literal secret all the same: never written, not even offered.
        default = None if secret else text_of(spec.get("default"))
        wanted = Prompt(
            id=env_id(base),
            description=text_of(spec.get("description")) or "",
            secret=secret,
            required=required or flag(spec, "isRequired"),
            default=default,
            choices=_choices(spec),
            format=text_of(spec.get("format")) or "string",
            placeholder=text_of(spec.get("placeholder")),
        )
        candidate, n = wanted.id, 1
        while candidate in self._prompts:
            held = self._prompts[candidate]
            if _same_question(held, wanted):
                self._prompts[candidate] = _used_in(held, where)
                return Ref(candidate)
            n += 1
            candidate = f"{wanted.id}_{n}"
        self._prompts[candidate] = _used_in(_renamed(wanted, candidate), where)
        return Ref(candidate)

    def omit(self, where: str, spec: Mapping[str, Any]) -> None:
        self.omitted.append(Omitted(where, text_of(spec.get("description")) or ""))


def _same_question(a: Prompt, b: Prompt) -> bool:
    return (a.description, a.secret, a.default, a.choices, a.format) == (
        b.description,
        b.secret,
        b.default,
        b.choices,
        b.format,
    )


def _used_in(prompt: Prompt, where: str) -> Prompt:
    if where in prompt.used_in:
        return prompt
    return replace(prompt, used_in=(*prompt.used_in, where))


def _renamed(prompt: Prompt, new_id: str) -> Prompt:
    return replace(prompt, id=new_id)


def value_of(
    spec: Mapping[str, Any], base: str, where: str, prompts: Prompts, *, required: bool
) -> Text | None:
    """The value of one input (an environment variable, header, argument or URL), or None
    to leave it out. ``required`` is the input's own requiredness as its context sees it."""
    value = text_of(spec.get("value"))
    secret = flag(spec, "isSecret")
    if value:
        variables = spec.get("variables")
        variables = variables if isinstance(variables, Mapping) else {}
        if not any(m.group(1) in variables for m in _BRACES.finditer(value)):
            if secret:
                prompts.notes.append(
                    f"{where}: the publisher's fixed value of a secret is not written into "
                    "configurations; it is asked for instead"
                )
                return (prompts.ask(base, spec, where, required=True),)
            return (value,)
        filled = _filled(value, variables, where, prompts, required=required, secret=secret)
        if filled is None:
            prompts.omit(where, spec)
        return filled
    if required:
        return (prompts.ask(base, spec, where, required=True),)
    if secret:
        # An optional secret with no value (an optional token): asking every user for it
        # would make it required, and its default is never written; it is listed instead.
        prompts.omit(where, spec)
        return None
    default = text_of(spec.get("default"))
    if default is not None:
        return (default,)
    prompts.omit(where, spec)
    return None


def _filled(
    value: str,
    variables: Mapping[str, Any],
    where: str,
    prompts: Prompts,
    *,
    required: bool,
    secret: bool,
) -> Text | None:
    parts: list[str | Ref] = []
    position = 0
    for match in _BRACES.finditer(value):
        name = match.group(1)
        variable = variables.get(name)
        if not isinstance(variable, Mapping):
            continue  # no such variable: the braces stay as written
        if secret:
            variable = {**variable, "isSecret": True}
        piece = _variable(variable, name, where, prompts, required=required)
        if piece is None:
            return None  # the caller lists the input as left out
        parts.append(value[position : match.start()])
        parts.extend(piece)
        position = match.end()
    parts.append(value[position:])
    return tuple(p for p in parts if p != "")


def _variable(
    spec: Mapping[str, Any], name: str, where: str, prompts: Prompts, *, required: bool
) -> Text | None:
    fixed = text_of(spec.get("value"))
    if flag(spec, "isSecret"):
        if required or flag(spec, "isRequired"):
            return (prompts.ask(name, spec, where, required=True),)
        return None
    if fixed:
        return (fixed,)
    if flag(spec, "isRequired"):
        return (prompts.ask(name, spec, where, required=True),)
    default = text_of(spec.get("default"))
    if default is not None:
        return (default,)
    if required:
        return (prompts.ask(name, spec, where, required=True),)
    return None
