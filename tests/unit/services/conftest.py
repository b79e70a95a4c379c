"""Services against the in-memory store (tests/fakes/memory_store.py): no database, no
HTTP; the functional tests run the same rules end to end on both databases."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from registrum.core.permissions import Action, Permission, Principal
from tests.fakes.memory_store import MemoryStore


class Clock:
    """A clock the test moves: each call returns the current time, then a microsecond later."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, 0)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def principal(*grants: str, subject: str = "alice") -> Principal:
    perms = []
    for grant in grants:
        action, _, resource = grant.partition(":")
        perms.append(Permission(Action(action), resource))
    return Principal("test", subject, tuple(perms))


ADMIN = principal("publish:*", "edit:*")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ids():
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"
