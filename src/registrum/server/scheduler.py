"""The mirror's scheduler: ``registrum serve`` syncs the configured upstreams when they are
due and re-applies the policy file when it changes, in a background thread."""

from __future__ import annotations

import logging
import threading

from registrum import metrics
from registrum.server.ingest_report import summary_line
from registrum.server.settings import Settings
from registrum.server.wiring import Registry
from registrum.services.mirror import Progress, SyncReport

log = logging.getLogger("registrum.mirror")


def _counting(upstream: str) -> Progress:
    """A sync's progress callback that counts what it reads (``registrum.metrics``)."""
    counted = 0

    def progress(report: SyncReport) -> None:
        nonlocal counted
        metrics.mirror_read(upstream, report.fetched - counted)
        counted = report.fetched
        metrics.mirror_progress(upstream, report.done, report.total)

    return progress


def start_scheduler(settings: Settings, registry: Registry) -> threading.Event:
    """Run due syncs in a background thread of the serving process; returns the event that
    stops it. One process syncs (the parent of the workers), so a sync never runs twice."""
    stop = threading.Event()
    mirror = registry.context.mirror

    applied = settings.data_dir / "policy.applied"

    def apply() -> None:
        changed = mirror.reapply()
        log.info("policy applied: %d served version(s) changed", changed)
        applied.parent.mkdir(parents=True, exist_ok=True)
        applied.write_text("\n".join(mirror.policy.describe()))

    def loop() -> None:
        while not stop.wait(5.0):
            if mirror.policy_changed():
                apply()
            for upstream in mirror.due() if settings.mirror_sync else []:
                try:
                    r = mirror.sync(upstream.name, progress=_counting(upstream.name))
                    metrics.mirror_synced(upstream.name, ok=True)
                    if r.changed or r.refused:
                        log.info(
                            "mirror %s: read %d, changed %d in %.1f s; %s",
                            upstream.name,
                            r.fetched,
                            r.changed,
                            r.seconds,
                            summary_line(r.deviations, r.refused),
                        )
                except Exception as exc:  # logged and retried at the next interval
                    metrics.mirror_synced(upstream.name, ok=False)
                    log.warning("mirror %s: sync failed: %s", upstream.name, exc)

    # What is served was merged with some policy; if the file changed while the registry was
    # down, the first check finds it is not the one in force now and re-applies it.
    if not applied.is_file() or applied.read_text() != "\n".join(mirror.policy.describe()):
        apply()
    mirror.remember_policy()
    threading.Thread(target=loop, name="registrum-mirror", daemon=True).start()
    return stop
