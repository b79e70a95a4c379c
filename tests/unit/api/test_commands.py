"""Request bodies read into typed commands (api/commands.py): every problem reported with
the member's path, as the functional tests see it in the problem JSON."""

from __future__ import annotations

from typing import Any

import pytest

from registrum.api.commands import move_command, parse_status_change, status_command
from registrum.core.errors import InvalidInputError
from registrum.core.names import MoveCommand
from registrum.core.status import STATUS_MESSAGE_MAX, Status, StatusChange


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


@pytest.mark.parametrize("body", [None, [], "deprecated", 3])
def test_a_status_body_must_be_an_object(body: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        status_command(body)
    assert [p.path for p in info.value.problems] == [""]
    assert info.value.problems[0].message == (
        "expected a JSON object with 'status' and optional 'statusMessage'"
    )


def test_a_status_body_without_status_names_the_member() -> None:
    with pytest.raises(InvalidInputError) as info:
        status_command({"statusMessage": "x"})
    assert info.value.detail == "Invalid status update request"
    assert [p.path for p in info.value.problems] == ["status"]


def test_a_status_body_becomes_a_status_change() -> None:
    body = {"status": "deprecated", "statusMessage": "use 2"}
    assert status_command(body) == StatusChange(Status.DEPRECATED, "use 2")
    assert status_command({"status": "deleted"}) == StatusChange(Status.DELETED, None)


def test_a_move_body_becomes_a_move_command() -> None:
    assert move_command({"newName": "com.example/weather"}) == MoveCommand("com.example/weather")


@pytest.mark.parametrize("body", [None, {}, {"newName": 3}, {"new_name": "com.example/x"}])
def test_a_move_body_without_a_new_name_is_refused(body: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        move_command(body)
    assert info.value.detail == "newName is required: the name to move the server to"
    assert [p.path for p in info.value.problems] == ["newName"]


def test_a_new_name_is_checked_by_the_name_rules() -> None:
    with pytest.raises(InvalidInputError) as info:
        move_command({"newName": "no-slash"})
    assert info.value.detail.startswith("Invalid newName: name has no '/'")
    assert [p.path for p in info.value.problems] == ["newName"]
