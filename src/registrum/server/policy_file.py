"""The policy file of MCP_REGISTRY_POLICY_FILE, re-read when it changes.

Every process (each worker, and the one that runs syncs) asks for the current policy through
:meth:`PolicyFile.current`, which looks at the file's modification time at most once a
second and reloads it when it changed. A file that no longer parses keeps the last good
policy in force and logs why, so a typo never opens (or closes) the catalog by accident.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from registrum.core.policy import Policy, PolicyError

log = logging.getLogger("registrum.policy")
_CHECK_EVERY = 1.0


class PolicyFile:
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp = self._mtime()
        self._policy = Policy.load(self.path)  # a bad file at start-up is an error
        self._checked = time.monotonic()

    def _mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return None

    def current(self) -> Policy:
        now = time.monotonic()
        if now - self._checked < _CHECK_EVERY:
            return self._policy
        with self._lock:
            self._checked = now
            stamp = self._mtime()
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._policy = Policy.load(self.path)
                    log.info("policy reloaded from %s", self.path)
                except PolicyError as exc:
                    log.error("policy file %s not applied, the last one stays: %s", self.path, exc)
            return self._policy
