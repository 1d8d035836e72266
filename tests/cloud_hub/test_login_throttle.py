"""Login throttling on the registry database, run on SQLite and PostgreSQL: counters per
(address, user), user and address; lock-out with Retry-After; reset on success; the window and
pruning; and two hub instances on one database counting each other's failures."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cloud_hub.app import create_app
from cloud_hub.auth.throttle import LoginThrottle
from cloud_hub.errors import TooManyAttempts
from cloud_hub.registry import Registry
from cloud_hub.registry.logins import LoginCounter
from cloud_hub.settings import AuthSettings, HubSettings

NOW = 1_767_225_600.0
LIMITS = {
    "throttle_free_failures": 1,
    "throttle_user_free_failures": 3,
    "throttle_address_free_failures": 5,
    "throttle_base_s": 10,
    "throttle_max_s": 100,
    "throttle_window_s": 1000,
}


@pytest.fixture
def registry(registry_url: str) -> Registry:
    return Registry.open(registry_url)


def _throttle(registry: Registry, now: list[float], **limits: float) -> LoginThrottle:
    return LoginThrottle(registry, AuthSettings(**{**LIMITS, **limits}), clock=lambda: now[0])


def _refused(t: LoginThrottle, user: str, address: str) -> float:
    with pytest.raises(TooManyAttempts) as e:
        t.begin(user, address)
    return e.value.retry_after_s


def _rows(registry: Registry) -> dict[tuple[str, str], int]:
    with registry.session() as s:
        return {(r.scope, r.key): r.failures for r in s.scalars(select(LoginCounter))}


def test_pair_lock_waits_and_success_resets(registry: Registry) -> None:
    now = [NOW]
    t = _throttle(registry, now)
    t.begin("ann", "1.2.3.4")  # the one free failure
    t.begin("ann", "1.2.3.4")  # second try: counted, and locks for 10 s from now
    assert _refused(t, "ann", "1.2.3.4") == 10
    t.begin("ann", "5.6.7.8")  # another address is not punished by the pair counter
    t.begin("bob", "1.2.3.4")  # nor another user
    now[0] += 10
    t.begin("ann", "1.2.3.4")
    t.succeeded("ann", "1.2.3.4")
    assert ("pair", "1.2.3.4 ann") not in _rows(registry)
    assert ("user", "ann") not in _rows(registry)
    t.begin("ann", "1.2.3.4")  # success reset the counts: free again
    registry.close()


def test_a_refused_try_counts_nothing(registry: Registry) -> None:
    now = [NOW]
    t = _throttle(registry, now)
    t.begin("ann", "1.2.3.4")
    t.begin("ann", "1.2.3.4")
    before = _rows(registry)
    for _ in range(5):
        _refused(t, "ann", "1.2.3.4")
    assert _rows(registry) == before
    registry.close()


def test_user_counter_spans_addresses(registry: Registry) -> None:
    now = [NOW]
    t = _throttle(registry, now)
    for i in range(4):  # 3 free per user, the 4th try locks the account from everywhere
        t.begin("ann", f"10.0.0.{i}")
    assert _refused(t, "ann", "10.0.0.99") == 10
    t.begin("bob", "10.0.0.99")
    registry.close()


def test_address_counter_spans_users(registry: Registry) -> None:
    now = [NOW]
    t = _throttle(registry, now)
    for i in range(6):  # 5 free per address
        t.begin(f"user{i}", "6.6.6.6")
    assert _refused(t, "someone-else", "6.6.6.6") == 10
    t.begin("someone-else", "7.7.7.7")
    registry.close()


def test_successes_from_one_address_never_add_up(registry: Registry) -> None:
    """People behind one NAT address: each success takes back its own count on the address."""
    now = [NOW]
    t = _throttle(registry, now)
    for i in range(20):
        t.begin(f"user{i}", "9.9.9.9")
        t.succeeded(f"user{i}", "9.9.9.9")
    assert _rows(registry) == {("address", "9.9.9.9"): 0}
    registry.close()


def test_window_forgives_and_prune_drops_idle_rows(registry: Registry) -> None:
    now = [NOW]
    t = _throttle(registry, now)
    t.begin("ann", "1.2.3.4")
    t.begin("ann", "1.2.3.4")
    now[0] += 1001  # a whole window later: the lock ran out and the count starts again
    t.begin("ann", "1.2.3.4")
    assert _rows(registry)[("pair", "1.2.3.4 ann")] == 1
    t.begin("carl", "4.4.4.4")
    now[0] += 2000  # next begin prunes (once a minute at most): every idle row goes
    t.begin("dora", "8.8.8.8")
    assert set(_rows(registry)) == {
        ("pair", "8.8.8.8 dora"),
        ("user", "dora"),
        ("address", "8.8.8.8"),
    }
    registry.close()


def test_prune_keeps_rows_whose_lock_still_runs(registry: Registry) -> None:
    now = [NOW]
    t = _throttle(registry, now, throttle_max_s=5000, throttle_base_s=5000, throttle_window_s=5000)
    t.begin("ann", "1.2.3.4")
    t.begin("ann", "1.2.3.4")  # locked for 5000 s
    now[0] += 4000
    from cloud_hub.registry import logins

    with registry.session() as s:  # idle "for a window" by a shorter cut-off, but still locked
        assert logins.prune(s, now[0] - 100, now[0]) == 2  # user and address rows only
    assert _refused(t, "ann", "1.2.3.4") == pytest.approx(1000)
    registry.close()


def test_window_shorter_than_max_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="throttle_window_s"):
        AuthSettings(throttle_max_s=900, throttle_window_s=899)


def test_two_registries_on_one_database_count_every_concurrent_try(registry_url: str) -> None:
    """Two hub replicas (two engines on one database), 20 simultaneous tries at one account:
    the free ones pass, the one that reaches the limit passes and locks, all others wait."""
    replicas = [Registry.open(registry_url), Registry.open(registry_url)]
    now = [NOW]
    throttles = [_throttle(r, now) for r in replicas]
    start = threading.Barrier(20)
    passed: list[int] = []
    refused: list[float] = []

    def attempt(i: int) -> None:
        start.wait()
        try:
            throttles[i % 2].begin("ann", f"10.1.0.{i}")  # the user counter: 3 free
            passed.append(i)
        except TooManyAttempts as e:
            refused.append(e.retry_after_s)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(passed) == 4 and len(refused) == 16
    assert {p % 2 for p in passed} <= {0, 1} and set(refused) == {10}
    with replicas[1].session() as s:
        count = s.scalar(
            select(func.sum(LoginCounter.failures)).where(LoginCounter.scope == "user")
        )
    assert count == 4
    for r in replicas:
        r.close()


def test_two_app_instances_share_the_lock_out(registry_url: str, tmp_path: Path) -> None:
    """Failed logins spread over two hub apps on one registry add up (and a restart would see
    them too: the counts live in the database, not in a process)."""
    apps = [
        create_app(HubSettings(data_dir=tmp_path / name, registry={"url": registry_url}))
        for name in ("a", "b")
    ]
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        apps[0].state.hub.auth.create_user("test", "ann", "correct horse battery", "viewer")
        bad = {"username": "ann", "password": "wrong password!"}
        for client in (a, b, a, b):  # 3 free per user and address: the 4th locks for 1 s
            assert client.post("/api/v1/auth/login", json=bad).status_code == 401
        good = {"username": "ann", "password": "correct horse battery"}
        r = a.post("/api/v1/auth/login", json=good)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        r = b.post("/api/v1/auth/login", json=good)
        assert r.status_code == 429
