"""Faults a fake package registry can be told to show: an error status, a slow answer, an
oversized answer, or a hook that runs before each answer (to hold requests at a barrier).

    npm = FakeNpm()
    npm.faults.status = 429          # every answer is 429 until reset
    npm.faults.delay = 2.0           # answer after two seconds (longer than the timeout)
    npm.faults.oversize = 2_000_000  # pad every 200 answer to about this many bytes
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes.loopback import Handler, Reply, Request


@dataclass
class Faults:
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    oversize: int = 0
    before: Callable[[Request], None] | None = None
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.status, self.retry_after, self.delay, self.oversize, self.before = (
            None,
            None,
            0.0,
            0,
            None,
        )

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def wrap(self, handler: Handler) -> Handler:
        def handle(request: Request) -> Reply:
            with self._lock:
                self.requests.append(request)
            if self.before is not None:
                self.before(request)
            if self.delay:
                time.sleep(self.delay)
            if self.status is not None:
                headers = {"Retry-After": self.retry_after} if self.retry_after else {}
                return Reply.json({"error": "fault"}, status=self.status, headers=headers)
            reply = handler(request)
            if self.oversize and reply.status == 200:
                reply = Reply(200, reply.body + b" " * self.oversize, dict(reply.headers))
            return reply

        return handle
