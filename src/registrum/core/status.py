"""Version statuses and the official registry's rules for changing them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from registrum.core.errors import NoChangeError

STATUS_MESSAGE_MAX: Final = 500


class Status(enum.StrEnum):
    ACTIVE = "active"
    DEPRECATED = "deprecated"
    DELETED = "deleted"


STATUS_VALUES: Final = tuple(s.value for s in Status)
# A stored status as the enum: a dict look-up, cheaper than ``Status(text)`` on the read path.
STATUS_OF: Final[dict[str, Status]] = {s.value: s for s in Status}


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A requested status, already checked (api/commands.py reads it from a body)."""

    status: Status
    message: str | None


def changes(current_status: Status, current_message: str | None, change: StatusChange) -> bool:
    return current_status != change.status or current_message != change.message


def require_change_one(
    current_status: Status, current_message: str | None, change: StatusChange
) -> None:
    if not changes(current_status, current_message, change):
        raise NoChangeError(
            "No changes to apply: status and message are already set to the provided values"
        )
