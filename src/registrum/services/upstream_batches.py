"""Reading an upstream while storing what it gave: batches read ahead in a thread, and
grouped so that one transaction stages several."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from queue import Full, Queue
from typing import Any, Final

from registrum.core.ports import UpstreamBatch

# Upstream batches are staged together until a transaction holds this many entries. Each
# commit writes out every index page the transaction touched, and upstream keys are random,
# so fewer, larger transactions write far less (100,000 entries: 5.4 s staged 1,000 a
# commit, 3.2 s 5,000 a commit).
STAGE_ENTRIES: Final = 5000
# ... or this many batches, whichever comes first: a slow upstream with small pages still
# commits (and so moves its checkpoint) every few pages.
STAGE_BATCHES: Final = 4


def prefetched(
    batches: Iterator[UpstreamBatch], depth: int = 2
) -> Generator[UpstreamBatch, None, None]:
    """Read the next batches in a thread while the caller stores the current one: waiting for
    the upstream overlaps with writing (a full sync spends a sixth of its time reading)."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.2)
                return True
            except Full:
                continue
        return False  # the consumer has gone

    def produce() -> None:
        try:
            for batch in batches:
                if not hand_over(("batch", batch)):
                    return
            hand_over(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            hand_over(("error", exc))

    worker = threading.Thread(target=produce, name="registrum-mirror-read", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join(timeout=5)


def grouped(
    batches: Iterator[UpstreamBatch], entries: int = STAGE_ENTRIES, most: int = STAGE_BATCHES
) -> Generator[list[UpstreamBatch], None, None]:
    """Consecutive batches, together holding at least ``entries`` entries or ``most``
    batches (the last group fewer): each group is staged in one transaction."""
    group: list[UpstreamBatch] = []
    held = 0
    for batch in batches:
        group.append(batch)
        held += len(batch.entries) + len(batch.removed)
        if held >= entries or len(group) >= most:
            yield group
            group, held = [], 0
    if group:
        yield group
