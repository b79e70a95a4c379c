"""A server.json's ways to run, as :class:`Option` values, best first.

Order: remotes over streamable HTTP, then over SSE (nothing to install), then packages run
over stdio, then packages that serve HTTP locally (they must be started by hand before a
client connects), then what no client can express (with the reason). Within each, the
publisher's order is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from registrum.core.install.inputs import Prompts, flag, text_of, value_of
from registrum.core.install.launchers import Launcher, launcher
from registrum.core.install.model import Endpoint, Launch, Option, Ref, Text, literal, render

_HTTP: Final = frozenset({"streamable-http", "sse"})


def options(document: Mapping[str, Any]) -> list[Option]:
    """Every remote and package of ``document``, ranked, with their indexes."""
    found: list[tuple[int, Option]] = []
    remotes = document.get("remotes")
    for remote in remotes if isinstance(remotes, list) else []:
        if isinstance(remote, Mapping):
            option = _remote(remote)
            found.append((_rank(option), option))
    packages = document.get("packages")
    for package in packages if isinstance(packages, list) else []:
        if isinstance(package, Mapping):
            option = _package(package)
            found.append((_rank(option), option))
    ranked = sorted(found, key=lambda pair: pair[0])  # stable: the publisher's order within
    return [_indexed(option, i) for i, (_, option) in enumerate(ranked)]


def _rank(option: Option) -> int:
    if not option.supported:
        return 4
    if option.kind == "remote":
        return 0 if option.transport == "streamable-http" else 1
    return 2 if option.transport == "stdio" else 3


def _indexed(option: Option, index: int) -> Option:
    return replace(option, index=index)


def _transport(spec: Any) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(spec, Mapping):
        return "stdio", {}
    return text_of(spec.get("type")) or "stdio", spec


def _remote(remote: Mapping[str, Any]) -> Option:
    kind = text_of(remote.get("type")) or "(none)"
    url = text_of(remote.get("url")) or ""
    label = f"remote {url or '(no URL)'} ({kind})"
    if kind not in _HTTP:
        return Option(0, "remote", label, kind, reason=f"remote transport {kind!r} is unknown")
    if not url:
        return Option(0, "remote", label, kind, reason="the remote has no URL")
    prompts = Prompts()
    url_spec = {"value": url, "variables": remote.get("variables")}
    address = value_of(url_spec, "URL", "the URL", prompts, required=True) or literal(url)
    headers = _headers(remote.get("headers"), prompts)
    endpoint = Endpoint(kind, address, headers)
    return _finished(Option(0, "remote", label, kind, endpoint=endpoint), prompts)


def _headers(raw: Any, prompts: Prompts) -> tuple[tuple[str, Text], ...]:
    out: list[tuple[str, Text]] = []
    for header in raw if isinstance(raw, list) else []:
        if not isinstance(header, Mapping) or not text_of(header.get("name")):
            continue
        name = str(header["name"])
        value = value_of(
            header, name, f"header {name}", prompts, required=flag(header, "isRequired")
        )
        if value is not None:
            out.append((name, value))
    return tuple(out)


def _finished(option: Option, prompts: Prompts) -> Option:
    return replace(
        option,
        prompts=prompts.prompts,
        notes=(*option.notes, *prompts.notes),
        optional=tuple(prompts.omitted),
    )


# A publisher's build-time placeholder left in a published version or image reference:
# `${VERSION}`, `$VERSION`, `{{VERSION}}`. No launcher can fetch such a package.
_TEMPLATE: Final = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}")


def _unfilled_template(package: Mapping[str, Any]) -> str | None:
    for member in ("version", "identifier"):
        value = text_of(package.get(member))
        match = _TEMPLATE.search(value) if value else None
        if match:
            return (
                f"the package's {member} holds {match.group(0)!r}, a placeholder its publisher "
                "did not fill in: no launcher can fetch it (the publisher must publish a real "
                "version)"
            )
    return None


def _package(package: Mapping[str, Any]) -> Option:
    registry_type = text_of(package.get("registryType")) or "(none)"
    identifier = text_of(package.get("identifier")) or "(no identifier)"
    version = text_of(package.get("version"))
    transport, transport_spec = _transport(package.get("transport"))
    label = f"{registry_type} package {identifier}{f' {version}' if version else ''} ({transport})"
    prompts = Prompts()
    names: dict[str, Text] = {}  # what a package's URL may name: {port} and the like
    runtime = _arguments(package.get("runtimeArguments"), "runtime", prompts, names)
    # A hole is written as NUL: it is no option, and `-e TOKEN={token}` still names TOKEN.
    how = _unfilled_template(package) or launcher(
        package, [render(word, lambda _: "\0") for word in runtime]
    )
    if isinstance(how, str):
        return Option(0, "package", label, transport, registry_type, reason=how)
    if transport != "stdio" and transport not in _HTTP:
        return Option(
            0,
            "package",
            label,
            transport,
            registry_type,
            reason=f"package transport {transport!r} is unknown",
        )
    arguments = _arguments(package.get("packageArguments"), "package", prompts, names)
    env = _environment(package.get("environmentVariables"), prompts, names)
    launch = _launch(how, runtime, arguments, env)
    notes = list(how.notes)
    # An image's tag is its version; other packages without one run whatever is newest.
    if not version and registry_type.lower() not in ("oci", "docker"):
        notes.append("the package names no version: the newest one is run")
    if transport == "stdio":
        option = Option(0, "package", label, transport, registry_type, launch=launch)
    else:
        url = text_of(transport_spec.get("url"))
        if not url:
            reason = f"the package serves {transport} but names no URL to connect to"
            return Option(0, "package", label, transport, registry_type, reason=reason)
        address, missing = _substitute(url, names)
        notes.extend(
            f"the package's URL names {{{key}}}, which none of its arguments or environment "
            "variables gives: replace it in the URL by hand"
            for key in missing
        )
        endpoint = Endpoint(
            transport,
            address,
            _headers(transport_spec.get("headers"), prompts),
            start=launch,
        )
        option = Option(0, "package", label, transport, registry_type, endpoint=endpoint)
    return _finished(replace(option, notes=tuple(notes)), prompts)


def _arguments(raw: Any, kind: str, prompts: Prompts, names: dict[str, Text]) -> list[Text]:
    """Each argument as the words it adds to the command line."""
    words: list[Text] = []
    for n, arg in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(arg, Mapping):
            continue
        if arg.get("type") == "named":
            words.extend(_named(arg, kind, prompts, names))
        else:
            words.extend(_positional(arg, n, kind, prompts, names))
        if flag(arg, "isRepeated"):
            shown = text_of(arg.get("name")) or text_of(arg.get("valueHint")) or f"#{n + 1}"
            prompts.notes.append(
                f"{kind} argument {shown} may be given more than once: repeat it in the "
                "arguments as needed"
            )
    return words


def _named(
    arg: Mapping[str, Any], kind: str, prompts: Prompts, names: dict[str, Text]
) -> list[Text]:
    name = text_of(arg.get("name"))
    if not name:
        prompts.notes.append(f"a named {kind} argument has no name and is left out")
        return []
    fixed = text_of(arg.get("value"))
    # The fixed value tells apart two uses of one flag (`-e A=1`, `-e B=2`); a secret's
    # value is never shown.
    shown = f" {fixed}" if fixed and not flag(arg, "isSecret") else ""
    where = f"{kind} argument {name}{shown}"
    required = flag(arg, "isRequired")
    base = name.lstrip("-")
    if text_of(arg.get("value")):
        value = value_of(arg, base, where, prompts, required=required)
        if value is None:
            return []
        names[base] = value
        return [literal(name), value]
    if arg.get("format") == "boolean":
        # A switch: present or not.
        if required or arg.get("default") == "true":
            return [literal(name)]
        prompts.omit(where, arg)
        return []
    # A format, a default, choices, a placeholder or being a secret all say the flag takes a
    # value: written bare, it would take the next word as its value.
    takes_value = any(member in arg for member in ("format", "choices", "placeholder"))
    if required or text_of(arg.get("default")) is not None or takes_value or flag(arg, "isSecret"):
        value = value_of(arg, base, where, prompts, required=required)
        if value is None:
            return []
        names[base] = value
        return [literal(name), value]
    if arg.get("isRequired") is False:
        # Said to be optional, with nothing to give it: a setting a person may add (written
        # bare, `--apiClientId` would take the next flag as its value, `--read-write` would
        # switch on what the server keeps off).
        prompts.omit(where, arg)
        return []
    # Nothing says it takes a value or is optional: a bare flag (`-i`, `--rm`, `--stdio`).
    return [literal(name)]


def _positional(
    arg: Mapping[str, Any], n: int, kind: str, prompts: Prompts, names: dict[str, Text]
) -> list[Text]:
    hint = text_of(arg.get("valueHint"))
    where = f"{kind} argument {hint or f'#{n + 1}'}"
    # A positional with a fixed value is part of the command line's shape (`run`, `serve`):
    # it is kept unless the publisher says it is optional.
    required = flag(arg, "isRequired") or (
        bool(text_of(arg.get("value"))) and arg.get("isRequired") is not False
    )
    value = value_of(arg, hint or f"ARG{n + 1}", where, prompts, required=required)
    if value is None:
        return []
    if hint:
        names[hint] = value
    return [value]


def _environment(
    raw: Any, prompts: Prompts, names: dict[str, Text]
) -> tuple[tuple[str, Text], ...]:
    out: list[tuple[str, Text]] = []
    for variable in raw if isinstance(raw, list) else []:
        if not isinstance(variable, Mapping) or not text_of(variable.get("name")):
            continue
        name = str(variable["name"])
        value = value_of(
            variable, name, f"env {name}", prompts, required=flag(variable, "isRequired")
        )
        if value is not None:
            out.append((name, value))
            names[name] = value
    return tuple(out)


def _launch(
    how: Launcher,
    runtime: Sequence[Text],
    arguments: Sequence[Text],
    env: tuple[tuple[str, Text], ...],
) -> Launch:
    args: list[Text] = [literal(word) for word in how.before]
    split = len(runtime) if how.env_after is None else how.env_after
    args.extend(runtime[:split])
    if how.env_flag is not None:
        # A container sees only the variables passed in by name; their values come from
        # the launcher's environment, where the client puts them.
        for name, _ in env:
            if name not in how.env_passed:
                args.extend((literal(how.env_flag), literal(name)))
    args.extend(runtime[split:])
    args.extend(literal(word) for word in how.package)
    if arguments:
        args.extend(literal(word) for word in how.separator)
        args.extend(arguments)
    extra = tuple((name, literal(value)) for name, value in how.env)
    return Launch(how.command, tuple(args), (*env, *extra))


def _substitute(url: str, names: Mapping[str, Text]) -> tuple[Text, list[str]]:
    """A package's URL with ``{name}`` replaced by the value of the argument or environment
    variable of that name (``http://localhost:{port}/mcp``), and the names none gives (an
    optional ``--port`` left out): they stay as written, and are said."""
    missing: list[str] = []
    parts: list[str | Ref] = []
    rest = url
    while "{" in rest:
        start = rest.index("{")
        end = rest.find("}", start)
        if end < 0:
            break
        key = rest[start + 1 : end]
        parts.append(rest[:start])
        if key not in names and key not in missing:
            missing.append(key)
        parts.extend(names.get(key, literal(rest[start : end + 1])))
        rest = rest[end + 1 :]
    parts.append(rest)
    return tuple(p for p in parts if p != ""), missing
