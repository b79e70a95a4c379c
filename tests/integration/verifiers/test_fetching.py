"""The bounded HTTP client every verifier shares, against a real server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from registrum.core.errors import BadUpstreamError, UpstreamUnavailableError
from registrum.verifiers.catalog import parse_host_timeouts
from registrum.verifiers.fetching import Fetcher
from tests.fakes.faults import Faults
from tests.fakes.loopback import LoopbackServer, Reply, Request

WHAT = "the test registry"


@pytest.fixture
def site() -> Iterator[tuple[LoopbackServer, Faults]]:
    faults = Faults()

    def handle(req: Request) -> Reply:
        if req.path == "/loop":
            return Reply(302, b"", {"Location": "/loop"})
        if req.path == "/big":
            return Reply(200, b"x" * 5000)
        return Reply.json({"path": req.path})

    with LoopbackServer(faults.wrap(handle)) as server:
        yield server, faults


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    f = Fetcher(timeout=5.0, host_timeouts={"127.0.0.1": 0.5}, max_response_bytes=1000)
    yield f
    f.close()


def test_a_host_timeout_overrides_the_default(site, fetcher: Fetcher) -> None:
    server, faults = site
    faults.delay = 2.0
    with pytest.raises(UpstreamUnavailableError, match=r"within 0\.5 s"):
        fetcher.get(f"{server.url}/slow", what=WHAT)
    assert fetcher.timeout_for("https://other.example/x") == 5.0
    assert fetcher.timeout_for(f"http://127.0.0.1:{server.port}/") == 0.5


def test_retry_after_as_an_http_date(site, fetcher: Fetcher) -> None:
    server, faults = site
    faults.status = 503
    faults.retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    with pytest.raises(UpstreamUnavailableError) as info:
        fetcher.get(f"{server.url}/x", what=WHAT)
    assert info.value.retry_after is not None
    assert 80 <= info.value.retry_after <= 90


def test_redirect_loops_and_oversize_are_bad_upstreams(site, fetcher: Fetcher) -> None:
    server, _ = site
    with pytest.raises(BadUpstreamError, match="redirected more than 5 times"):
        fetcher.get(f"{server.url}/loop", what=WHAT)
    with pytest.raises(BadUpstreamError, match="larger than 1,000 bytes"):
        fetcher.get(f"{server.url}/big", what=WHAT)
    # A larger cap for one call (a packument) is allowed.
    assert len(fetcher.get(f"{server.url}/big", what=WHAT, max_bytes=10_000).body) == 5000


def test_not_json_is_a_bad_upstream(site, fetcher: Fetcher) -> None:
    server, _ = site
    answer = fetcher.get(f"{server.url}/big", what=WHAT, max_bytes=10_000)
    with pytest.raises(BadUpstreamError, match="not JSON"):
        answer.json(WHAT)


def test_host_timeout_setting_is_parsed_strictly() -> None:
    assert parse_host_timeouts("Images.example.com=30, slow.example:8443=2.5") == {
        "images.example.com": 30.0,
        "slow.example:8443": 2.5,
    }
    for bad in ("images.example.com", "x=0", "x=abc", "=3", "x=601"):
        with pytest.raises(ValueError, match="host=seconds"):
            parse_host_timeouts(bad)
