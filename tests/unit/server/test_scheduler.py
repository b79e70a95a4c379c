"""The scheduler counts what each sync reads, as the sync reports its progress."""

from __future__ import annotations

from registrum.server.scheduler import _counting
from registrum.services.mirror import SyncReport
from tests.unit.test_metrics import value


def test_progress_reports_become_entry_counts_and_progress() -> None:
    before = value("registrum_mirror_entries_synced_total", upstream="counted")
    progress = _counting("counted")
    report = SyncReport("counted", total=500)
    for fetched in (100, 250, 500):
        report.fetched = report.done = fetched
        progress(report)
    assert value("registrum_mirror_entries_synced_total", upstream="counted") == before + 500
    assert value("registrum_mirror_sync_entries_done", upstream="counted") == 500
    assert value("registrum_mirror_sync_entries_expected", upstream="counted") == 500
