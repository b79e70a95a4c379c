"""What the pages show, read from stored versions: plain values the templates print.

Publisher data reaches a page only through here. Documents are read leniently (an imported or
mirrored document may break today's rules, or hold anything at all), every value the
templates print is text (Jinja escapes it), and the only values that become an ``href`` or a
``src`` are the ones :func:`web_url` accepts: ``http(s)`` links, ``https`` icons.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote, urlsplit

import orjson

from registrum.core import wire
from registrum.core.records import ChangeEntry
from registrum.core.wire import VersionView

SUMMARY_CHARS: Final = 280  # of a description in a list of results
DESCRIPTION_CHARS: Final = 1200  # shown before "more" on a server's page
MAX_URL: Final = 2048
# Characters that reorder or hide text: shown as their code point instead, so that a
# description cannot make the page read differently from what it is (core/display_text.py
# refuses them at publish; imported and mirrored documents may still carry them).
# Control, format and separator characters (Unicode categories Cc, Cf, Zl, Zp) but tab and
# line breaks: invisible, or able to reorder the text around them (bidi controls, U+2029).
_HIDDEN: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    + "".join(
        re.escape(chr(c))
        for c in range(0xA0, 0x110000)
        if unicodedata.category(chr(c)) in ("Cf", "Zl", "Zp")
    )
    + "]"
)
_NOT_IN_URL: Final = re.compile(r"[\x00-\x20\x7f\\<>\"'`]")


def shown(text: str) -> str:
    """``text`` with its invisible and bidirectional controls spelled out (``[U+202E]``)."""
    return _HIDDEN.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def _text(value: Any) -> str:
    return shown(value) if isinstance(value, str) else ""


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def web_url(value: Any, *, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """``value`` when it is an absolute URL with one of ``schemes`` and a host, else None:
    what a page may link to (``javascript:``, ``data:`` and relative tricks never are)."""
    if not isinstance(value, str) or len(value) > MAX_URL or _NOT_IN_URL.search(value):
        return None
    if _HIDDEN.search(value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in schemes or not parts.netloc:
        return None
    return value


def server_path(name: str) -> str:
    """The page of a server: its name's ``/`` kept, everything else escaped. A name with an
    empty, ``.`` or ``..`` segment (an imported one may have them) has every ``/`` escaped
    too, or a browser would resolve the link to another page."""
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "/servers/" + quote(name, safe="@:+")
    return "/servers/" + quote(name, safe="/@:+")


def namespace_of(name: str) -> str:
    return name.split("/", 1)[0] if "/" in name else name


def document_of(view: VersionView) -> Mapping[str, Any]:
    try:
        document = orjson.loads(view.body)
    except orjson.JSONDecodeError:
        return {}
    return document if isinstance(document, dict) else {}


@dataclass(frozen=True, slots=True)
class Card:
    """One server in a list of results."""

    name: str
    shown_name: str
    short_name: str  # the part after the namespace, the title of a server without one
    initial: str  # shown where a server has no icon
    path: str
    version: str
    title: str
    summary: str
    status: str
    registry_types: tuple[str, ...]
    transports: tuple[str, ...]
    updated_at: datetime
    icon: str | None


def _icon(document: Mapping[str, Any]) -> str | None:
    for icon in _list(document.get("icons")):
        src = web_url(icon.get("src"), schemes=("https",))
        if src is not None:
            return src
    return None


def card(view: VersionView) -> Card:
    document = document_of(view)
    description = _text(document.get("description"))
    if len(description) > SUMMARY_CHARS:
        description = description[: SUMMARY_CHARS - 1].rstrip() + "…"
    packages = _list(document.get("packages"))
    types = [_text(p.get("registryType")) for p in packages]
    transports = [
        _text(p["transport"].get("type")) if isinstance(p.get("transport"), Mapping) else ""
        for p in packages
    ]
    transports += [_text(r.get("type")) for r in _list(document.get("remotes"))]
    title = _text(document.get("title"))
    short = shown(view.name.rsplit("/", 1)[-1])
    return Card(
        name=view.name,
        shown_name=shown(view.name),
        short_name=short,
        initial=next((ch.upper() for ch in title or short if ch.isalnum()), "·"),
        path=server_path(view.name),
        version=shown(view.version),
        title=title,
        summary=description,
        status=view.status.value,
        registry_types=tuple(dict.fromkeys(t for t in types if t)),
        transports=tuple(dict.fromkeys(t for t in transports if t)),
        updated_at=view.updated_at,
        icon=_icon(document),
    )


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value (an argument, a header, an environment variable)."""

    name: str
    description: str = ""
    value: str = ""
    flags: tuple[str, ...] = ()


def _has_secret_variable(item: Mapping[str, Any]) -> bool:
    variables = item.get("variables")
    return isinstance(variables, Mapping) and any(
        isinstance(v, Mapping) and v.get("isSecret") is True for v in variables.values()
    )


def _fields(items: list[Mapping[str, Any]], *, key: str = "name") -> list[Field]:
    out = []
    for item in items:
        flags = [
            label
            for member, label in (("isRequired", "required"), ("isSecret", "secret"))
            if item.get(member) is True
        ]
        kind = _text(item.get("type"))
        if kind:
            flags.insert(0, kind)
        # A secret's fixed value or default is a literal secret: never shown (the install
        # panel asks for it instead).
        if item.get("isSecret") is True or _has_secret_variable(item):
            value: Any = item.get("valueHint") or "(secret)"
        else:
            value = item.get("value", item.get("default", item.get("valueHint")))
        out.append(
            Field(
                name=_text(item.get(key)) or _text(item.get("valueHint")),
                description=_text(item.get("description")),
                value=_text(value),
                flags=tuple(flags),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Package:
    registry_type: str
    identifier: str
    version: str
    runtime_hint: str
    transport: str
    transport_url: str
    registry_base_url: str
    runtime_arguments: list[Field]
    package_arguments: list[Field]
    environment: list[Field]
    headers: list[Field]


@dataclass(frozen=True, slots=True)
class Remote:
    transport: str
    url: str
    headers: list[Field]


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    text: str
    href: str | None  # None: not a web address, shown as text only


@dataclass(frozen=True, slots=True)
class NamespaceProof:
    kind: str
    text: str


def namespace_proof(name: str) -> NamespaceProof:
    """What publishing under the name's namespace requires. How it was proved at publish time
    is not recorded per version: this is the rule that applied, read from the namespace."""
    namespace = namespace_of(name)
    if namespace == "io.modelcontextprotocol.anonymous":
        return NamespaceProof("anonymous", "Anonymous namespace: no proof of ownership.")
    if namespace.startswith("io.github.") and len(namespace) > len("io.github."):
        account = namespace[len("io.github.") :]
        return NamespaceProof(
            "github",
            f"GitHub account or organisation “{account}”: publishing requires a GitHub login "
            "or a GitHub Actions token of that account.",
        )
    domain = ".".join(reversed(namespace.split(".")))
    return NamespaceProof(
        "domain",
        f"Domain {domain}: publishing requires a signature with a key published in the "
        "domain's DNS TXT record or at its HTTPS well-known address.",
    )


@dataclass(frozen=True, slots=True)
class Provenance:
    upstream: str
    url: str
    href: str | None
    synced_at: str
    upstream_updated_at: str
    upstream_seq: str


def provenance(view: VersionView) -> Provenance | None:
    if view.source is None:
        return None
    try:
        source = orjson.loads(view.source)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(source, Mapping):
        return None
    url = _text(source.get(wire.URL))
    seq = source.get(wire.SEQ)
    return Provenance(
        upstream=_text(source.get(wire.UPSTREAM)),
        url=url,
        href=web_url(source.get(wire.URL)),
        synced_at=_text(source.get(wire.SYNCED_AT)),
        upstream_updated_at=_text(source.get(wire.UPDATED_AT)),
        upstream_seq=str(seq) if isinstance(seq, int) else "",
    )


@dataclass(frozen=True, slots=True)
class Detail:
    """Everything the page of one version shows but its install panel."""

    card: Card
    description: str
    description_more: str  # past DESCRIPTION_CHARS: behind a disclosure
    links: list[Link]
    packages: list[Package]
    remotes: list[Remote]
    previous_names: tuple[str, ...]
    warnings: list[str]
    provenance: Provenance | None
    proof: NamespaceProof
    extra: dict[str, str] = field(default_factory=dict)


def _link(label: str, value: Any) -> Link | None:
    if not isinstance(value, str) or not value:
        return None
    return Link(label, shown(value), web_url(value))


def _warnings(view: VersionView) -> list[str]:
    if view.warnings is None:
        return []
    try:
        found = orjson.loads(view.warnings)
    except orjson.JSONDecodeError:
        return []
    out = []
    for item in found if isinstance(found, list) else []:
        if isinstance(item, str):
            out.append(shown(item))
        elif isinstance(item, Mapping):
            text = " — ".join(
                _text(item.get(k)) for k in ("rule", "path", "message") if item.get(k)
            )
            out.append(text)
    return out


def detail(view: VersionView, document: Mapping[str, Any]) -> Detail:
    links = []
    repository = document.get("repository")
    if isinstance(repository, Mapping):
        found = _link("Repository", repository.get("url"))
        if found is not None:
            links.append(found)
    found = _link("Website", document.get("websiteUrl"))
    if found is not None:
        links.append(found)
    packages = []
    for item in _list(document.get("packages")):
        transport = item.get("transport")
        transport = transport if isinstance(transport, Mapping) else {}
        packages.append(
            Package(
                registry_type=_text(item.get("registryType")),
                identifier=_text(item.get("identifier")),
                version=_text(item.get("version")),
                runtime_hint=_text(item.get("runtimeHint")),
                transport=_text(transport.get("type")) or "stdio",
                transport_url=_text(transport.get("url")),
                registry_base_url=_text(item.get("registryBaseUrl")),
                runtime_arguments=_fields(_list(item.get("runtimeArguments"))),
                package_arguments=_fields(_list(item.get("packageArguments"))),
                environment=_fields(_list(item.get("environmentVariables"))),
                headers=_fields(_list(transport.get("headers"))),
            )
        )
    remotes = [
        Remote(
            transport=_text(item.get("type")),
            url=_text(item.get("url")),
            headers=_fields(_list(item.get("headers"))),
        )
        for item in _list(document.get("remotes"))
    ]
    description = _text(document.get("description"))
    head, more = description, ""
    if len(description) > DESCRIPTION_CHARS:
        cut = description.rfind(" ", DESCRIPTION_CHARS // 2, DESCRIPTION_CHARS)
        cut = cut if cut > 0 else DESCRIPTION_CHARS
        head, more = description[:cut], description[cut:]
    return Detail(
        card=card(view),
        description=head,
        description_more=more,
        links=links,
        packages=packages,
        remotes=remotes,
        previous_names=tuple(shown(n) for n in view.previous_names),
        warnings=_warnings(view),
        provenance=provenance(view),
        proof=namespace_proof(view.name),
    )


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    kind: str
    at: datetime
    name: str
    shown_name: str
    path: str
    version: str
    previous_name: str


def change(entry: ChangeEntry) -> Change:
    previous = ""
    if entry.kind == "renamed" and entry.detail:
        try:
            detail_ = orjson.loads(entry.detail)
        except orjson.JSONDecodeError:
            detail_ = {}
        if isinstance(detail_, Mapping):
            previous = _text(detail_.get(wire.PREVIOUS_NAME))
    return Change(
        seq=entry.seq,
        kind=entry.kind,
        at=entry.at,
        name=entry.name,
        shown_name=shown(entry.name),
        path=server_path(entry.name),
        version=shown(entry.version or ""),
        previous_name=previous,
    )
