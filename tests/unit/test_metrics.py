"""registrum.metrics: the counting API other modules call, and the multiprocess bookkeeping."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from registrum import metrics
from registrum.core.records import Upstream


def value(name: str, **labels: str) -> float:
    text = metrics.render().decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return 0.0


def test_outbound_calls_are_timed_by_kind_and_outcome() -> None:
    labels = {"kind": "package-check", "outcome": "ok"}
    count = value("registrum_outbound_call_duration_seconds_count", **labels)
    total = value("registrum_outbound_call_duration_seconds_sum", **labels)
    fast = value("registrum_outbound_call_duration_seconds_bucket", le="0.1", **labels)
    metrics.observe_outbound("package-check", 0.05, "ok")
    metrics.observe_outbound("package-check", 2.0, "ok")
    assert value("registrum_outbound_call_duration_seconds_count", **labels) == count + 2
    assert value("registrum_outbound_call_duration_seconds_sum", **labels) == pytest.approx(
        total + 2.05
    )
    assert value("registrum_outbound_call_duration_seconds_bucket", le="0.1", **labels) == fast + 1


def test_an_unknown_outbound_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown outbound kind 'dns'"):
        metrics.observe_outbound("dns", 0.1, "ok")


def test_pool_saturation_is_in_use_over_size() -> None:
    metrics.set_pool_size("unit-pool", 4)
    metrics.pool_in_use("unit-pool", +1)
    metrics.pool_in_use("unit-pool", +1)
    metrics.pool_in_use("unit-pool", -1)
    assert value("registrum_pool_threads", pool="unit-pool") == 4
    assert value("registrum_pool_threads_in_use", pool="unit-pool") == 1


def test_mirror_families_report_lag_from_the_last_success() -> None:
    now = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
    upstreams = [
        Upstream("fresh", "https://a.example.com", "official", 0, 300,
                 last_synced_at=now - timedelta(seconds=90)),
        Upstream("broken", "https://b.example.com", "official", 0, 300,
                 last_synced_at=now - timedelta(hours=2), last_error="connection refused"),
        Upstream("new", "https://c.example.com", "official", 0, 300),
    ]  # fmt: skip
    found = {
        (s.name, s.labels["upstream"]): s.value
        for family in metrics.mirror_families(upstreams, now)
        for s in family.samples
    }
    assert found[("registrum_mirror_lag_seconds", "fresh")] == 90
    assert found[("registrum_mirror_lag_seconds", "broken")] == 7200
    assert ("registrum_mirror_lag_seconds", "new") not in found
    assert found[("registrum_mirror_last_success_timestamp_seconds", "fresh")] == (
        now.timestamp() - 90
    )
    assert found[("registrum_mirror_last_sync_failed", "broken")] == 1
    assert found[("registrum_mirror_last_sync_failed", "new")] == 0


_CHILD = """
from pathlib import Path
import sys
from registrum import metrics
metrics.use_directory(Path(sys.argv[1]))
metrics.set_pool_size("read", 8)
metrics.pool_in_use("read", 3)
metrics.observe_request("GET", "/v0.1/ping", 200, 0.001)
"""


def _child(directory: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k != metrics.MULTIPROC_ENV}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(directory)], env=env, check=True, timeout=60
    )
    assert proc.returncode == 0
    return len(list(directory.glob("histogram_*.db")))


def test_a_dead_process_loses_its_live_gauges_and_keeps_its_counts(tmp_path: Path) -> None:
    directory = tmp_path / "multiproc"
    metrics.clear_directory(directory)
    assert _child(directory) == 1
    assert _child(directory) == 2
    live = sorted(directory.glob("gauge_livesum_*.db"))
    assert len(live) == 2
    pids = sorted(int(p.stem.rsplit("_", 1)[1]) for p in live)
    assert metrics.reap_dead_processes(str(directory)) == pids
    assert not list(directory.glob("gauge_livesum_*.db"))
    assert len(list(directory.glob("histogram_*.db"))) == 2  # counts of the dead still count


def test_clear_directory_starts_counts_at_zero(tmp_path: Path) -> None:
    directory = tmp_path / "multiproc"
    directory.mkdir()
    _child(directory)
    assert list(directory.glob("*.db"))
    metrics.clear_directory(directory)
    assert not list(directory.glob("*.db"))
