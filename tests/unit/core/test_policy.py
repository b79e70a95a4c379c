"""The allow/deny policy of a mirror or subregistry (issue #7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from registrum.core.errors import InvalidInputError
from registrum.core.policy import (
    LOCAL,
    Decision,
    Policy,
    PolicyError,
    Subject,
    subject_of,
)
from tests.conftest import CORPUS


def policy(text: str) -> Policy:
    return Policy.parse(text, "policy.toml")


def deny_rule(key: str, value: str) -> Policy:
    """Allow by default, with one rule denying ``key = [value]``."""
    return policy(f'default = "allow"\n[[rule]]\naction = "deny"\n{key} = [{json.dumps(value)}]\n')


def allow_rule(key: str, value: str) -> Policy:
    """Deny by default, with one rule allowing ``key = [value]``."""
    return policy(f'default = "deny"\n[[rule]]\naction = "allow"\n{key} = [{json.dumps(value)}]\n')


def errors(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        policy(text)
    return list(info.value.messages)


# --- every condition kind -----------------------------------------------------------------------

# (key, value in the policy, a subject it matches, a subject it does not match)
CONDITIONS: list[tuple[str, str, Subject, Subject]] = [
    (
        "name",
        "io.github.*/test-*",
        Subject("io.github.alice/test-weather"),
        Subject("io.github.alice/weather"),
    ),
    ("name", "com.example/tools", Subject("com.example/tools"), Subject("com.example/Tools")),
    ("namespace", "com.spam", Subject("com.spam/anything"), Subject("com.spammer/anything")),
    ("namespace", "io.github.evil*", Subject("io.github.evilcorp/x"), Subject("io.github.good/x")),
    (
        "registry_type",
        "oci",
        Subject("a.b/c", registry_types=("npm", "oci")),
        Subject("a.b/c", registry_types=("npm", "pypi")),
    ),
    (
        "registry_type",
        "pypi",
        Subject("a.b/c", registry_types=("PyPI",)),
        Subject("a.b/c", registry_types=()),
    ),
    (
        "transport",
        "sse",
        Subject("a.b/c", transports=("stdio", "sse")),
        Subject("a.b/c", transports=("stdio", "streamable-http")),
    ),
    (
        "remote_host",
        "*.internal.example.com",
        Subject("a.b/c", remote_hosts=("mcp.example.org", "api.internal.example.com")),
        Subject("a.b/c", remote_hosts=("internal.example.com",)),
    ),
    (
        "remote_host",
        "*.Internal.Example.com",
        Subject("a.b/c", remote_hosts=("API.internal.example.com",)),
        Subject("a.b/c", remote_hosts=("api.internal.example.org",)),
    ),
    (
        "status",
        "deprecated",
        Subject("a.b/c", status="deprecated"),
        Subject("a.b/c", status="active"),
    ),
    ("upstream", "public", Subject("a.b/c", upstream="public"), Subject("a.b/c", upstream="other")),
    ("upstream", "local", Subject("a.b/c", upstream=LOCAL), Subject("a.b/c", upstream="public")),
]


@pytest.mark.parametrize(("key", "value", "matching", "other"), CONDITIONS)
def test_condition_denies(key: str, value: str, matching: Subject, other: Subject) -> None:
    rules = deny_rule(key, value)
    decision = rules.decide(matching)
    assert not decision.allowed
    assert decision.rule == 1
    verb = "matches" if key in {"name", "namespace", "remote_host"} else "is"
    assert decision.matched == (f"{key} {verb} {json.dumps(value)}",)
    assert decision.reason == f"denied by rule 1: {key} {verb} {json.dumps(value)}"
    assert rules.decide(other) == Decision(True, None, "allowed by default (no rule matched)")


@pytest.mark.parametrize(("key", "value", "matching", "other"), CONDITIONS)
def test_condition_allows(key: str, value: str, matching: Subject, other: Subject) -> None:
    rules = allow_rule(key, value)
    decision = rules.decide(matching)
    assert decision.allowed
    assert decision.rule == 1
    assert decision.reason.startswith("allowed by rule 1: ")
    assert rules.decide(other) == Decision(False, None, "denied by default (no rule matched)")


def test_name_globs_are_case_sensitive_and_star_crosses_the_slash() -> None:
    rules = deny_rule("name", "com.example*")
    assert not rules.decide(Subject("com.example/tools")).allowed
    assert rules.decide(Subject("COM.example/tools")).allowed


def test_namespace_is_the_part_before_the_first_slash() -> None:
    rules = deny_rule("namespace", "com.example")
    assert not rules.decide(Subject("com.example/tools")).allowed
    # A server part that looks like a namespace does not count.
    assert rules.decide(Subject("org.other/com.example")).allowed
    assert Subject("no-slash").namespace == "no-slash"


def test_exact_conditions_are_not_globs() -> None:
    assert (
        deny_rule("registry_type", "o*").decide(Subject("a.b/c", registry_types=("oci",))).allowed
    )
    assert deny_rule("upstream", "pub*").decide(Subject("a.b/c", upstream="public")).allowed


# --- combination and order ----------------------------------------------------------------------


def test_first_matching_rule_decides() -> None:
    rules = policy(
        """
        default = "deny"
        [[rule]]
        action = "allow"
        note = "our own servers"
        namespace = "com.example"
        [[rule]]
        action = "deny"
        note = "no deprecated servers"
        status = "deprecated"
        [[rule]]
        action = "allow"
        """
    )
    ours = rules.decide(Subject("com.example/old", status="deprecated"))
    assert (ours.allowed, ours.rule) == (True, 1)
    theirs = rules.decide(Subject("org.other/old", status="deprecated"))
    assert (theirs.allowed, theirs.rule) == (False, 2)
    assert theirs.reason == 'denied by rule 2 ("no deprecated servers"): status is "deprecated"'
    rest = rules.decide(Subject("org.other/new"))
    assert (rest.allowed, rest.rule) == (True, 3)
    assert rest.reason == "allowed by rule 3: the rule has no conditions"
    assert rest.matched == ()


def test_order_matters_when_rules_are_swapped() -> None:
    first = policy('[[rule]]\naction = "deny"\nname = "a.b/*"\n[[rule]]\naction = "allow"\n')
    swapped = policy('[[rule]]\naction = "allow"\n[[rule]]\naction = "deny"\nname = "a.b/*"\n')
    subject = Subject("a.b/c")
    assert not first.decide(subject).allowed
    assert swapped.decide(subject).allowed
    assert swapped.decide(subject).rule == 1


def test_conditions_keep_the_file_order() -> None:
    rules = policy('[[rule]]\naction = "deny"\nstatus = "deleted"\nname = "a.b/*"\n')
    assert rules.decide(Subject("a.b/c", status="deleted")).matched == (
        'status is "deleted"',
        'name matches "a.b/*"',
    )
    assert rules.describe()[0] == 'rule 1: deny when status is "deleted" and name matches "a.b/*"'


def test_conditions_are_anded() -> None:
    rules = policy(
        """
        [[rule]]
        action = "deny"
        namespace = "io.github.*"
        transport = "sse"
        status = ["deprecated", "deleted"]
        """
    )
    all_three = Subject("io.github.a/b", status="deleted", transports=("sse",))
    decision = rules.decide(all_three)
    assert not decision.allowed
    assert decision.matched == (
        'namespace matches "io.github.*"',
        'transport is "sse"',
        'status is "deleted"',
    )
    assert decision.reason == (
        'denied by rule 1: namespace matches "io.github.*" and transport is "sse" '
        'and status is "deleted"'
    )
    # Any one condition failing means the rule does not match.
    assert rules.decide(Subject("com.x/b", status="deleted", transports=("sse",))).allowed
    assert rules.decide(Subject("io.github.a/b", status="active", transports=("sse",))).allowed
    assert rules.decide(Subject("io.github.a/b", status="deleted", transports=("stdio",))).allowed


def test_values_are_ored_and_the_first_matching_value_is_named() -> None:
    rules = policy('[[rule]]\naction = "deny"\nregistry_type = ["npm", "oci", "pypi"]\n')
    assert not rules.decide(Subject("a.b/c", registry_types=("pypi",))).allowed
    assert not rules.decide(Subject("a.b/c", registry_types=("nuget", "oci"))).allowed
    assert rules.decide(Subject("a.b/c", registry_types=("nuget", "cargo"))).allowed
    both = rules.decide(Subject("a.b/c", registry_types=("oci", "npm")))
    assert both.matched == ('registry_type is "npm"',)


def test_single_string_equals_one_element_list() -> None:
    single = policy('[[rule]]\naction = "deny"\nname = "a.b/*"\nstatus = "deleted"\n')
    listed = policy('[[rule]]\naction = "deny"\nname = ["a.b/*"]\nstatus = ["deleted"]\n')
    assert single.rules == listed.rules
    assert not single.decide(Subject("a.b/c", status="deleted")).allowed
    assert single.decide(Subject("a.b/c", status="active")).allowed


def test_rule_without_conditions_matches_everything() -> None:
    rules = policy('default = "allow"\n[[rule]]\naction = "deny"\nnote = "closed"\n')
    for subject in (Subject("a.b/c"), Subject("x.y/z", status="deleted", upstream="public")):
        decision = rules.decide(subject)
        assert decision == Decision(
            False, 1, 'denied by rule 1 ("closed"): the rule has no conditions'
        )


# --- the default --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "allowed"), [('default = "allow"', True), ('default = "deny"', False), ("", True)]
)
def test_default(text: str, allowed: bool) -> None:
    rules = policy(text + '\n[[rule]]\naction = "deny"\nname = "never.this/one"\n')
    decision = rules.decide(Subject("a.b/c"))
    verdict = "allowed" if allowed else "denied"
    assert decision == Decision(allowed, None, f"{verdict} by default (no rule matched)")


def test_allow_all_and_empty_policy() -> None:
    for rules in (Policy.allow_all(), policy("")):
        assert rules.rules == ()
        decision = rules.decide(Subject("a.b/c", status="deleted", upstream="public"))
        assert decision.allowed
        assert decision.rule is None
        assert rules.may_publish("anything.at/all").allowed


# --- local publishing ---------------------------------------------------------------------------


def test_may_publish_with_globs() -> None:
    rules = policy('[publish]\nallow = ["com.example/*", "io.github.example-org/*"]\n')
    ok = rules.may_publish("io.github.example-org/tools")
    assert ok == Decision(
        True,
        None,
        'allowed by [publish]: name matches "io.github.example-org/*"',
        ('name matches "io.github.example-org/*"',),
    )
    refused = rules.may_publish("io.github.someone-else/tools")
    assert not refused.allowed
    assert refused.rule is None
    assert refused.reason == (
        'denied by [publish]: "io.github.someone-else/tools" matches none of '
        '"com.example/*", "io.github.example-org/*"'
    )
    assert not rules.may_publish("COM.example/tools").allowed


@pytest.mark.parametrize("section", ["", "[publish]\n", "[publish]\nallow = []\n"])
def test_may_publish_missing_or_empty_allows_any(section: str) -> None:
    rules = policy(section)
    decision = rules.may_publish("org.anyone/x")
    assert decision.allowed
    assert "any name" in decision.reason


def test_may_publish_single_string() -> None:
    rules = policy('[publish]\nallow = "com.example/*"\n')
    assert rules.may_publish("com.example/a").allowed
    assert not rules.may_publish("com.other/a").allowed


def test_may_publish_ignores_rules() -> None:
    rules = policy('default = "deny"\n[publish]\nallow = "com.example/*"\n')
    assert rules.may_publish("com.example/a").allowed
    assert not rules.decide(Subject("com.example/a", upstream=LOCAL)).allowed


# --- describe -----------------------------------------------------------------------------------


def test_describe() -> None:
    rules = policy(
        """
        default = "deny"
        [[rule]]
        action = "deny"
        note = "no test servers"
        name = ["io.github.*/test-*"]
        [[rule]]
        action = "allow"
        registry_type = ["npm", "pypi"]
        upstream = "public"
        [[rule]]
        action = "deny"
        [publish]
        allow = "com.example/*"
        """
    )
    assert rules.describe() == [
        'rule 1 ("no test servers"): deny when name matches "io.github.*/test-*"',
        'rule 2: allow when registry_type is any of "npm", "pypi" and upstream is "public"',
        "rule 3: deny everything",
        "default: deny when no rule matches",
        'publish: local users may publish names matching "com.example/*"',
    ]
    assert Policy.allow_all().describe() == [
        "default: allow when no rule matches",
        "publish: local users may publish any name",
    ]


# --- subject_of ---------------------------------------------------------------------------------


def test_subject_of_packages_and_remotes() -> None:
    document: dict[str, Any] = {
        "name": "io.github.alice/weather",
        "version": "1.0.0",
        "packages": [
            {"registryType": "npm", "identifier": "w", "transport": {"type": "stdio"}},
            {"registryType": "OCI", "identifier": "w", "transport": {"type": "streamable-http"}},
            {"registryType": "npm", "identifier": "w2", "transport": {"type": "stdio"}},
        ],
        "remotes": [
            {"type": "sse", "url": "https://MCP.Example.com:8443/sse"},
            {"type": "streamable-http", "url": "https://api.internal.example.com./mcp"},
            {"type": "sse", "url": "http://[::1]:9000/sse"},
        ],
    }
    subject = subject_of(document, "deprecated", "public")
    assert subject == Subject(
        name="io.github.alice/weather",
        status="deprecated",
        registry_types=("npm", "oci"),
        transports=("stdio", "streamable-http", "sse"),
        remote_hosts=("mcp.example.com", "api.internal.example.com", "::1"),
        upstream="public",
    )
    assert subject.namespace == "io.github.alice"


def test_subject_of_tolerates_missing_and_odd_members() -> None:
    document: dict[str, Any] = {
        "name": 42,
        "packages": [
            "not an object",
            {"registryType": None, "transport": "stdio"},
            {"transport": {"type": 3}},
            {"transport": None},
        ],
        "remotes": [
            None,
            {"url": "https://ok.example.com/mcp"},
            {"type": "sse", "url": 5},
            {"type": "sse", "url": "http://[::1/broken"},
            {"type": "sse", "url": "not a url"},
        ],
    }
    subject = subject_of(document, "active", LOCAL)
    assert subject == Subject(
        name="",
        status="active",
        registry_types=(),
        transports=("stdio", "sse"),
        remote_hosts=("ok.example.com",),
        upstream="local",
    )
    assert subject_of({}, "active", LOCAL) == Subject("")
    assert subject_of({"packages": {"a": 1}, "remotes": "x"}, "active", LOCAL) == Subject("")


def corpus_document(file: str) -> dict[str, Any]:
    if not (CORPUS / "MANIFEST.json").is_file():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus/real-server-json)")
    document: dict[str, Any] = json.loads((CORPUS / file).read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (
            "008.json",
            Subject(
                "io.github.0xbrainkid/agentfolio",
                registry_types=("npm",),
                transports=("stdio", "sse"),
                remote_hosts=("agentfolio.bot",),
                upstream="public",
            ),
        ),
        (
            "036.json",
            Subject(
                "io.github.containers/kubernetes-mcp-server",
                registry_types=("npm", "pypi", "oci"),
                transports=("stdio", "streamable-http"),
                upstream="public",
            ),
        ),
        (
            "098.json",
            Subject(
                "app.thoughtspot/mcp-server",
                transports=("streamable-http", "sse"),
                remote_hosts=("agent.thoughtspot.app",),
                upstream="public",
            ),
        ),
        (
            # A templated remote URL: its "host" is the template.
            "032.json",
            Subject(
                "io.github.checkmarx/security-mcp",
                transports=("streamable-http",),
                remote_hosts=("{api_host}",),
                upstream="public",
            ),
        ),
        (
            # registryType "PyPI" is lower-cased.
            "076.json",
            Subject(
                "com.microsoft/fabric-rti-mcp",
                registry_types=("pypi",),
                transports=("stdio",),
                upstream="public",
            ),
        ),
        (
            # A remote with "transportType" instead of "type": the host still counts.
            "085.json",
            Subject(
                "io.github.orphicone-platform/vigo-mcp",
                remote_hosts=("lsoatzzwpltpydwyfqqv.supabase.co",),
                upstream="public",
            ),
        ),
    ],
)
def test_subject_of_corpus(file: str, expected: Subject) -> None:
    assert subject_of(corpus_document(file), "active", "public") == expected


def test_corpus_document_decided_end_to_end() -> None:
    rules = policy(
        """
        [[rule]]
        action = "deny"
        note = "no SSE from thoughtspot"
        remote_host = "*.thoughtspot.app"
        transport = "sse"
        """
    )
    decision = rules.decide(subject_of(corpus_document("098.json"), "active", "public"))
    assert decision.reason == (
        'denied by rule 1 ("no SSE from thoughtspot"): remote_host matches "*.thoughtspot.app" '
        'and transport is "sse"'
    )
    assert rules.decide(subject_of(corpus_document("036.json"), "active", "public")).allowed


# --- errors -------------------------------------------------------------------------------------


def test_policy_error_is_invalid_input() -> None:
    assert issubclass(PolicyError, InvalidInputError)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[rule]]\naction = "allow"\n[[rule]]\naction = "deny"\n[[rule]]\naction = "deny"\n'
            'nmae = "x"\n',
            'policy.toml: rule 3: unknown key "nmae" (did you mean "name"?)',
        ),
        (
            '[[rule]]\naction = "deny"\nregistryType = "oci"\n',
            'policy.toml: rule 1: unknown key "registryType" (did you mean "registry_type"?)',
        ),
        (
            '[[rule]]\naction = "deny"\nremote-host = "x"\n',
            'policy.toml: rule 1: unknown key "remote-host" (did you mean "remote_host"?)',
        ),
        (
            '[[rule]]\naction = "deny"\ncolour = "x"\n',
            'policy.toml: rule 1: unknown key "colour"; expected one of action, note, name, '
            "namespace, registry_type, transport, remote_host, status, upstream",
        ),
        (
            '[[rule]]\naction = "block"\n',
            'policy.toml: rule 1: action must be "allow" or "deny", not "block"',
        ),
        (
            '[[rule]]\naction = "Deny"\n',
            'policy.toml: rule 1: action must be "allow" or "deny", not "Deny" '
            '(did you mean "deny"?)',
        ),
        (
            "[[rule]]\naction = true\n",
            'policy.toml: rule 1: action must be "allow" or "deny", not true',
        ),
        (
            '[[rule]]\nname = "a/b"\n',
            'policy.toml: rule 1: action is missing: add action = "allow" or action = "deny"',
        ),
        (
            'default = "allow"\n\n[[rule]]\naction = "deny"\nname = \n',
            "policy.toml: invalid TOML at line 5, column 8: Invalid value",
        ),
        ('name = "x', "policy.toml: invalid TOML: Unterminated string (at end of document)"),
        (
            'defualt = "deny"\n',
            'policy.toml: unknown top-level key "defualt" (did you mean "default"?)',
        ),
        (
            '[[rules]]\naction = "deny"\n',
            'policy.toml: unknown top-level key "rules" (did you mean "rule"?)',
        ),
        (
            'mirror = "x"\n',
            'policy.toml: unknown top-level key "mirror"; expected one of default, rule, publish',
        ),
        ('default = "block"\n', 'policy.toml: default must be "allow" or "deny", not "block"'),
        ("default = false\n", 'policy.toml: default must be "allow" or "deny", not false'),
        (
            '[[rule]]\naction = "deny"\nname = 42\n',
            "policy.toml: rule 1: name must be a string or a list of strings, not 42",
        ),
        (
            '[[rule]]\naction = "deny"\ntransport = ["sse", 1]\n',
            'policy.toml: rule 1: transport must be a string or a list of strings, not ["sse", 1]',
        ),
        (
            '[[rule]]\naction = "deny"\nnamespace = {a = "b"}\n',
            'policy.toml: rule 1: namespace must be a string or a list of strings, not {"a": "b"}',
        ),
        (
            '[[rule]]\naction = "deny"\nname = []\n',
            "policy.toml: rule 1: name is an empty list, which matches nothing: "
            "give a value or remove the key",
        ),
        (
            '[[rule]]\naction = "deny"\nstatus = ["active", "removed"]\n',
            'policy.toml: rule 1: status must be one of active, deprecated, deleted, not "removed"',
        ),
        (
            '[[rule]]\naction = "deny"\nstatus = "deprecate"\n',
            "policy.toml: rule 1: status must be one of active, deprecated, deleted, "
            'not "deprecate" (did you mean "deprecated"?)',
        ),
        (
            '[[rule]]\naction = "deny"\nnote = 3\n',
            "policy.toml: rule 1: note must be a string, not 3",
        ),
        (
            '[rule]\naction = "deny"\n',
            'policy.toml: rule must be an array of tables: write "[[rule]]", not "[rule]"',
        ),
        (
            'rule = ["deny"]\n',
            'policy.toml: rule 1: must be a table, not "deny"',
        ),
        (
            'rule = "deny"\n',
            'policy.toml: rule must be an array of tables ("[[rule]]"), not "deny"',
        ),
        (
            '[publish]\nalow = ["a/*"]\n',
            'policy.toml: [publish]: unknown key "alow" (did you mean "allow"?)',
        ),
        (
            "[publish]\nallow = [1]\n",
            "policy.toml: [publish]: allow must be a string or a list of strings, not [1]",
        ),
        ('publish = "a/*"\n', 'policy.toml: publish must be a table ("[publish]"), not "a/*"'),
    ],
)
def test_error_messages(text: str, message: str) -> None:
    assert errors(text) == [message]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(PolicyError) as info:
        policy(
            'default = "maybe"\n'
            '[[rule]]\naction = "deny"\nname = "ok/*"\n'
            '[[rule]]\naction = "block"\nnmae = "x"\n'
        )
    assert info.value.messages == (
        'policy.toml: default must be "allow" or "deny", not "maybe"',
        'policy.toml: rule 2: unknown key "nmae" (did you mean "name"?)',
        'policy.toml: rule 2: action must be "allow" or "deny", not "block"',
    )
    assert info.value.detail == "\n".join(info.value.messages)
    assert str(info.value) == info.value.detail


def test_default_source_name() -> None:
    with pytest.raises(PolicyError, match=r"^<policy>: rule 1: action must be"):
        Policy.parse('[[rule]]\naction = "x"\n')


# --- load ---------------------------------------------------------------------------------------


def test_load(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('default = "deny"\n[[rule]]\naction = "allow"\nnamespace = "com.example"\n')
    loaded = Policy.load(path)
    assert loaded.source == str(path)
    assert loaded.decide(Subject("com.example/x")).allowed
    assert not loaded.decide(Subject("org.other/x")).allowed
    assert loaded == Policy.parse(path.read_text(), str(path))


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[[rule]]\naction = "deny"\nnmae = "x"\n')
    with pytest.raises(PolicyError) as info:
        Policy.load(path)
    assert info.value.messages == (f'{path}: rule 1: unknown key "nmae" (did you mean "name"?)',)

    missing = tmp_path / "absent.toml"
    with pytest.raises(PolicyError, match=r"absent\.toml: cannot read the policy file: "):
        Policy.load(missing)

    binary = tmp_path / "binary.toml"
    binary.write_bytes(b'default = "\xff"\n')
    with pytest.raises(PolicyError, match=r"binary\.toml: the policy file is not UTF-8 text"):
        Policy.load(binary)
