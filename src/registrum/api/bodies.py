"""Request bodies and running blocking service calls off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from registrum.core.errors import InvalidInputError, Problem
from registrum.core.validation import parse_json

P = ParamSpec("P")
T = TypeVar("T")


async def read_json(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        raise InvalidInputError(
            "request body is empty: send a JSON object",
            [Problem("", "expected a JSON object")],
        )
    return parse_json(body)


async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    # Services are synchronous (SQLAlchemy sessions); writes wait on locks, so they must
    # not block the event loop.
    return await run_in_threadpool(fn, *args, **kwargs)
