"""The champion/challenger decision: pure, from two evaluations on the same held-out data.

Promote only when, on held-out field cameras, the challenger's RMSE is at least
`min_improvement` below the champion's, no PM band with enough frames is worse by more than
`band_tolerance`, and the held-out simulated cameras are not worse by more than `sim_tolerance`
(a guard against forgetting conditions the field has not shown yet). Every check gives a reason,
passed or not, so the report can say exactly why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from training.retrain.config import GateConfig

Metrics = Mapping[str, object]


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Decision:
    promote: bool
    checks: tuple[Check, ...]

    @property
    def reasons(self) -> list[str]:
        return [f"{'ok' if c.passed else 'FAILED'}: {c.name}: {c.detail}" for c in self.checks]


def _rmse(m: Metrics) -> float:
    overall = m["overall"]
    assert isinstance(overall, Mapping)
    return float(overall["rmse"])


def _bands(m: Metrics) -> Mapping[str, Mapping[str, float]]:
    bands = m["by_band"]
    assert isinstance(bands, Mapping)
    return bands


def relative(new: float, old: float) -> float:
    """(new − old) / old; 0 when both are 0, +inf when only old is 0."""
    if old == 0.0:
        return 0.0 if new == 0.0 else float("inf")
    return (new - old) / old


def decide(champion: Metrics, challenger: Metrics, sim_champion: Metrics | None,
           sim_challenger: Metrics | None, gate: GateConfig) -> Decision:  # fmt: skip
    """Field metrics decide; sim metrics (when both given) guard; see the module docstring."""
    checks: list[Check] = []
    overall = champion["overall"]
    assert isinstance(overall, Mapping)
    n = int(overall.get("n", 0))
    checks.append(Check("enough held-out field frames", n >= gate.min_field_frames,
                        f"{n} frames (need {gate.min_field_frames})"))  # fmt: skip
    old, new = _rmse(champion), _rmse(challenger)
    gain = -relative(new, old)
    checks.append(Check("field RMSE gain", gain >= gate.min_improvement,
                        f"{old:.2f} → {new:.2f} µg/m³ ({-100 * gain:+.1f} %, need ≤ "
                        f"{-100 * gate.min_improvement:+.1f} %)"))  # fmt: skip
    old_b, new_b = _bands(champion), _bands(challenger)
    for band, row in old_b.items():
        if band not in new_b:
            continue
        count = int(row.get("n", 0))
        loss = relative(float(new_b[band]["rmse"]), float(row["rmse"]))
        detail = (f"{row['rmse']:.2f} → {new_b[band]['rmse']:.2f} ({100 * loss:+.1f} %, "
                  f"tolerance +{100 * gate.band_tolerance:.0f} %, n={count})")  # fmt: skip
        if count < gate.min_band_frames:
            checks.append(Check(f"band {band}", True, detail + " — too few frames, not gated"))
        else:
            checks.append(Check(f"band {band}", loss <= gate.band_tolerance, detail))
    if sim_champion is not None and sim_challenger is not None:
        old_s, new_s = _rmse(sim_champion), _rmse(sim_challenger)
        loss = relative(new_s, old_s)
        checks.append(Check("held-out sim cameras", loss <= gate.sim_tolerance,
                            f"{old_s:.2f} → {new_s:.2f} ({100 * loss:+.1f} %, tolerance "
                            f"+{100 * gate.sim_tolerance:.0f} %)"))  # fmt: skip
    return Decision(all(c.passed for c in checks), tuple(checks))
