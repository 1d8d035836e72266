"""Backoff policy: growth, cap, jitter bounds, reset, config validation."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from edge_agent.backoff import Backoff, BackoffConfig


def test_grows_by_factor_until_cap_without_jitter() -> None:
    b = Backoff(initial_s=1.0, max_s=10.0, factor=2.0, jitter=0.0)
    assert [b.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_reset_starts_over() -> None:
    b = Backoff(initial_s=0.5, max_s=10.0, factor=3.0, jitter=0.0)
    b.next_delay(), b.next_delay()
    b.reset()
    assert b.next_delay() == 0.5


def test_factor_one_is_constant() -> None:
    b = Backoff(initial_s=2.0, max_s=10.0, factor=1.0, jitter=0.0)
    assert {b.next_delay() for _ in range(50)} == {2.0}


def test_many_failures_do_not_overflow() -> None:
    b = Backoff(initial_s=1.0, max_s=30.0, factor=10.0, jitter=0.0, attempts=100_000)
    assert b.next_delay() == 30.0


def test_jitter_spreads_delays() -> None:
    b = Backoff(initial_s=8.0, max_s=8.0, jitter=0.5, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(200)]
    assert min(delays) >= 4.0 and max(delays) <= 8.0
    assert max(delays) - min(delays) > 3.0  # really random, not a constant


@given(
    initial=st.floats(0.01, 10.0),
    extra=st.floats(0.0, 100.0),
    factor=st.floats(1.0, 5.0),
    jitter=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32),
    n=st.integers(1, 40),
)
def test_delays_bounded_and_ceiling_monotonic(  # noqa: PLR0917 (hypothesis arguments)
    initial: float, extra: float, factor: float, jitter: float, seed: int, n: int
) -> None:
    b = Backoff(initial, initial + extra, factor, jitter, random.Random(seed))
    ceilings = []
    for _ in range(n):
        ceilings.append(b.ceiling())
        d = b.next_delay()
        assert (1.0 - jitter) * ceilings[-1] - 1e-9 <= d <= ceilings[-1] + 1e-9
        assert d <= initial + extra + 1e-9
    assert ceilings == sorted(ceilings)


@pytest.mark.parametrize(
    "kwargs",
    [{"initial_s": 0.0}, {"initial_s": 5.0, "max_s": 1.0}, {"factor": 0.5}, {"jitter": 1.5}],
)
def test_invalid_numbers_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        BackoffConfig(**kwargs)
    with pytest.raises(ValidationError):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_from_config() -> None:
    cfg = BackoffConfig(initial_s=2.0, max_s=3.0, jitter=0.0)
    b = Backoff.from_config(cfg)
    assert [b.next_delay() for _ in range(3)] == [2.0, 3.0, 3.0]
