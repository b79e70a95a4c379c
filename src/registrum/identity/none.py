"""``none``: anonymous publishing, for local use only (the official registry's
``POST /auth/none``)."""

from __future__ import annotations

from typing import Any

from registrum.core.permissions import ANONYMOUS_NAMESPACE, Action, Permission, Principal


class AnonymousLogin:
    method = "none"

    def exchange(self, body: Any) -> Principal:
        return Principal(
            "none", "anonymous", (Permission(Action.PUBLISH, f"{ANONYMOUS_NAMESPACE}/*"),)
        )
