"""Reading an upstream in a child process.

A full sync of a large upstream decodes hundreds of megabytes of JSON. In the syncing
process that work holds the interpreter lock the staging and merging need, so the two take
turns; in a child process it runs on another core. The child reads batches as the parent
would and hands them over through a bounded queue (the parent's pace limits the child's).

The child is started with ``spawn`` (a fresh interpreter, safe from a threaded server), stops
when the parent stops reading, and stops by itself when the parent dies (a killed sync leaves
no reader behind).
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
from collections.abc import Callable, Iterator
from multiprocessing.process import BaseProcess
from typing import Any, Final

from registrum.core.errors import UpstreamSyncError
from registrum.core.ports import UpstreamBatch

_DEPTH: Final = 4  # batches read ahead of the parent
_POLL: Final = 0.5  # seconds between checks that the other side is still there

# What the child runs: a picklable factory of the batches to send.
Source = Callable[[], Iterator[UpstreamBatch]]


def _child(source: Source, out: Any) -> None:
    parent = multiprocessing.parent_process()

    def hand_over(item: tuple[str, Any]) -> bool:
        while parent is None or parent.is_alive():
            try:
                out.put(item, timeout=_POLL)
                return True
            except queue_module.Full:
                continue
        # The parent has gone: nobody will read what is still buffered, so exit without
        # waiting to send it.
        out.cancel_join_thread()
        return False

    try:
        for batch in source():
            if not hand_over(("batch", batch)):
                return
        hand_over(("end", None))
    except UpstreamSyncError as exc:
        hand_over(("error", str(exc)))
    except Exception as exc:  # reported to the parent, which raises it
        hand_over(("error", f"reading the upstream failed: {exc!r}"))


def read_in_child(source: Source) -> Iterator[UpstreamBatch]:
    """The batches ``source()`` gives, read in a child process."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue(maxsize=_DEPTH)
    process: BaseProcess = context.Process(
        target=_child, args=(source, out), name="registrum-upstream-reader", daemon=True
    )
    process.start()
    try:
        while True:
            try:
                kind, value = out.get(timeout=_POLL)
            except queue_module.Empty:
                if not process.is_alive() and out.empty():
                    raise UpstreamSyncError(
                        f"the upstream reader stopped unexpectedly (exit code {process.exitcode})"
                    ) from None
                continue
            if kind == "end":
                return
            if kind == "error":
                raise UpstreamSyncError(value)
            yield value
    finally:
        if process.is_alive():
            process.terminate()
        process.join(timeout=5)
        out.close()
        out.join_thread()
