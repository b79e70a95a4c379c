"""The mirror's read-ahead: batches arrive in order, an upstream error reaches the sync, and
a sync that stops early stops the reading thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from registrum.core.errors import UpstreamSyncError
from registrum.core.ports import UpstreamBatch
from registrum.services.upstream_batches import prefetched


def batch(n: int) -> UpstreamBatch:
    return UpstreamBatch([], [], {"seq": n}, n)


def test_batches_arrive_in_order() -> None:
    got = [b.checkpoint["seq"] for b in prefetched(iter([batch(i) for i in range(10)]))]
    assert got == list(range(10))


def test_an_upstream_error_is_raised_in_the_sync_after_the_batches_before_it() -> None:
    def failing() -> Iterator[UpstreamBatch]:
        yield batch(1)
        yield batch(2)
        raise UpstreamSyncError("upstream 'root': answered HTTP 502")

    batches = prefetched(failing())
    assert [next(batches).checkpoint["seq"], next(batches).checkpoint["seq"]] == [1, 2]
    with pytest.raises(UpstreamSyncError, match="502"):
        next(batches)


def test_stopping_early_stops_the_reader() -> None:
    produced = []

    def endless() -> Iterator[UpstreamBatch]:
        n = 0
        while True:
            n += 1
            produced.append(n)
            yield batch(n)

    before = threading.active_count()
    batches = prefetched(endless(), depth=2)
    assert next(batches).checkpoint["seq"] == 1
    batches.close()
    time.sleep(0.5)
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count  # nothing read after the stop
    assert count <= 4  # the read-ahead is bounded
    assert threading.active_count() == before
