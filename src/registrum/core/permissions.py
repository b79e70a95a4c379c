"""Registry permissions: an action on a resource pattern, as in the official
registry's tokens.

A pattern is ``*`` (everything), a prefix ending in ``*`` (``io.github.alice/*`` or
``com.example.*``), or an exact server name.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Action(enum.StrEnum):
    PUBLISH = "publish"
    EDIT = "edit"


@dataclass(frozen=True, slots=True)
class Permission:
    action: Action
    resource: str


def matches(pattern: str, resource: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return resource.startswith(pattern[:-1])
    return pattern == resource


def has_permission(permissions: Iterable[Permission], action: Action, resource: str) -> bool:
    return any(p.action is action and matches(p.resource, resource) for p in permissions)


def has_any(permissions: Iterable[Permission], actions: Iterable[Action], resource: str) -> bool:
    wanted = set(actions)
    return any(p.action in wanted and matches(p.resource, resource) for p in permissions)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as a verified registry token says."""

    method: str
    subject: str
    permissions: tuple[Permission, ...]

    @property
    def actor(self) -> str:
        return f"{self.method}:{self.subject}"


SYSTEM = Principal(
    "system", "registrum", (Permission(Action.PUBLISH, "*"), Permission(Action.EDIT, "*"))
)
ANONYMOUS_NAMESPACE = "io.modelcontextprotocol.anonymous"
