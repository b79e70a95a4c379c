"""Lanes: separate, bounded pools of threads for the kinds of blocking work a request starts.

A login waits on somebody else's server (a key file over HTTPS, a DNS answer, GitHub), a
publish on package registries, and neither needs credentials to start; a write waits on the
database's write lock. Were they one pool (Starlette's default), sixty logins against a key
host that answers slowly would hold every thread, and a publish would queue behind them for
as long as they take. So each kind gets a lane of its own:

- ``logins`` and ``checks`` reach outside; each caps how many of its calls one client may
  have in flight (further ones get 429 at once) and how many may wait for a thread in all
  (further ones get 503 at once), so no client can fill the lane and nothing piles up;
- ``writes`` reaches only the database, so it caps nothing but its thread count.

A lane's bookkeeping runs on the event loop that calls it; the lock is for tests and embedders
that drive one app from several loops.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, ParamSpec, TypeVar

from registrum import metrics
from registrum.core.errors import (
    AuthenticationError,
    BusyError,
    ClientBusyError,
    InvalidInputError,
    Problem,
    UnavailableError,
)

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_OUTBOUND_THREADS: Final = 16
DEFAULT_PER_CLIENT: Final = 4
# How long a refused caller is asked to wait: outbound calls are bounded by their own
# timeouts (10 s by default), so a slot frees within that.
_RETRY_AFTER: Final = 5


class Lane:
    def __init__(
        self,
        name: str,
        threads: int,
        *,
        per_client: int | None = None,
        waiting: int | None = None,
        what: str = "",
        outbound: str | None = None,
    ) -> None:
        self.name = name
        # The kind of outside call this lane's work is, for the outbound latency metric.
        self._outbound = outbound
        self.threads = threads
        self._per_client = per_client
        # Calls admitted at once: every thread busy plus this many queued for one.
        self._admitted = None if waiting is None else threads + waiting
        self._what = what or name
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix=f"registrum-{name}")
        self._lock = threading.Lock()
        self._by_client: dict[str, int] = {}
        self.in_flight = 0
        metrics.set_pool_size(name, threads)

    async def run(
        self, client: str | None, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn`` on this lane's threads for ``client`` (its address; None = no cap)."""
        self._admit(client)
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, lambda: self._timed(fn, args, kwargs))
        finally:
            self._release(client)

    def _timed(
        self, fn: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]
    ) -> T:
        """``fn`` on a thread of this lane, counted busy while it runs."""
        metrics.pool_in_use(self.name, 1)
        started = time.perf_counter()
        outcome = "ok"
        try:
            return fn(*args, **kwargs)
        except (AuthenticationError, InvalidInputError):
            outcome = "refused"  # the outside service answered, and the answer was no
            raise
        except UnavailableError:
            outcome = "unavailable"
            raise
        except Exception:
            outcome = "error"
            raise
        finally:
            metrics.pool_in_use(self.name, -1)
            if self._outbound is not None:
                metrics.observe_outbound(self._outbound, time.perf_counter() - started, outcome)

    def _admit(self, client: str | None) -> None:
        with self._lock:
            if self._admitted is not None and self.in_flight >= self._admitted:
                raise BusyError(
                    f"too many {self._what} in progress on this registry; retry shortly",
                    [Problem("", f"all {self.threads} {self.name} threads are busy")],
                    retry_after=_RETRY_AFTER,
                )
            if self._per_client is not None and client is not None:
                held = self._by_client.get(client, 0)
                if held >= self._per_client:
                    raise ClientBusyError(
                        f"you already have {held} {self._what} in progress; wait for them "
                        "to finish before starting another",
                        [Problem("", f"at most {self._per_client} at once per client address")],
                        retry_after=_RETRY_AFTER,
                    )
                self._by_client[client] = held + 1
            self.in_flight += 1

    def _release(self, client: str | None) -> None:
        with self._lock:
            self.in_flight -= 1
            if self._per_client is not None and client is not None:
                held = self._by_client.get(client, 0) - 1
                if held > 0:
                    self._by_client[client] = held
                else:
                    self._by_client.pop(client, None)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class Lanes:
    logins: Lane
    checks: Lane
    writes: Lane

    @classmethod
    def build(
        cls,
        outbound_threads: int = DEFAULT_OUTBOUND_THREADS,
        per_client: int = DEFAULT_PER_CLIENT,
        write_threads: int = 8,
    ) -> Lanes:
        waiting = outbound_threads * 4
        return cls(
            logins=Lane(
                "login",
                outbound_threads,
                per_client=per_client,
                waiting=waiting,
                what="logins",
                outbound="proof",
            ),
            checks=Lane(
                "check",
                outbound_threads,
                per_client=per_client,
                waiting=waiting,
                what="publishes waiting on package checks",
                outbound="package-check",
            ),
            writes=Lane("write", write_threads, what="writes"),
        )

    def close(self) -> None:
        for lane in (self.logins, self.checks, self.writes):
            lane.close()
