"""The directory where the processes of ``registrum serve --workers N`` write their metrics,
so that whichever worker answers ``GET /metrics`` serves the sum of all of them.

``PROMETHEUS_MULTIPROC_DIR`` when the operator set it (emptied at start: counts begin with
the server), else a fresh temporary directory removed at exit. While the server runs, a
thread drops the live gauges of worker processes that are gone, whether they exited or were
killed (prometheus-client's ``mark_process_dead``).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from registrum import metrics

log = logging.getLogger("registrum")
REAP_EVERY = 5.0


@dataclass
class MetricsDirectory:
    path: Path
    owned: bool
    stop: threading.Event

    def close(self) -> None:
        self.stop.set()
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)


def metrics_directory() -> MetricsDirectory:
    """Set this process (and the workers it starts) to multiprocess metrics; call before
    anything counts."""
    configured = metrics.multiprocess_directory()
    if configured:
        path, owned = Path(configured), False
    else:
        path, owned = Path(tempfile.mkdtemp(prefix="registrum-metrics-")), True
    metrics.clear_directory(path)
    metrics.use_directory(path)
    stop = threading.Event()

    def reap() -> None:
        while not stop.wait(REAP_EVERY):
            try:
                metrics.reap_dead_processes(str(path))
            except OSError as exc:  # a file removed under our feet: next round
                log.debug("metrics: reaping dead workers failed: %s", exc)

    threading.Thread(target=reap, name="registrum-metrics-reaper", daemon=True).start()
    return MetricsDirectory(path, owned, stop)
