"""The mirror's scheduler: ``registrum serve`` syncs the configured upstreams when they are
due and re-applies the policy file when it changes, in a background thread."""

from __future__ import annotations

import logging
import threading

from registrum.server.ingest_report import summary_line
from registrum.server.settings import Settings
from registrum.server.wiring import Registry

log = logging.getLogger("registrum.mirror")


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
                    r = mirror.sync(upstream.name)
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
                    log.warning("mirror %s: sync failed: %s", upstream.name, exc)

    # What is served was merged with some policy; if the file changed while the registry was
    # down, the first check finds it is not the one in force now and re-applies it.
    if not applied.is_file() or applied.read_text() != "\n".join(mirror.policy.describe()):
        apply()
    mirror.remember_policy()
    threading.Thread(target=loop, name="registrum-mirror", daemon=True).start()
    return stop
