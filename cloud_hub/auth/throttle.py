"""Login throttling shared by every hub replica: after a few failures, each try must wait longer.

:class:`ThrottlePolicy` is the pure policy. :class:`LoginThrottle` keeps its counters in the
registry database (``cloud_hub.registry.logins``), so three replicas behind a load balancer see
one count and a restart forgets nothing. Three scopes, each with its own free failures:

- ``pair`` (address + username): a person mistyping is slowed down soon, alone;
- ``user`` (any address): guesses at one account spread over many addresses;
- ``address`` (any username): one address trying many accounts.

Each try is counted before the password is checked and refused while any scope is locked; a
success resets ``pair`` and ``user`` and takes back its own count on ``address`` (so that people
sharing a NAT address do not add up to a lock-out; a success cannot clear a lock, since a locked
try never reaches the password). Times are wall-clock seconds, shared by the replicas.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from cloud_hub.errors import StoreUnavailable, TooManyAttempts
from cloud_hub.registry import Registry, logins
from cloud_hub.settings import AuthSettings

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 60.0


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


def scope_keys(username: str, address: str) -> list[tuple[str, str]]:
    """The (scope, key) rows one login touches, always in this order: two logins then lock rows
    in the same order and never wait on each other in a cycle (no deadlock on PostgreSQL)."""
    cut = logins.KEY_CHARS
    return [
        ("pair", f"{address} {username}"[:cut]),
        ("user", username[:cut]),
        ("address", address[:cut]),
    ]


class LoginThrottle:
    def __init__(
        self, registry: Registry, settings: AuthSettings, clock: Callable[[], float] = time.time
    ) -> None:
        base, cap = settings.throttle_base_s, settings.throttle_max_s
        self.policies = {
            "pair": ThrottlePolicy(settings.throttle_free_failures, base, cap),
            "user": ThrottlePolicy(settings.throttle_user_free_failures, base, cap),
            "address": ThrottlePolicy(settings.throttle_address_free_failures, base, cap),
        }
        self._registry = registry
        self._window_s = settings.throttle_window_s
        self._clock = clock
        self._next_prune = 0.0

    def begin(self, username: str, address: str) -> None:
        """Count this try in every scope, or raise :class:`TooManyAttempts` and count none."""
        now = self._clock()
        with self._registry.session() as s:  # an exception rolls back the counts already made
            for scope, key in scope_keys(username, address):
                count = logins.count_try(s, scope, key, now, now - self._window_s)
                if count is None:
                    wait = (logins.locked_until(s, scope, key) or now) - now
                    raise TooManyAttempts(
                        f"too many failed logins; try again in {max(wait, 1):.0f} s",
                        retry_after_s=wait,
                    )
                delay = self.policies[scope].delay_after(count)
                if delay > 0:
                    logins.lock(s, scope, key, now + delay)
        self._prune(now)

    def succeeded(self, username: str, address: str) -> None:
        pair, user, addr = scope_keys(username, address)
        with self._registry.session() as s:
            logins.reset(s, *pair)
            logins.reset(s, *user)
            logins.uncount(s, *addr, self.policies["address"].free_failures)

    def _prune(self, now: float) -> None:
        """Drop counters idle for a whole window, at most once a minute per process; best effort."""
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_S
        try:
            with self._registry.session() as s:
                gone = logins.prune(s, now - self._window_s, now)
        except StoreUnavailable as e:
            log.warning("login counters not pruned", extra={"error": str(e)})
            return
        if gone:
            log.info("login counters pruned", extra={"rows": gone})
