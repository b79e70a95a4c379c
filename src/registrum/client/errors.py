"""Errors the client raises, carrying the registry's problem JSON when there is one."""

from __future__ import annotations

from typing import Any


class RegistryError(Exception):
    """A registry answered with an error, or could not be reached."""

    def __init__(self, message: str, status: int | None = None, problem: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem
