"""Version statuses and the official rules for changing them (one version's status)."""

from __future__ import annotations

import pytest

from registrum.core.errors import ConflictError, InvalidInputError, NoChangeError
from registrum.core.status import (
    STATUS_MESSAGE_MAX,
    STATUS_VALUES,
    Status,
    StatusChange,
    changes,
    parse_status_change,
    require_change_one,
)


def test_status_values() -> None:
    assert STATUS_VALUES == ("active", "deprecated", "deleted")
    assert STATUS_MESSAGE_MAX == 500


@pytest.mark.parametrize("status", ["active", "deprecated", "deleted"])
def test_parse_each_status_without_message(status: str) -> None:
    change = parse_status_change(status, None)
    assert change == StatusChange(Status(status), None)
    assert change.status.value == status


@pytest.mark.parametrize("status", ["deprecated", "deleted"])
def test_parse_with_message(status: str) -> None:
    change = parse_status_change(status, "use v2 instead")
    assert change.message == "use v2 instead"


def test_message_at_the_limit_is_accepted() -> None:
    text = "m" * STATUS_MESSAGE_MAX
    assert parse_status_change("deprecated", text).message == text


@pytest.mark.parametrize("status", ["Active", "removed", "", None, 1, True, ["active"]])
def test_bad_status(status: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_status_change(status, None)
    paths = [p.path for p in info.value.problems]
    assert paths == ["status"]
    assert "active, deprecated, deleted" in info.value.problems[0].message


def test_message_too_long() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_status_change("deprecated", "m" * (STATUS_MESSAGE_MAX + 1))
    (problem,) = info.value.problems
    assert problem.path == "statusMessage"
    assert "at most 500" in problem.message
    assert "501" in problem.message


@pytest.mark.parametrize("message", [5, True, ["a"], {"a": 1}])
def test_message_not_a_string(message: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_status_change("deprecated", message)
    (problem,) = info.value.problems
    assert problem.path == "statusMessage"
    assert "string" in problem.message


def test_bad_status_and_bad_message_reported_together() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_status_change("gone", "m" * 600)
    assert [p.path for p in info.value.problems] == ["status", "statusMessage"]


@pytest.mark.parametrize("message", ["back again", ""])
def test_message_with_active_is_rejected(message: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_status_change("active", message)
    assert info.value.detail == "status_message cannot be provided when setting status to active"
    assert [p.path for p in info.value.problems] == ["statusMessage"]


def test_changes_detects_status_and_message_differences() -> None:
    deprecate = StatusChange(Status.DEPRECATED, "old")
    assert not changes("deprecated", "old", deprecate)
    assert changes("active", None, deprecate)
    assert changes("deprecated", "older", deprecate)
    # A change without a message clears an existing one: that is a change.
    assert changes("deprecated", "old", StatusChange(Status.DEPRECATED, None))
    assert not changes("deleted", None, StatusChange(Status.DELETED, None))


def test_require_change_one_noop_raises() -> None:
    with pytest.raises(NoChangeError) as info:
        require_change_one("deprecated", "old", StatusChange(Status.DEPRECATED, "old"))
    assert isinstance(info.value, ConflictError)
    assert "No changes to apply" in info.value.detail


@pytest.mark.parametrize(
    ("current", "message", "change"),
    [
        ("active", None, StatusChange(Status.DEPRECATED, None)),
        ("deleted", None, StatusChange(Status.ACTIVE, None)),  # restore
        ("deprecated", "a", StatusChange(Status.DEPRECATED, "b")),  # message-only edit
        ("deprecated", "a", StatusChange(Status.DELETED, "a")),
    ],
)
def test_require_change_one_accepts_real_changes(
    current: str, message: str | None, change: StatusChange
) -> None:
    require_change_one(current, message, change)
