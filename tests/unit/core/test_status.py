"""Version statuses and the official rules for changing them (one version's status).
Reading a status change from a request body: tests/unit/api/test_commands.py."""

from __future__ import annotations

import pytest

from registrum.core.errors import ConflictError, NoChangeError
from registrum.core.status import (
    STATUS_MESSAGE_MAX,
    STATUS_VALUES,
    Status,
    StatusChange,
    changes,
    require_change_one,
)


def test_status_values() -> None:
    assert STATUS_VALUES == ("active", "deprecated", "deleted")
    assert STATUS_MESSAGE_MAX == 500


def test_changes_detects_status_and_message_differences() -> None:
    deprecate = StatusChange(Status.DEPRECATED, "old")
    assert not changes(Status.DEPRECATED, "old", deprecate)
    assert changes(Status.ACTIVE, None, deprecate)
    assert changes(Status.DEPRECATED, "older", deprecate)
    # A change without a message clears an existing one: that is a change.
    assert changes(Status.DEPRECATED, "old", StatusChange(Status.DEPRECATED, None))
    assert not changes(Status.DELETED, None, StatusChange(Status.DELETED, None))


def test_require_change_one_noop_raises() -> None:
    with pytest.raises(NoChangeError) as info:
        require_change_one(Status.DEPRECATED, "old", StatusChange(Status.DEPRECATED, "old"))
    assert isinstance(info.value, ConflictError)
    assert "No changes to apply" in info.value.detail


@pytest.mark.parametrize(
    ("current", "message", "change"),
    [
        (Status.ACTIVE, None, StatusChange(Status.DEPRECATED, None)),
        (Status.DELETED, None, StatusChange(Status.ACTIVE, None)),  # restore
        (Status.DEPRECATED, "a", StatusChange(Status.DEPRECATED, "b")),  # message-only edit
        (Status.DEPRECATED, "a", StatusChange(Status.DELETED, "a")),
    ],
)
def test_require_change_one_accepts_real_changes(
    current: Status, message: str | None, change: StatusChange
) -> None:
    require_change_one(current, message, change)
