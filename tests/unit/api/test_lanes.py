"""Lanes admit work up to their bounds and refuse the rest at once, never queueing it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from registrum.api.lanes import Lane, Lanes
from registrum.core.errors import BusyError, ClientBusyError


def _blocked(gate: threading.Event) -> str:
    gate.wait(10)
    return "done"


def test_a_client_past_its_cap_is_refused_while_others_are_served() -> None:
    lane = Lane("login", 4, per_client=2, waiting=10, what="logins")
    gate = threading.Event()

    async def scenario() -> None:
        held = [asyncio.ensure_future(lane.run("10.0.0.1", _blocked, gate)) for _ in range(2)]
        await asyncio.sleep(0.05)
        with pytest.raises(ClientBusyError) as refused:
            await lane.run("10.0.0.1", _blocked, gate)
        assert refused.value.retry_after > 0
        assert "already have 2 logins in progress" in refused.value.detail
        other = asyncio.ensure_future(lane.run("10.0.0.2", _blocked, gate))
        await asyncio.sleep(0.05)
        assert lane.in_flight == 3
        gate.set()
        assert await asyncio.gather(*held, other) == ["done"] * 3
        # Slots are given back: the first client may start again.
        assert await lane.run("10.0.0.1", str.upper, "again") == "AGAIN"
        assert lane.in_flight == 0

    try:
        asyncio.run(scenario())
    finally:
        lane.close()


def test_a_full_lane_answers_busy_rather_than_queueing_without_end() -> None:
    lane = Lane("check", 2, per_client=100, waiting=1)
    gate = threading.Event()

    async def scenario() -> None:
        # Two on threads, one waiting for a thread: the lane's whole admission.
        held = [asyncio.ensure_future(lane.run(f"10.0.0.{i}", _blocked, gate)) for i in range(3)]
        await asyncio.sleep(0.05)
        with pytest.raises(BusyError) as refused:
            await lane.run("10.0.0.9", _blocked, gate)
        assert refused.value.retry_after is not None
        gate.set()
        await asyncio.gather(*held)

    try:
        asyncio.run(scenario())
    finally:
        lane.close()


def test_a_failing_call_gives_its_slot_back() -> None:
    lane = Lane("login", 1, per_client=1, waiting=0)

    def fail() -> None:
        raise ValueError("boom")

    async def scenario() -> None:
        for _ in range(3):
            with pytest.raises(ValueError, match="boom"):
                await lane.run("10.0.0.1", fail)
        assert lane.in_flight == 0

    try:
        asyncio.run(scenario())
    finally:
        lane.close()


def test_writes_cap_nothing_but_their_threads() -> None:
    lanes = Lanes.build(outbound_threads=2, per_client=1, write_threads=1)
    gate = threading.Event()

    async def scenario() -> None:
        # Many writes from one caller queue for the one thread; none is refused.
        held = [asyncio.ensure_future(lanes.writes.run(None, _blocked, gate)) for _ in range(20)]
        await asyncio.sleep(0.05)
        gate.set()
        assert await asyncio.gather(*held) == ["done"] * 20

    try:
        asyncio.run(scenario())
    finally:
        lanes.close()
