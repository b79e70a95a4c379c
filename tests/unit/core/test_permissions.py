"""Registry permissions: an action on a resource pattern, as in the official registry's
tokens."""

from __future__ import annotations

import pytest

from registrum.core.permissions import (
    ANONYMOUS_NAMESPACE,
    SYSTEM,
    Action,
    Permission,
    Principal,
    has_any,
    has_permission,
    matches,
)


@pytest.mark.parametrize(
    "resource", ["io.github.alice/weather", "com.example/x", "", "anything at all"]
)
def test_star_matches_everything(resource: str) -> None:
    assert matches("*", resource)


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("io.github.alice/*", "io.github.alice/weather", True),
        ("io.github.alice/*", "io.github.alice/", True),
        ("io.github.alice/*", "io.github.alicex/weather", False),  # not the same namespace
        ("io.github.alice/*", "io.github.bob/weather", False),
        ("io.github.alice/*", "io.github.alice", False),
        ("com.example.*", "com.example.api/x", True),  # subdomains
        ("com.example.*", "com.example/x", False),  # the domain itself is not a subdomain
        ("com.example/*", "com.example/x", True),
        ("com.example/*", "com.example.api/x", False),
        ("io.github.alice/weather", "io.github.alice/weather", True),  # exact
        ("io.github.alice/weather", "io.github.alice/weather2", False),
        ("io.github.alice/weather", "io.github.alice/Weather", False),  # case-sensitive
        ("io.github.alice/weather", "io.github.alice", False),
    ],
)
def test_matches(pattern: str, resource: str, expected: bool) -> None:
    assert matches(pattern, resource) is expected


def test_star_only_special_at_the_end() -> None:
    # A '*' elsewhere is a literal character of an exact pattern.
    assert not matches("io.*.alice/weather", "io.github.alice/weather")
    assert matches("io.*.alice/weather", "io.*.alice/weather")


def test_has_permission_requires_matching_action() -> None:
    perms = [Permission(Action.PUBLISH, "io.github.alice/*")]
    assert has_permission(perms, Action.PUBLISH, "io.github.alice/weather")
    assert not has_permission(perms, Action.EDIT, "io.github.alice/weather")
    assert not has_permission(perms, Action.PUBLISH, "io.github.bob/weather")


def test_has_permission_any_of_several_grants() -> None:
    perms = [
        Permission(Action.EDIT, "*"),
        Permission(Action.PUBLISH, "com.example/tools"),
    ]
    assert has_permission(perms, Action.PUBLISH, "com.example/tools")
    assert not has_permission(perms, Action.PUBLISH, "com.example/other")
    assert has_permission(perms, Action.EDIT, "com.example/other")


def test_no_permissions_grant_nothing() -> None:
    assert not has_permission([], Action.PUBLISH, "com.example/tools")
    assert not has_any([], [Action.PUBLISH, Action.EDIT], "com.example/tools")


def test_has_any() -> None:
    perms = [Permission(Action.EDIT, "io.github.alice/*")]
    assert has_any(perms, [Action.PUBLISH, Action.EDIT], "io.github.alice/weather")
    assert has_any(perms, (Action.EDIT,), "io.github.alice/weather")
    assert not has_any(perms, [Action.PUBLISH], "io.github.alice/weather")
    assert not has_any(perms, [Action.PUBLISH, Action.EDIT], "io.github.bob/weather")
    assert not has_any(perms, [], "io.github.alice/weather")


def test_has_any_accepts_a_generator_of_permissions() -> None:
    perms = (Permission(a, "*") for a in [Action.PUBLISH])
    assert has_any(perms, [Action.PUBLISH], "x/y")


def test_action_wire_values() -> None:
    assert Action("publish") is Action.PUBLISH
    assert Action("edit") is Action.EDIT
    with pytest.raises(ValueError, match="admin"):
        Action("admin")


def test_principal_actor() -> None:
    p = Principal("github-at", "alice", (Permission(Action.PUBLISH, "io.github.alice/*"),))
    assert p.actor == "github-at:alice"


def test_system_principal_may_do_anything() -> None:
    for action in Action:
        assert has_permission(SYSTEM.permissions, action, "com.example/anything")


def test_anonymous_namespace_pattern() -> None:
    perms = [Permission(Action.PUBLISH, f"{ANONYMOUS_NAMESPACE}/*")]
    assert has_permission(perms, Action.PUBLISH, f"{ANONYMOUS_NAMESPACE}/demo")
    assert not has_permission(perms, Action.PUBLISH, "io.github.alice/demo")
