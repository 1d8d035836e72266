"""`PeriodicTask`: run one function every `interval_s` seconds in a daemon thread until stopped.

The hub's background jobs (alert evaluation, rollout evaluation, update-repository refresh) are
each a `run_once` plus this loop. The loop is the stage's outer loop, the only place that catches
everything: a failing round is logged and counted, and the next round runs on schedule.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicTask:
    """Calls `fn` every `interval_s` seconds (first call after one interval, or at once)."""

    def __init__(
        self, name: str, interval_s: float, fn: Callable[[], object], *, run_at_start: bool = False
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"{name}: interval_s must be positive, got {interval_s}")
        self.name = name
        self.interval_s = interval_s
        self._fn = fn
        self._run_at_start = run_at_start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0
        self.failures = 0
        self.last_error: str | None = None
        self.last_success_at: float | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"hub-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def run_now(self) -> bool:
        """One round, recorded like a scheduled one; True when it succeeded."""
        self.runs += 1
        try:
            self._fn()
        except Exception as e:  # the stage's outer loop: log, carry on with the next round
            self.failures += 1
            self.last_error = f"{type(e).__name__}: {e}"
            log.exception("%s failed", self.name)
            return False
        self.last_error = None
        self.last_success_at = time.time()
        return True

    def _loop(self) -> None:
        if self._run_at_start and not self._stop.is_set():
            self.run_now()
        while not self._stop.wait(self.interval_s):
            self.run_now()
