"""Request bodies of the write endpoints, read into the typed commands services take.

Services never see a request body (except publishing and the admin edit, whose body is the
server.json document itself): every shape and value problem of a body is reported here,
with the member's path, before any service runs.
"""

from __future__ import annotations

from typing import Any

from registrum.core import wire
from registrum.core.errors import InvalidInputError, Problem
from registrum.core.names import MoveCommand, name_problems
from registrum.core.status import STATUS_MESSAGE_MAX, STATUS_VALUES, Status, StatusChange

# What DELETE of a version means: the same as setting its status to deleted, no message.
DELETE: StatusChange = StatusChange(Status.DELETED, None)


def status_command(raw: Any) -> StatusChange:
    """The body of a status change: ``{"status": ..., "statusMessage": ...}``."""
    if not isinstance(raw, dict):
        raise InvalidInputError(
            'the body must be a JSON object such as {"status": "deprecated"}',
            [
                Problem(
                    "",
                    f"expected a JSON object with '{wire.STATUS}' and optional "
                    f"'{wire.STATUS_MESSAGE}'",
                )
            ],
        )
    if wire.STATUS not in raw:
        raise InvalidInputError(
            "Invalid status update request",
            [Problem(wire.STATUS, "'status' is required: one of active, deprecated, deleted")],
        )
    return parse_status_change(raw.get(wire.STATUS), raw.get(wire.STATUS_MESSAGE))


def parse_status_change(status: object, message: object) -> StatusChange:
    """Check the members of a status change; every problem is reported at once."""
    problems: list[Problem] = []
    parsed: Status | None = None
    if not isinstance(status, str) or status not in STATUS_VALUES:
        problems.append(
            Problem(wire.STATUS, f"status must be one of {', '.join(STATUS_VALUES)}", status)
        )
    else:
        parsed = Status(status)
    if message is not None and not isinstance(message, str):
        problems.append(Problem(wire.STATUS_MESSAGE, "statusMessage must be a string", message))
    elif isinstance(message, str) and "\x00" in message:
        # PostgreSQL's text cannot hold NUL; nor can a server.json (core/validation.py).
        problems.append(
            Problem(
                wire.STATUS_MESSAGE,
                "statusMessage must not contain the NUL character (\\u0000)",
            )
        )
    elif isinstance(message, str) and len(message) > STATUS_MESSAGE_MAX:
        problems.append(
            Problem(
                wire.STATUS_MESSAGE,
                f"statusMessage must be at most {STATUS_MESSAGE_MAX} characters "
                f"(it has {len(message)})",
            )
        )
    if problems or parsed is None:
        raise InvalidInputError("Invalid status update request", problems)
    text = message if isinstance(message, str) else None
    if parsed is Status.ACTIVE and text is not None:
        raise InvalidInputError(
            "status_message cannot be provided when setting status to active",
            [
                Problem(
                    wire.STATUS_MESSAGE, "remove statusMessage when setting status to active", text
                )
            ],
        )
    return StatusChange(parsed, text)


def move_command(raw: Any) -> MoveCommand:
    """The body of a rename or a transfer offer: ``{"newName": ...}``, checked by the name
    rules."""
    value = raw.get(wire.NEW_NAME) if isinstance(raw, dict) else None
    if not isinstance(value, str):
        raise InvalidInputError(
            "newName is required: the name to move the server to",
            [Problem(wire.NEW_NAME, 'give the new name, e.g. {"newName": "com.example/weather"}')],
        )
    problems = name_problems(value, wire.NEW_NAME)
    if problems:
        raise InvalidInputError(f"Invalid newName: {problems[0].message}", problems)
    return MoveCommand(value)
