"""The allow/deny policy of a mirror or subregistry (issue #7).

A policy is a TOML file::

    default = "allow"            # or "deny": what happens when no rule matches

    [[rule]]
    action = "deny"              # "allow" or "deny"
    note = "no test servers"     # optional, shown when a decision is explained
    name = ["io.github.*/test-*"]                 # globs on the full server name
    namespace = ["com.spam", "io.github.evil*"]   # globs on the part before the first '/'
    registry_type = ["oci"]      # any package has this registryType
    transport = ["sse"]          # any package transport type or remote type is this
    remote_host = ["*.internal.example.com"]      # globs on the host of any remote URL
    status = ["deprecated"]      # the version's status: active / deprecated / deleted
    upstream = ["public"]        # an upstream's name, or "local" for entries published here

    [publish]                    # which names local users may publish to
    allow = ["com.example/*"]    # globs on the full name; missing or empty = any name

Rules are checked in file order; the first rule whose conditions *all* match decides, and
within one condition *any* listed value matching is enough. A rule with no conditions
matches everything. When no rule matches, ``default`` decides (``"allow"`` when absent).
Each condition may be a single string instead of a list.

Globs are :func:`fnmatch.fnmatchcase` patterns (``*``, ``?``, ``[seq]``); they are
case-sensitive, and ``*`` also matches ``/``. ``remote_host`` is the exception: hosts are
compared lower-cased, pattern and host alike. ``registry_type`` and ``transport`` values are
exact names compared without regard to case (``"pypi"`` also matches ``"PyPI"``); ``status``
and ``upstream`` are exact, case-sensitive names.

Typical use::

    policy = Policy.load(path) if path else Policy.allow_all()
    decision = policy.decide(subject_of(server_json, status="active", upstream="public"))
    if not decision.allowed:
        log(decision.reason)

Local publishing asks :meth:`Policy.may_publish` for the name; the published entry is also
an ordinary subject (``upstream="local"``) that :meth:`Policy.decide` may hide.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from registrum.core.errors import InvalidInputError
from registrum.core.status import STATUS_VALUES

LOCAL: Final = "local"
"""The ``upstream`` of entries published to this registry rather than mirrored."""

ALLOW: Final = "allow"
DENY: Final = "deny"
ACTIONS: Final = (ALLOW, DENY)

# The keys a rule may hold besides action and note.
CONDITION_KEYS: Final = (
    "name",
    "namespace",
    "registry_type",
    "transport",
    "remote_host",
    "status",
    "upstream",
)
RULE_KEYS: Final = ("action", "note", *CONDITION_KEYS)
TOP_LEVEL_KEYS: Final = ("default", "rule", "publish")
PUBLISH_KEYS: Final = ("allow",)

# Keys whose values are globs; the others are exact names.
_GLOB_KEYS: Final = frozenset({"name", "namespace", "remote_host"})
# The verb that joins a key and a value in explanations.
_VERB: Final = {key: ("matches" if key in _GLOB_KEYS else "is") for key in CONDITION_KEYS}

_TOML_POSITION_RE: Final = re.compile(
    r"^(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$"
)


class PolicyError(InvalidInputError):
    """A policy file that cannot be used. ``messages`` holds every problem found, each
    naming the file, the rule (1-based) and the key, and saying what is expected; the
    error's ``detail`` is those messages, one a line."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages: tuple[str, ...] = tuple(messages)


# --- subjects ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """What a policy decides about: one version of one server, from one source.

    ``upstream`` is the name of the upstream the entry was mirrored from, or ``"local"``
    (:data:`LOCAL`) for entries published to this registry.
    """

    name: str
    status: str = "active"
    registry_types: tuple[str, ...] = ()
    transports: tuple[str, ...] = ()
    remote_hosts: tuple[str, ...] = ()
    upstream: str = LOCAL

    @property
    def namespace(self) -> str:
        """The part of the name before the first ``/`` (all of it when there is none)."""
        return self.name.partition("/")[0]


def subject_of(server_json: Mapping[str, Any], status: str, upstream: str) -> Subject:
    """The :class:`Subject` for a server.json document.

    Reads ``name``, ``packages[].registryType``, ``packages[].transport.type`` (a bare
    string ``transport`` is taken as the type), ``remotes[].type`` and the host of
    ``remotes[].url``. Missing or ill-typed members are skipped, never an error: a mirror
    must be able to judge whatever an upstream serves. Registry types, transports and hosts
    are lower-cased and listed once each, in document order.
    """
    name = server_json.get("name")
    registry_types: list[str] = []
    transports: list[str] = []
    hosts: list[str] = []
    for package in _members(server_json, "packages"):
        registry_type = package.get("registryType")
        if isinstance(registry_type, str):
            registry_types.append(registry_type.lower())
        transport = package.get("transport")
        if isinstance(transport, Mapping):
            transport = transport.get("type")
        if isinstance(transport, str):
            transports.append(transport.lower())
    for remote in _members(server_json, "remotes"):
        remote_type = remote.get("type")
        if isinstance(remote_type, str):
            transports.append(remote_type.lower())
        host = _host(remote.get("url"))
        if host:
            hosts.append(host)
    return Subject(
        name=name if isinstance(name, str) else "",
        status=status,
        registry_types=_unique(registry_types),
        transports=_unique(transports),
        remote_hosts=_unique(hosts),
        upstream=upstream,
    )


def _members(document: Mapping[str, Any], key: str) -> Iterable[Mapping[str, Any]]:
    value = document.get(key)
    if not isinstance(value, list):
        return ()
    return [item for item in value if isinstance(item, Mapping)]


def _host(url: object) -> str:
    if not isinstance(url, str):
        return ""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # an unbalanced '[' in an IPv6 literal, for one
        return ""
    return (host or "").rstrip(".").lower()


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# --- decisions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of :meth:`Policy.decide` or :meth:`Policy.may_publish`.

    ``rule`` is the 1-based number of the deciding rule, or ``None`` when the default or
    the ``[publish]`` section decided. ``reason`` is a sentence for people, such as
    ``denied by rule 2 ("no test servers"): name matches "io.github.*/test-*"``.
    ``matched`` names each condition that matched, one phrase per condition
    (``'name matches "io.github.*/test-*"'``, ``'status is "deprecated"'``); each phrase
    starts with the condition's key. It is empty for the default and for a rule without
    conditions.
    """

    allowed: bool
    rule: int | None
    reason: str
    matched: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of a rule: ``key`` matches when any of ``values`` matches."""

    key: str
    values: tuple[str, ...]

    def match(self, subject: Subject) -> str | None:
        """The phrase naming the first value that matches ``subject``, or ``None``."""
        test = _TESTS[self.key]
        for value in self.values:
            if test(subject, value):
                return f"{self.key} {_VERB[self.key]} {_quote(value)}"
        return None

    def describe(self) -> str:
        verb = _VERB[self.key]
        if len(self.values) == 1:
            return f"{self.key} {verb} {_quote(self.values[0])}"
        return f"{self.key} {verb} any of {', '.join(_quote(v) for v in self.values)}"


def _any_glob(values: Iterable[str], pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for value in values)


def _any_folded(values: Iterable[str], wanted: str) -> bool:
    wanted = wanted.casefold()
    return any(value.casefold() == wanted for value in values)


_TESTS: Final[dict[str, Callable[[Subject, str], bool]]] = {
    "name": lambda s, v: fnmatch.fnmatchcase(s.name, v),
    "namespace": lambda s, v: fnmatch.fnmatchcase(s.namespace, v),
    "registry_type": lambda s, v: _any_folded(s.registry_types, v),
    "transport": lambda s, v: _any_folded(s.transports, v),
    "remote_host": lambda s, v: _any_glob((h.lower() for h in s.remote_hosts), v.lower()),
    "status": lambda s, v: s.status == v,
    "upstream": lambda s, v: s.upstream == v,
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``[[rule]]``: ``number`` is its 1-based position in the file."""

    number: int
    allow: bool
    conditions: tuple[Condition, ...] = ()
    note: str | None = None

    def match(self, subject: Subject) -> tuple[str, ...] | None:
        """The phrases of the matching conditions when all match, else ``None``."""
        matched: list[str] = []
        for condition in self.conditions:
            phrase = condition.match(subject)
            if phrase is None:
                return None
            matched.append(phrase)
        return tuple(matched)

    def label(self) -> str:
        note = f" ({_quote(self.note)})" if self.note else ""
        return f"rule {self.number}{note}"

    def describe(self) -> str:
        action = ALLOW if self.allow else DENY
        if not self.conditions:
            return f"{self.label()}: {action} everything"
        when = " and ".join(c.describe() for c in self.conditions)
        return f"{self.label()}: {action} when {when}"


# --- the policy --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Policy:
    """An allow/deny policy. Build one with :meth:`parse`, :meth:`load` or :meth:`allow_all`."""

    rules: tuple[Rule, ...] = ()
    default_allows: bool = True
    # Globs on the full name that local users may publish to; empty means any name.
    publish_allow: tuple[str, ...] = ()
    source: str = "<policy>"

    @classmethod
    def allow_all(cls) -> Policy:
        """The policy in force when none is configured: everything allowed, any name
        publishable."""
        return cls(source="<allow all>")

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Policy:
        """Read and parse a policy file; errors name the file as ``path`` spells it."""
        source = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise PolicyError([f"{source}: cannot read the policy file: {reason}"]) from exc
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(
                [f"{source}: the policy file is not UTF-8 text (byte {exc.start})"]
            ) from exc
        return cls.parse(text, source)

    @classmethod
    def parse(cls, text: str, source: str = "<policy>") -> Policy:
        """Parse policy TOML. Raises :class:`PolicyError` listing every problem found."""
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError([f"{source}: {_toml_error(exc)}"]) from exc
        return _Parser(source).policy(document)

    def decide(self, subject: Subject) -> Decision:
        """Whether ``subject`` is allowed: the first rule whose conditions all match
        decides; when none does, the default."""
        for rule in self.rules:
            matched = rule.match(subject)
            if matched is None:
                continue
            verdict = "allowed" if rule.allow else "denied"
            because = " and ".join(matched) if matched else "the rule has no conditions"
            return Decision(
                rule.allow, rule.number, f"{verdict} by {rule.label()}: {because}", matched
            )
        verdict = "allowed" if self.default_allows else "denied"
        return Decision(self.default_allows, None, f"{verdict} by default (no rule matched)")

    def may_publish(self, name: str) -> Decision:
        """Whether local users may publish to ``name``, by the ``[publish]`` section alone."""
        if not self.publish_allow:
            return Decision(True, None, "allowed: the policy lets local users publish any name")
        for pattern in self.publish_allow:
            if fnmatch.fnmatchcase(name, pattern):
                phrase = f"name matches {_quote(pattern)}"
                return Decision(True, None, f"allowed by [publish]: {phrase}", (phrase,))
        return Decision(
            False,
            None,
            f"denied by [publish]: {_quote(name)} matches none of "
            f"{', '.join(_quote(p) for p in self.publish_allow)}",
        )

    def describe(self) -> list[str]:
        """One line per rule, in order, then the default and the ``[publish]`` section."""
        lines = [rule.describe() for rule in self.rules]
        lines.append(f"default: {ALLOW if self.default_allows else DENY} when no rule matches")
        if self.publish_allow:
            names = ", ".join(_quote(p) for p in self.publish_allow)
            lines.append(f"publish: local users may publish names matching {names}")
        else:
            lines.append("publish: local users may publish any name")
        return lines


# --- parsing -----------------------------------------------------------------------------------


class _Parser:
    """Checks a decoded TOML document, collecting every problem before raising."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.messages.append(f"{self.source}: {where}{message}")

    def policy(self, document: Mapping[str, Any]) -> Policy:
        self.unknown_keys(document, TOP_LEVEL_KEYS, "", "top-level key")
        default_allows = True
        if "default" in document:
            default = document["default"]
            if default in ACTIONS:
                default_allows = default == ALLOW
            else:
                self.fail(
                    "",
                    f'default must be "allow" or "deny", not {_show(default)}'
                    + _did_you_mean(default, ACTIONS),
                )
        rules = self.rules(document.get("rule", []))
        publish_allow = self.publish(document.get("publish", {}))
        if self.messages:
            raise PolicyError(self.messages)
        return Policy(rules, default_allows, publish_allow, self.source)

    def rules(self, value: Any) -> tuple[Rule, ...]:
        if isinstance(value, Mapping):
            self.fail("", 'rule must be an array of tables: write "[[rule]]", not "[rule]"')
            return ()
        if not isinstance(value, list):
            self.fail("", f'rule must be an array of tables ("[[rule]]"), not {_show(value)}')
            return ()
        rules: list[Rule] = []
        for number, table in enumerate(value, start=1):
            if not isinstance(table, Mapping):
                self.fail(f"rule {number}: ", f"must be a table, not {_show(table)}")
                continue
            rule = self.rule(number, table)
            if rule is not None:
                rules.append(rule)
        return tuple(rules)

    def rule(self, number: int, table: Mapping[str, Any]) -> Rule | None:
        where = f"rule {number}: "
        before = len(self.messages)
        self.unknown_keys(table, RULE_KEYS, where, "key")
        action = table.get("action")
        if "action" not in table:
            self.fail(where, 'action is missing: add action = "allow" or action = "deny"')
        elif action not in ACTIONS:
            self.fail(
                where,
                f'action must be "allow" or "deny", not {_show(action)}'
                + _did_you_mean(action, ACTIONS),
            )
        note = table.get("note")
        if note is not None and not isinstance(note, str):
            self.fail(where, f"note must be a string, not {_show(note)}")
        conditions: list[Condition] = []
        # Conditions keep the file's order: they are checked, explained and described so.
        for key in table:
            if key in CONDITION_KEYS:
                values = self.values(where, key, table[key])
                if values is not None:
                    conditions.append(Condition(key, values))
        if len(self.messages) > before:
            return None
        return Rule(number, action == ALLOW, tuple(conditions), note or None)

    def values(self, where: str, key: str, value: Any) -> tuple[str, ...] | None:
        if isinstance(value, str):
            values: tuple[str, ...] = (value,)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            values = tuple(value)
        else:
            self.fail(where, f"{key} must be a string or a list of strings, not {_show(value)}")
            return None
        if not values:
            self.fail(
                where,
                f"{key} is an empty list, which matches nothing: give a value or remove the key",
            )
            return None
        if key == "status":
            for status in values:
                if status not in STATUS_VALUES:
                    self.fail(
                        where,
                        f"status must be one of {', '.join(STATUS_VALUES)}, not {_show(status)}"
                        + _did_you_mean(status, STATUS_VALUES),
                    )
            if any(status not in STATUS_VALUES for status in values):
                return None
        return values

    def publish(self, value: Any) -> tuple[str, ...]:
        where = "[publish]: "
        if not isinstance(value, Mapping):
            self.fail("", f'publish must be a table ("[publish]"), not {_show(value)}')
            return ()
        self.unknown_keys(value, PUBLISH_KEYS, where, "key")
        allow = value.get("allow", [])
        if isinstance(allow, str):
            return (allow,)
        if isinstance(allow, list) and all(isinstance(v, str) for v in allow):
            return tuple(allow)
        self.fail(where, f"allow must be a string or a list of strings, not {_show(allow)}")
        return ()

    def unknown_keys(
        self, table: Mapping[str, Any], known: Sequence[str], where: str, what: str
    ) -> None:
        for key in table:
            if key not in known:
                hint = _did_you_mean(key, known) or f"; expected one of {', '.join(known)}"
                self.fail(where, f"unknown {what} {_show(key)}{hint}")


def _did_you_mean(word: object, choices: Sequence[str]) -> str:
    if not isinstance(word, str):
        return ""
    # Spelling variants first: "registryType", "remote-host", "Name".
    folded = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", word).replace("-", "_").lower()
    if folded in choices:
        return f" (did you mean {_quote(folded)}?)"
    close = difflib.get_close_matches(folded, choices, n=1, cutoff=0.6)
    return f" (did you mean {_quote(close[0])}?)" if close else ""


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    position = _TOML_POSITION_RE.match(message)
    if position is None:
        return f"invalid TOML: {message}"
    return (
        f"invalid TOML at line {position['line']}, column {position['column']}: "
        f"{position['message']}"
    )


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _show(value: Any) -> str:
    """A value as an operator would recognise it from the TOML: strings in double quotes."""
    return json.dumps(value, ensure_ascii=False, default=str)
