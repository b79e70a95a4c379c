"""Namespace rules behind the login methods."""

from __future__ import annotations

import pytest

from registrum.core.identity import (
    blocked_namespaces_hit,
    domain_permissions,
    domain_problems,
    github_permissions,
    parse_key_record,
    reverse_domain,
)
from registrum.core.permissions import Action, Permission, Principal


def test_github_grants_the_user_and_owned_orgs_and_skips_bad_names():
    grants = github_permissions("alice", ["acme", "bad/org", ""])
    assert [g.resource for g in grants] == ["io.github.alice/*", "io.github.acme/*"]
    assert all(g.action is Action.PUBLISH for g in grants)


@pytest.mark.parametrize("domain", ["example.com", "a.b.example.co.uk", "xn--bcher-kva.example"])
def test_valid_domains(domain):
    assert domain_problems(domain) == []


@pytest.mark.parametrize(
    "domain", ["", "localhost", "127.0.0.1", "[::1]", "-bad.com", "bad-.com", "a..com", "a" * 254]
)
def test_invalid_domains_are_named(domain):
    problems = domain_problems(domain)
    assert problems
    assert problems[0].path == "domain"


def test_dns_covers_subdomains_and_http_does_not():
    assert reverse_domain("Example.COM") == "com.example"
    assert [p.resource for p in domain_permissions("example.com", subdomains=True)] == [
        "com.example/*",
        "com.example.*",
    ]
    assert [p.resource for p in domain_permissions("example.com", subdomains=False)] == [
        "com.example/*"
    ]


def test_key_records_parse_with_optional_spaces():
    record = parse_key_record("v=MCPv1;k=ed25519;p=AAAA")
    assert record is not None
    assert (record.algorithm, record.public_key) == ("ed25519", "AAAA")
    assert parse_key_record("v=MCPv1; k=ecdsap384; p=Zm9v") is not None
    assert parse_key_record("v=spf1 include:example.com") is None


def test_blocked_namespaces_hit_unless_the_caller_holds_everything():
    alice = Principal("t", "a", (Permission(Action.PUBLISH, "io.github.alice/*"),))
    assert blocked_namespaces_hit(alice, ["io.github.alice"]) == ["io.github.alice"]
    assert blocked_namespaces_hit(alice, ["io.github.bob"]) == []
    dns = Principal("t", "d", domain_permissions("evil.example", subdomains=True))
    assert blocked_namespaces_hit(dns, ["example.evil"]) == ["example.evil", "example.evil"]
    admin = Principal("t", "x", (Permission(Action.EDIT, "*"),))
    assert blocked_namespaces_hit(admin, ["io.github.alice"]) == []
