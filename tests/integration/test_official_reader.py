"""The official-API reader pages an upstream with the client library's pager: a checkpoint
after each page, a walk resumed from its cursor reads the rest once, items no registry can
store are refused by position, and what goes wrong upstream (an error status, an answer that
is not JSON, a cursor that comes back) is a sync error instead of a crash or an endless walk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registrum.core.errors import UpstreamSyncError
from registrum.core.records import Upstream
from registrum.upstream.readers import LIST_PAGE, OfficialReader
from tests.fakes.loopback import LoopbackServer, Reply, Request
from tests.fakes.official_registry import FakeOfficialRegistry


def reader(url: str) -> OfficialReader:
    return OfficialReader(Upstream("plain", url, "official", 0, 300, "{}", datetime.now(UTC)), None)


def test_a_walk_checkpoints_each_page_and_resumes_from_its_cursor() -> None:
    with FakeOfficialRegistry() as fake:
        for i in range(2 * LIST_PAGE + 50):
            fake.put(f"com.example/s{i:03d}", "1.0.0")
        fake.put("com.example/s001", "1.0.0", status="deleted")  # walked too
        first = reader(fake.url)
        try:
            batches = first.read({}, dict)
            page = next(batches)
            batches.close()  # type: ignore[attr-defined]  # a sync that stopped here
        finally:
            first.close()
        assert page.checkpoint == {
            "phase": "walk",
            "cursor": "com.example/s099:1.0.0",
            "done": LIST_PAGE,
            "newest": page.checkpoint["newest"],
        }
        rest = reader(fake.url)
        try:
            resumed = list(rest.read(page.checkpoint, dict))
        finally:
            rest.close()
        assert [b.done for b in resumed] == [2 * LIST_PAGE, 2 * LIST_PAGE + 50]
        assert resumed[-1].checkpoint["phase"] == "poll"
        keys = [e.key for b in [page, *resumed] for e in b.entries]
        assert keys == [f"com.example/s{i:03d}\n1.0.0" for i in range(2 * LIST_PAGE + 50)]
        asked = [r.query_one("cursor") for r in fake.requests]
        assert asked == [None, "com.example/s099:1.0.0", "com.example/s199:1.0.0"]
        assert all(r.query_one("include_deleted") == "true" for r in fake.requests)


def serving(reply: Reply) -> LoopbackServer:
    def handle(request: Request) -> Reply:
        return reply

    return LoopbackServer(handle)


def test_unstorable_items_are_refused_by_position_and_the_rest_kept() -> None:
    kept = FakeOfficialRegistry().put("com.example/kept", "1.0.0")  # only its item
    page = [kept, "not an object", {"server": {"name": "io.github.x/no-version"}}]
    with serving(Reply.json({"servers": page, "metadata": {}})) as server:
        where = f"page {server.url}/v0.1/servers?cursor="
        one = reader(server.url)
        try:
            (batch,) = list(one.read({}, dict))
        finally:
            one.close()
    assert [e.name for e in batch.entries] == ["com.example/kept"]
    assert len(batch.refused) == 2
    assert batch.refused[0].startswith(f"{where} item 1: ")
    assert batch.refused[1].startswith(f"{where} item 2 'io.github.x/no-version': ")


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (Reply.json({"title": "Unavailable"}, status=503), r"\(http://.*\): answered HTTP 503"),
        (Reply.text("<html>maintenance</html>"), "did not answer JSON"),
        (Reply.json({"items": []}), "unexpected shape"),
        (
            Reply.json({"servers": [], "metadata": {"nextCursor": "same"}}),
            "returned the cursor 'same' twice",
        ),
    ],
)
def test_what_goes_wrong_upstream_is_a_sync_error(reply: Reply, said: str) -> None:
    with serving(reply) as server:
        one = reader(server.url)
        try:
            with pytest.raises(UpstreamSyncError, match=f"^upstream 'plain'.*{said}"):
                list(one.read({}, dict))
        finally:
            one.close()
