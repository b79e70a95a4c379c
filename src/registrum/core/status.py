"""Version statuses and the official registry's rules for changing them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from registrum.core.errors import InvalidInputError, NoChangeError, Problem

STATUS_MESSAGE_MAX: Final = 500


class Status(enum.StrEnum):
    ACTIVE = "active"
    DEPRECATED = "deprecated"
    DELETED = "deleted"


STATUS_VALUES: Final = tuple(s.value for s in Status)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A requested status, already checked for shape."""

    status: Status
    message: str | None


def parse_status_change(status: object, message: object) -> StatusChange:
    """Check a status-change request body; every problem is reported at once."""
    problems: list[Problem] = []
    parsed: Status | None = None
    if not isinstance(status, str) or status not in STATUS_VALUES:
        problems.append(
            Problem("status", f"status must be one of {', '.join(STATUS_VALUES)}", status)
        )
    else:
        parsed = Status(status)
    if message is not None and not isinstance(message, str):
        problems.append(Problem("statusMessage", "statusMessage must be a string", message))
    elif isinstance(message, str) and "\x00" in message:
        # PostgreSQL's text cannot hold NUL; nor can a server.json (core/validation.py).
        problems.append(
            Problem("statusMessage", "statusMessage must not contain the NUL character (\\u0000)")
        )
    elif isinstance(message, str) and len(message) > STATUS_MESSAGE_MAX:
        problems.append(
            Problem(
                "statusMessage",
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
            [Problem("statusMessage", "remove statusMessage when setting status to active", text)],
        )
    return StatusChange(parsed, text)


def changes(current_status: str, current_message: str | None, change: StatusChange) -> bool:
    return current_status != change.status.value or current_message != change.message


def require_change_one(
    current_status: str, current_message: str | None, change: StatusChange
) -> None:
    if not changes(current_status, current_message, change):
        raise NoChangeError(
            "No changes to apply: status and message are already set to the provided values"
        )
