"""The champion/challenger gate and the mix arithmetic: pure functions, tested exhaustively."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from training.errors import DatasetError
from training.mix import MixConfig, draw, mix_counts
from training.retrain.config import GateConfig, RolloutConfig
from training.retrain.policy import decide, relative

GATE = GateConfig(min_improvement=0.05, band_tolerance=0.10, min_band_frames=10,
                  sim_tolerance=0.25, min_field_frames=30)  # fmt: skip


def ev(rmse: float, bands: dict[str, tuple[float, int]], n: int = 100) -> dict[str, object]:
    return {"overall": {"n": float(n), "rmse": rmse},
            "by_band": {b: {"rmse": r, "n": float(k)} for b, (r, k) in bands.items()}}  # fmt: skip


def test_a_better_challenger_is_promoted() -> None:
    old = ev(20.0, {"9-35.4": (10.0, 60), "35.5-55.4": (30.0, 40)})
    new = ev(15.0, {"9-35.4": (8.0, 60), "35.5-55.4": (31.0, 40)})  # +3 % in one band: tolerated
    d = decide(old, new, ev(50.0, {}), ev(55.0, {}), GATE)
    assert d.promote, d.reasons
    assert all(r.startswith("ok") for r in d.reasons)


def test_too_small_a_gain_is_refused_and_says_so() -> None:
    d = decide(ev(20.0, {}), ev(19.2, {}), None, None, GATE)  # −4 %
    assert not d.promote
    assert any(r.startswith("FAILED: field RMSE gain") for r in d.reasons)


def test_a_worse_band_refuses_even_with_a_better_total() -> None:
    old = ev(20.0, {"9-35.4": (10.0, 60), "55.5-125.4": (40.0, 12)})
    new = ev(15.0, {"9-35.4": (5.0, 60), "55.5-125.4": (45.0, 12)})  # +12.5 % > 10 %
    d = decide(old, new, None, None, GATE)
    assert not d.promote
    assert [c.name for c in d.checks if not c.passed] == ["band 55.5-125.4"]


def test_a_band_with_few_frames_is_reported_but_not_gated() -> None:
    old = ev(20.0, {"125.5+": (40.0, 3)})
    new = ev(15.0, {"125.5+": (90.0, 3)})
    d = decide(old, new, None, None, GATE)
    assert d.promote
    assert any("125.5+" in r and "not gated" in r for r in d.reasons)


def test_forgetting_the_simulated_cameras_refuses() -> None:
    d = decide(ev(20.0, {}), ev(15.0, {}), ev(40.0, {}), ev(51.0, {}), GATE)  # sim +27.5 %
    assert not d.promote
    assert [c.name for c in d.checks if not c.passed] == ["held-out sim cameras"]


def test_too_little_field_data_never_promotes() -> None:
    d = decide(ev(20.0, {}, n=29), ev(10.0, {}, n=29), None, None, GATE)
    assert not d.promote
    assert "29 frames" in d.reasons[0]


@given(st.floats(0.1, 100.0), st.floats(0.1, 100.0))
def test_promotion_matches_the_margin_exactly(old: float, new: float) -> None:
    d = decide(ev(old, {}), ev(new, {}), None, None, GATE)
    assert d.promote == ((old - new) / old >= GATE.min_improvement)


def test_relative_handles_zero() -> None:
    assert relative(0.0, 0.0) == 0.0
    assert relative(1.0, 0.0) == float("inf")
    assert relative(5.0, 4.0) == pytest.approx(0.25)


def test_mix_counts_follow_the_proportions() -> None:
    assert mix_counts(300, 100, MixConfig(real=0.5, sim=0.5)) == (200, 200)
    assert mix_counts(300, 100, MixConfig(real=0.25, sim=0.75, frames=80)) == (60, 20)
    assert mix_counts(300, 0, MixConfig(real=0.5, sim=0.5)) == (300, 0)  # no field rows yet
    assert mix_counts(0, 50, MixConfig(real=0.5, sim=0.5)) == (0, 50)
    with pytest.raises(DatasetError, match="only for a source that has no training rows"):
        mix_counts(300, 0, MixConfig(real=1.0, sim=0.0))


def test_mix_proportions_must_sum_to_one() -> None:
    with pytest.raises(ValidationError, match="must be 1"):
        MixConfig(real=0.5, sim=0.4)


@given(st.integers(1, 50), st.integers(0, 200))
def test_draw_oversamples_evenly_and_never_invents_rows(n: int, count: int) -> None:
    rows = np.arange(100, 100 + n, dtype=np.intp)
    got = draw(rows, count, np.random.default_rng(0))
    assert len(got) == count
    assert set(got.tolist()) <= set(rows.tolist())
    per_row = np.bincount(got - 100, minlength=n)
    assert per_row.max() - per_row.min() <= 1  # every row used ⌊c/n⌋ or ⌈c/n⌉ times


def test_rollout_stages_are_checked() -> None:
    assert RolloutConfig(stages=(0.05, 1.0)).stages == (0.05, 1.0)
    for bad in ((0.5, 0.2, 1.0), (0.05, 0.5), (0.0, 1.0), ()):
        with pytest.raises(ValidationError, match="stages"):
            RolloutConfig(stages=bad)
