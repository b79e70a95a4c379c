"""What is known about the request being answered, for the operators' eyes: its id, the
verified caller, why it was refused.

Held in a context variable that ``api/observe.py`` sets around each request, so that the
routes and error handlers can add to it without passing it around, and log records emitted
while the request runs carry its id (``server/logs.py``). A plain mutable object: code run in
a worker thread sees a copy of the context, but the same object.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(slots=True)
class RequestState:
    request_id: str
    subject: str | None = None  # the verified caller, when it sent a registry token
    reason: str | None = None  # the kind of error the registry raised, when it did


current: contextvars.ContextVar[RequestState | None] = contextvars.ContextVar(
    "registrum_request", default=None
)


def current_request_id() -> str | None:
    state = current.get()
    return state.request_id if state is not None else None


def note_subject(subject: str) -> None:
    """The caller of the current request, once its token is verified (for the access log)."""
    state = current.get()
    if state is not None:
        state.subject = subject


def note_reason(reason: str) -> None:
    """Why the current request is refused (the error's kind), for the refusal metric."""
    state = current.get()
    if state is not None:
        state.reason = reason
