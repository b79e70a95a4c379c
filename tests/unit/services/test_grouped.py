"""A sync stages upstream batches in groups: in order, none lost, a group closing at the
entry count or the batch count, whichever comes first."""

from __future__ import annotations

from datetime import datetime

from registrum.core.ports import UpstreamBatch
from registrum.core.records import UpstreamEntry
from registrum.core.status import Status
from registrum.services.upstream_batches import grouped


def entry(key: str) -> UpstreamEntry:
    at = datetime(2026, 1, 1)
    return UpstreamEntry(key, "com.example/x", key, "{}", Status.ACTIVE, None, at, at, None, None)


def batch(n: int, entries: int, removed: int = 0) -> UpstreamBatch:
    return UpstreamBatch(
        [entry(f"{n}-{i}") for i in range(entries)],
        [f"gone-{n}-{i}" for i in range(removed)],
        {"seq": n},
        n,
    )


def seqs(groups: list[list[UpstreamBatch]]) -> list[list[int]]:
    return [[b.checkpoint["seq"] for b in group] for group in groups]


def test_groups_close_at_the_entry_count() -> None:
    batches = [batch(n, 400) for n in range(7)]
    assert seqs(list(grouped(iter(batches), entries=1000, most=10))) == [
        [0, 1, 2],
        [3, 4, 5],
        [6],
    ]


def test_groups_close_at_the_batch_count_for_small_pages() -> None:
    batches = [batch(n, 10) for n in range(9)]
    assert seqs(list(grouped(iter(batches), entries=1000, most=4))) == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8],
    ]


def test_removed_keys_count_and_empty_batches_are_kept() -> None:
    batches = [batch(0, 0, removed=600), batch(1, 0), batch(2, 500)]
    assert seqs(list(grouped(iter(batches), entries=1000, most=10))) == [[0, 1, 2]]
    assert list(grouped(iter([]), entries=10, most=2)) == []
