"""The Registrum upstream reader asks for the next page of a long feed while it decodes the
current one, and reads a long backlog in a child process. Whatever the upstream's pages look
like (gaps in the seqs, a smaller page cap), every change is read exactly once and in order,
guesses cost at most a wasted request, and failures and early stops behave as in-process."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest

from registrum.core.errors import UpstreamSyncError
from registrum.core.records import Upstream
from registrum.upstream.readers import FEED_PAGE, FeedReader
from tests.fakes.change_feed import FakeChangeFeed


def read_all(url: str, since: int = 0) -> tuple[list[str], list[int]]:
    upstream = Upstream("root", url, "registrum", 0, 300, "{}", datetime.now(UTC))
    reader = FeedReader(upstream, None)
    try:
        keys: list[str] = []
        checkpoints: list[int] = []
        for batch in reader.read({"seq": since}, dict):
            keys += [entry.key for entry in batch.entries]
            checkpoints.append(batch.checkpoint["seq"])
        return keys, checkpoints
    finally:
        reader.close()


def test_a_long_gap_free_feed_is_read_once_with_pages_asked_for_ahead() -> None:
    seqs = range(1, 3 * FEED_PAGE + 501)
    with FakeChangeFeed(seqs) as feed:
        keys, checkpoints = read_all(feed.url)
        asked = [since for since, _ in feed.requests]
    assert keys == [f"version-{s}" for s in seqs]
    assert checkpoints == [FEED_PAGE, 2 * FEED_PAGE, 3 * FEED_PAGE, 3 * FEED_PAGE + 500]
    # Every page once, then the empty page that ends the read; the only page asked for
    # ahead in vain is the one after the last full page's guess (since 4,000, past the end).
    assert sorted(set(asked)) == [0, 1000, 2000, 3000, 3500, 4000]
    assert len(asked) == len(set(asked))


@pytest.mark.parametrize(
    "seqs",
    [
        # A gap in the middle of a page: the guess for the next page is wrong every time.
        [*range(1, 1201), *range(1500, 4001)],
        # Gaps everywhere (seqs of rolled-back writes are never used).
        list(range(1, 9000, 3)),
    ],
    ids=["one-gap", "every-third"],
)
def test_gaps_in_the_seqs_lose_and_repeat_nothing(seqs: list[int]) -> None:
    with FakeChangeFeed(seqs) as feed:
        keys, checkpoints = read_all(feed.url)
    assert keys == [f"version-{s}" for s in seqs]
    assert checkpoints[-1] == seqs[-1]
    assert checkpoints == sorted(set(checkpoints))


def test_an_upstream_with_smaller_pages_is_not_asked_ahead() -> None:
    seqs = range(1, 2001)
    with FakeChangeFeed(seqs, page_cap=250) as feed:
        keys, _ = read_all(feed.url)
        asked = [since for since, _ in feed.requests]
    assert keys == [f"version-{s}" for s in seqs]
    assert asked == [*range(0, 2001, 250)]  # one request a page, no guesses


def test_resuming_from_a_checkpoint_reads_only_what_follows() -> None:
    with FakeChangeFeed(range(1, 2501)) as feed:
        keys, _ = read_all(feed.url, since=1700)
    assert keys == [f"version-{s}" for s in range(1701, 2501)]


def child_reader(url: str, backlog: int) -> FeedReader:
    reader = FeedReader(Upstream("root", url, "registrum", 0, 300, "{}", datetime.now(UTC)), None)
    reader.child_backlog = backlog
    return reader


def test_a_long_backlog_is_read_in_a_child_process_with_the_same_result() -> None:
    seqs = [*range(1, 2001), *range(2500, 6001)]
    with FakeChangeFeed(seqs) as feed:
        reader = child_reader(feed.url, backlog=1500)
        try:
            batches = list(reader.read({"seq": 0}, dict))
        finally:
            reader.close()
        # The first page is read here; the rest in the child, which has exited since.
        assert multiprocessing.active_children() == []
    keys = [entry.key for batch in batches for entry in batch.entries]
    assert keys == [f"version-{s}" for s in seqs]
    assert [b.checkpoint["seq"] for b in batches][-1] == 6000
    assert all(isinstance(b.entries[0].published_at, datetime) for b in batches)


def test_an_upstream_failure_in_the_child_reaches_the_sync() -> None:
    with FakeChangeFeed(range(1, 6001)) as feed:
        feed.fail_from = 3000
        reader = child_reader(feed.url, backlog=1500)
        seen: list[int] = []

        def read() -> None:
            seen.extend(batch.checkpoint["seq"] for batch in reader.read({"seq": 0}, dict))

        with pytest.raises(UpstreamSyncError, match="answered HTTP 500"):
            read()
        reader.close()
    assert seen == [1000, 2000, 3000]  # every page before the failure, then the error


def test_a_sync_that_stops_early_stops_the_child() -> None:
    with FakeChangeFeed(range(1, 20001)) as feed:
        reader = child_reader(feed.url, backlog=1500)
        batches = reader.read({"seq": 0}, dict)
        assert next(batches).checkpoint["seq"] == 1000
        assert next(batches).checkpoint["seq"] == 2000  # from the child
        assert len(multiprocessing.active_children()) == 1
        batches.close()  # type: ignore[attr-defined]
        reader.close()
        assert multiprocessing.active_children() == []
