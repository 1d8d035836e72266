"""Stage gates: from what the cohort's devices reported to advance, hold or fail. Pure, no I/O.

Every device of the stage's cohort is in one of four conditions (see :func:`classify`):
waiting (not yet told, or updating within its timeout), updated (running the release, healthy),
failed (reported a failure, went silent past the timeout, or unhealthy after the update).

Decision, in this order:

1. **fail** when the failures already exceed ``max_failure_rate`` of the cohort (waiting longer
   cannot bring the rate back), when the shadow-run agreement of the devices that reported one is
   below ``min_shadow_agreement`` or its mean absolute difference above ``max_shadow_mad``, or when
   the error against co-located reference monitors is above ``max_reference_mae``;
2. **hold** while devices are waiting or soaking (updated less than ``soak_s`` ago), or fewer
   than ``min_reported`` devices (at most the cohort size) have updated;
3. **advance** otherwise (the last stage's advance completes the rollout).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Condition = Literal["waiting", "updated", "failed"]
Verdict = Literal["advance", "hold", "fail"]
MODEL_LOAD_FAILED = "model_load_failed"


class Gates(BaseModel):
    """Thresholds a stage must meet before the next one starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_reported: int = Field(
        default=1, ge=0, le=100_000, description="Updated devices needed (capped by cohort size)."
    )
    max_failure_rate: float = Field(
        default=0.1, ge=0, le=1, description="Largest tolerated share of failed devices."
    )
    silent_timeout_s: float = Field(
        default=3600, gt=0, le=30 * 86400, description="Notified and unheard this long = failed."
    )
    heartbeat_max_age_s: float = Field(
        default=900, gt=0, description="An updated device must have sent a heartbeat this recently."
    )
    max_outbox_age_s: float = Field(
        default=600, gt=0, description="Oldest unsent reading after update: older = outbox growing."
    )
    min_shadow_agreement: float | None = Field(
        default=0.8, ge=0, le=1, description="Least share of shadow frames within tolerance."
    )
    max_shadow_mad: float | None = Field(
        default=None, ge=0, description="Largest mean |new - old| in the shadow run, µg/m³."
    )
    max_reference_mae: float | None = Field(
        default=None, ge=0, description="Largest error against co-located reference monitors."
    )
    soak_s: float = Field(
        default=0, ge=0, le=30 * 86400, description="Updated devices run this long before advance."
    )


@dataclass(frozen=True, slots=True)
class Shadow:
    n: int
    mad: float
    within: float


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """One cohort device, as the evaluator collected it. Times are unix seconds."""

    device_id: str
    state: Literal["pending", "updating", "updated", "failed"]
    notified_at: float | None = None
    last_heard_at: float | None = None  # last heartbeat, ack or status after the notice
    reason: str | None = None
    error_codes: tuple[str, ...] = ()
    outbox_age_s: float | None = None
    shadow: Shadow | None = None
    reference_mae: float | None = None
    updated_at: float | None = None  # when the hub first saw it on the release


@dataclass(frozen=True, slots=True)
class Verdicts:
    """The decision with the gate values it was made on (shown live by the API)."""

    verdict: Verdict
    reasons: tuple[str, ...]
    cohort: int
    updated: int
    failed: int
    waiting: int
    failure_rate: float
    shadow_agreement: float | None
    shadow_mad: float | None
    reference_mae: float | None
    failures: dict[str, str] = field(default_factory=dict)


def classify(d: DeviceReport, gates: Gates, now: float) -> tuple[Condition, str | None]:
    """The device's condition and, for a failure, why."""
    if d.state == "failed":
        return "failed", d.reason or "update failed"
    if d.state == "pending" or d.notified_at is None:
        return "waiting", None
    heard = max(d.notified_at, d.last_heard_at or d.notified_at)
    if d.state == "updating":
        if now - heard > gates.silent_timeout_s:
            return "failed", f"silent for {now - heard:.0f} s after the notice"
        return "waiting", None
    if MODEL_LOAD_FAILED in d.error_codes:
        return "failed", "model_load_failed after the update"
    if d.last_heard_at is None or now - d.last_heard_at > gates.heartbeat_max_age_s:
        return "failed", "no heartbeat since the update"
    if d.outbox_age_s is not None and d.outbox_age_s > gates.max_outbox_age_s:
        return "failed", f"outbox not draining ({d.outbox_age_s:.0f} s old)"
    return "updated", None


def decide(devices: Sequence[DeviceReport], gates: Gates, now: float) -> Verdicts:
    """Advance, hold or fail the stage whose cohort is ``devices``."""
    cond = {d.device_id: classify(d, gates, now) for d in devices}
    failures = {i: why or "" for i, (c, why) in cond.items() if c == "failed"}
    updated = sum(1 for c, _ in cond.values() if c == "updated")
    waiting = sum(1 for c, _ in cond.values() if c == "waiting")
    cohort = len(devices)
    rate = len(failures) / cohort if cohort else 0.0
    shadows = [d.shadow for d in devices if d.shadow is not None and d.shadow.n > 0]
    frames = sum(s.n for s in shadows)
    agreement = sum(s.within * s.n for s in shadows) / frames if frames else None
    mad = sum(s.mad * s.n for s in shadows) / frames if frames else None
    refs = [d.reference_mae for d in devices if d.reference_mae is not None]
    ref = sum(refs) / len(refs) if refs else None
    fail: list[str] = []
    if rate > gates.max_failure_rate:
        fail.append(f"failure rate {rate:.0%} > {gates.max_failure_rate:.0%}")
    low = gates.min_shadow_agreement
    if agreement is not None and low is not None and agreement < low:
        fail.append(f"shadow agreement {agreement:.0%} < {low:.0%}")
    if mad is not None and gates.max_shadow_mad is not None and mad > gates.max_shadow_mad:
        fail.append(f"shadow mean difference {mad:.1f} > {gates.max_shadow_mad:.1f} µg/m³")
    if ref is not None and gates.max_reference_mae is not None and ref > gates.max_reference_mae:
        fail.append(f"reference error {ref:.1f} > {gates.max_reference_mae:.1f} µg/m³")
    hold: list[str] = []
    if waiting:
        hold.append(f"{waiting} device(s) still updating")
    soaking = sum(
        1
        for d in devices
        if cond[d.device_id][0] == "updated"
        and d.updated_at is not None
        and now - d.updated_at < gates.soak_s
    )
    if soaking:
        hold.append(f"{soaking} device(s) soaking ({gates.soak_s:.0f} s)")
    need = min(gates.min_reported, cohort)
    if updated < need:
        hold.append(f"{updated} of {need} required device(s) updated")
    verdict: Verdict = "fail" if fail else "hold" if hold else "advance"
    return Verdicts(
        verdict=verdict,
        reasons=tuple(fail or hold),
        cohort=cohort,
        updated=updated,
        failed=len(failures),
        waiting=waiting,
        failure_rate=rate,
        shadow_agreement=agreement,
        shadow_mad=mad,
        reference_mae=ref,
        failures=failures,
    )
