"""Rate-limit counters, kept by the ``limits`` library in memory or in Redis.

The strategy is the sliding-window counter: two counters per client and limit (this window's
and the previous one's, the previous weighted by how much of it still overlaps), so a check
is one round trip and a few bytes whatever the limit, and a client cannot double its rate at
a window's edge as a fixed window allows. The moving window is exact but keeps one entry per
request, which for a generous read limit is a lot of memory (or Redis traffic) to spend on
precision nobody needs.

Redis (``redis://``, ``rediss://``) lets several hosts share the counts; ``memory://`` keeps
them in the process (each worker counts on its own). When Redis cannot be reached the
limiter *fails open*: the request is let through and a warning logged (once a minute at
most), and Redis is left alone for a few seconds so that requests do not each wait for a
connection timeout. A limiter outage then costs protection, never availability.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Final

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

log = logging.getLogger("registrum.api.limits")

MEMORY: Final = "memory://"
_REDIS_SCHEMES: Final = ("redis://", "rediss://")
# Long enough for a healthy Redis on the network, short enough that an outage does not
# stall requests: a client waits at most this long once per back-off period.
_REDIS_TIMEOUT: Final = 0.5
_BACK_OFF: Final = 5.0
_WARN_EVERY: Final = 60.0


def parse_limits(value: str) -> tuple[RateLimitItem, ...]:
    """The limits of a setting such as ``"100/minute"`` or ``"10/second;1000/hour"``; () when
    empty (no limit). Raises ValueError saying what is expected."""
    if not value.strip():
        return ()
    try:
        return tuple(parse_many(value))
    except ValueError:
        raise ValueError(
            "expected limits such as 100/minute or 10/second;1000/hour (an amount, '/', and "
            "second, minute, hour or day, several separated by ';'), or empty for no limit"
        ) from None


def check_storage_uri(value: str) -> str:
    """``memory://`` or a Redis URL; raises ValueError otherwise."""
    if value != MEMORY and not value.startswith(_REDIS_SCHEMES):
        raise ValueError(
            "expected memory:// (counts kept by each process) or a Redis URL such as "
            "redis://redis.example.com:6379/0 (counts shared by every host)"
        )
    return value


def _storage(uri: str) -> Storage:
    if uri == MEMORY:
        return MemoryStorage()
    return RedisStorage(
        f"async+{uri}",
        implementation="redispy",
        wrap_exceptions=True,
        socket_timeout=_REDIS_TIMEOUT,
        socket_connect_timeout=_REDIS_TIMEOUT,
    )


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request over a limit: which one, and in how many seconds it frees."""

    limit: RateLimitItem
    retry_after: int


class Limiter:
    """Counts hits per (limit, key) in one storage, shared by every rule of an app."""

    def __init__(self, storage_uri: str = MEMORY) -> None:
        self.storage_uri = check_storage_uri(storage_uri)
        self._strategy = SlidingWindowCounterRateLimiter(_storage(storage_uri))
        self._down_until = 0.0
        self._warned = 0.0

    async def hit(self, limits: tuple[RateLimitItem, ...], *key: str) -> Refusal | None:
        """Count one request for ``key`` against each limit; the first refusal, or None."""
        now = time.monotonic()
        if now < self._down_until:
            return None
        try:
            for limit in limits:
                if not await self._strategy.hit(limit, *key):
                    stats = await self._strategy.get_window_stats(limit, *key)
                    wait = math.ceil(stats.reset_time - time.time())
                    return Refusal(limit, max(1, wait))
        except StorageError as exc:
            self._down_until = now + _BACK_OFF
            if now - self._warned >= _WARN_EVERY or not self._warned:
                self._warned = now
                log.warning(
                    "rate-limit storage unreachable (%s): requests are let through unlimited "
                    "until it answers again",
                    exc.storage_error,
                )
        return None
