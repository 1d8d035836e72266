"""The periodic update check: devices that missed a notice still converge on their release.

Mature OTA systems (Mender, balena, AWS IoT Jobs) have devices check in on a schedule instead of
trusting that every push arrives. Here the check re-evaluates the newest decision the hub sent
(:class:`~edge_agent.update_desired.DesiredState`, fed by the retained ``desired`` message on
every connect and by notices) against the active release, and asks the runner for a run when
they differ: once shortly after start-up, then every ``update.check_interval_s`` spread by
``update.check_jitter`` so a fleet that booted together does not hit the repository together,
and sooner, with backoff, after a run that failed on the way (transfer error, repository not yet
offering the release, outside the update window). It never asks the repository "what is new":
only the rollout decides what a device installs.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from edge_agent.backoff import Backoff
from edge_agent.update.manager import UpdateReport
from edge_agent.update_config import UpdateConfig

log = logging.getLogger(__name__)

# Outcomes worth trying again before the next regular check; refused / gave_up / held are not
# (the same bytes would fail the same way, or the hub said stop).
RETRY_OUTCOMES = frozenset({"failed", "deferred"})


def spread(seconds: float, jitter: float, rng: random.Random) -> float:
    """``seconds`` moved by a random fraction in [-jitter, +jitter] of itself."""
    return seconds * (1.0 + jitter * (2.0 * rng.random() - 1.0))


class CheckSchedule:
    """Pure: when the next check is due, given how the last run ended. No clock, no sleeping."""

    def __init__(self, cfg: UpdateConfig, rng: random.Random | None = None) -> None:
        self._interval = cfg.check_interval_s
        self._jitter = cfg.check_jitter
        self._rng = rng or random.Random()
        self._retry = Backoff.from_config(cfg.check_retry, self._rng)
        self.first_s = spread(cfg.check_startup_delay_s, cfg.check_jitter, self._rng)

    def after(self, report: UpdateReport | None) -> float:
        """Seconds until the next check after a run that ended with ``report`` (None: no run)."""
        if report is not None and report.outcome in RETRY_OUTCOMES:
            return min(self._retry.next_delay(), self.regular())
        self._retry.reset()
        return self.regular()

    def regular(self) -> float:
        return spread(self._interval, self._jitter, self._rng)


class UpdateChecker:
    """A thread that asks for a run when the schedule says so (see the module doc)."""

    def __init__(
        self,
        check: Callable[[], bool],
        wait_run: Callable[[float], UpdateReport | None],
        schedule: CheckSchedule,
    ) -> None:
        self._check = check  # NoticeRunner.check: True when it started a run
        self._wait_run = wait_run  # waits (bounded) for that run; its report
        self._schedule = schedule
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checks = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="update-check", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        delay = self._schedule.first_s
        while not self._stop.wait(delay):
            report = None
            try:
                self.checks += 1
                if self._check():
                    while report is None and not self._stop.is_set():
                        report = self._wait_run(1.0)
            except Exception:  # the loop's outermost catch: log and keep checking
                log.exception("update check failed")
            delay = self._schedule.after(report)
            log.debug("next update check in %.0f s", delay)
