"""Login throttling: after a few failures per (user, address), each try must wait longer.

:func:`delay_after` is the pure policy; :class:`LoginThrottle` keeps the failure counts in memory
(per hub process: a restart forgives, which is fine against online guessing) with a clock passed
in so tests need no sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cloud_hub.errors import TooManyAttempts

MAX_TRACKED = 100_000


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    free_failures: int = 3
    base_s: float = 1.0
    max_s: float = 900.0

    def delay_after(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures: 0, then base·2^k, capped."""
        extra = failures - self.free_failures
        if extra <= 0:
            return 0.0
        return min(self.max_s, self.base_s * 2.0 ** min(extra - 1, 60))


class LoginThrottle:
    def __init__(self, policy: ThrottlePolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._clock = clock
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def check(self, username: str, address: str) -> None:
        """Raise :class:`TooManyAttempts` if this user and address must still wait."""
        with self._lock:
            failures, last = self._failures.get((username, address), (0, 0.0))
        wait = self._policy.delay_after(failures) - (self._clock() - last)
        if wait > 0:
            raise TooManyAttempts(
                f"too many failed logins; try again in {wait:.0f} s", retry_after_s=wait
            )

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            if len(self._failures) >= MAX_TRACKED:
                self._failures.clear()  # bounded memory beats perfect memory under a flood
            failures, _ = self._failures.get((username, address), (0, 0.0))
            self._failures[(username, address)] = (failures + 1, self._clock())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username, address), None)
