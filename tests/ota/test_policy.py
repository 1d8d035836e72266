"""Pure decisions: window, attempts, clock floor, recovery, shadow statistics."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta

import pytest

from edge_agent.update.policy import UpdatePolicy, in_window, refusal, spent
from edge_agent.update.shadow import agreement
from edge_agent.update.state import INTERRUPTIBLE, UpdateState, recovery


@pytest.mark.parametrize(("now", "start", "end", "inside"), [
    (time(3), time(2), time(4), True), (time(4), time(2), time(4), False),
    (time(1), time(2), time(4), False), (time(23), time(22), time(2), True),
    (time(1), time(22), time(2), True), (time(12), time(22), time(2), False),
    (time(12), None, None, True),
])  # fmt: skip
def test_window(now: time, start: time | None, end: time | None, inside: bool) -> None:
    assert in_window(now, start, end) is inside


def test_attempts_and_clock_floor() -> None:
    policy = UpdatePolicy(max_attempts=2)
    assert not spent(policy, 1) and spent(policy, 2)
    floor = datetime(2026, 11, 30, tzinfo=UTC)
    assert refusal(policy, floor - timedelta(minutes=4), floor) is None
    assert "behind" in (refusal(policy, floor - timedelta(minutes=6), floor) or "")
    assert refusal(policy, floor, None) is None
    night = UpdatePolicy(window_start=time(2), window_end=time(4))
    assert refusal(night, floor.replace(hour=12), None) == "outside the update window"


@pytest.mark.parametrize("phase", sorted(INTERRUPTIBLE))
def test_unfinished_install_is_abandoned(phase: str) -> None:
    assert recovery(UpdateState(phase=phase)) == "abandon"


def test_activation_is_confirmed_others_left_alone() -> None:
    assert recovery(UpdateState(phase="activating")) == "confirm"
    for phase in ("idle", "active", "failed", "rolled_back"):
        assert recovery(UpdateState(phase=phase)) == "none"


def test_agreement_statistics() -> None:
    s = agreement([10.0, 20.0, 30.0, 40.0], [11.0, 19.0, 33.0, 40.0], tolerance=1.0)
    assert s.n == 4
    assert s.mean_abs_diff == pytest.approx(1.25)
    assert s.bias == pytest.approx(0.75)
    assert s.within_tolerance == pytest.approx(0.75)
    assert s.correlation is not None and 0.98 < s.correlation <= 1.0
    assert agreement([5.0, 5.0], [6.0, 7.0], 0.5).correlation is None


@pytest.mark.parametrize(("old", "new", "tol", "match"), [
    ([], [], 1.0, "no frames"), ([1.0], [1.0, 2.0], 1.0, "equal-length"),
    ([math.nan], [1.0], 1.0, "finite"), ([1.0], [1.0], -1.0, "tolerance"),
])  # fmt: skip
def test_agreement_refuses_bad_input(
    old: list[float], new: list[float], tol: float, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        agreement(old, new, tol)
