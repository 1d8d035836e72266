"""Stage gates: every decision (advance, hold, fail) and every way a device counts as failed."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from cloud_hub.rollouts.gates import DeviceReport, Gates, Shadow, classify, decide

NOW = 100_000.0
G = Gates(min_reported=2, max_failure_rate=0.25, silent_timeout_s=600, heartbeat_max_age_s=300,
          max_outbox_age_s=120, min_shadow_agreement=0.8, max_shadow_mad=5.0,
          max_reference_mae=8.0)  # fmt: skip


def healthy(i: int, **kw: object) -> DeviceReport:
    base = DeviceReport(f"cam-{i}", "updated", notified_at=NOW - 1000, last_heard_at=NOW - 10,
                        outbox_age_s=5, shadow=Shadow(n=100, mad=1.0, within=0.97),
                        reference_mae=3.0)  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def test_all_updated_and_healthy_advances() -> None:
    v = decide([healthy(i) for i in range(4)], G, NOW)
    assert v.verdict == "advance" and v.reasons == ()
    assert (v.cohort, v.updated, v.failed, v.waiting) == (4, 4, 0, 0)
    assert v.shadow_agreement == 0.97 and v.reference_mae == 3.0


def test_an_empty_cohort_advances() -> None:
    assert decide([], G, NOW).verdict == "advance"


def test_updating_within_the_timeout_holds_and_past_it_fails() -> None:
    slow = healthy(9, state="updating", notified_at=NOW - 500, last_heard_at=None, shadow=None)
    v = decide([healthy(1), healthy(2), healthy(3), slow], G, NOW)
    assert v.verdict == "hold" and "still updating" in v.reasons[0]
    silent = replace(slow, notified_at=NOW - 601)
    assert classify(silent, G, NOW) == ("failed", "silent for 601 s after the notice")
    # one of four failed = 25 %, not above the threshold: the stage may still advance
    assert decide([healthy(1), healthy(2), healthy(3), silent], G, NOW).verdict == "advance"
    # two of four: over the threshold, fail at once
    v = decide([healthy(1), healthy(2), silent, replace(silent, device_id="cam-8")], G, NOW)
    assert v.verdict == "fail" and v.reasons[0].startswith("failure rate 50%")
    assert set(v.failures) == {"cam-9", "cam-8"}


def test_a_device_heard_recently_is_not_silent() -> None:
    busy = healthy(1, state="updating", notified_at=NOW - 5000, last_heard_at=NOW - 100)
    assert classify(busy, G, NOW) == ("waiting", None)


def test_reported_failure_counts() -> None:
    failed = healthy(5, state="failed", reason="refused: tampered file")
    assert classify(failed, G, NOW) == ("failed", "refused: tampered file")
    v = decide([healthy(1), healthy(2), failed], G, NOW)
    assert v.verdict == "fail" and v.failures == {"cam-5": "refused: tampered file"}


def test_health_after_update() -> None:
    assert classify(healthy(1, error_codes=("model_load_failed",)), G, NOW)[1] == (
        "model_load_failed after the update"
    )
    assert classify(healthy(1, last_heard_at=NOW - 301), G, NOW)[1] == (
        "no heartbeat since the update"
    )
    assert classify(healthy(1, last_heard_at=None), G, NOW)[0] == "failed"
    assert classify(healthy(1, outbox_age_s=121), G, NOW)[1] == "outbox not draining (121 s old)"
    assert classify(healthy(1, error_codes=("camera_unavailable",)), G, NOW)[0] == "updated"


def test_too_few_reports_hold() -> None:
    lonely = [healthy(1), healthy(2, state="pending", notified_at=None)]
    v = decide(lonely, G, NOW)
    assert v.verdict == "hold"
    assert "1 device(s) still updating" in v.reasons
    # min_reported is capped by the cohort size: a one-device stage can pass
    assert decide([healthy(1)], G, NOW).verdict == "advance"


def test_wild_shadow_disagreement_fails_even_with_every_device_healthy() -> None:
    wild = [healthy(i, shadow=Shadow(n=100, mad=40.0, within=0.1)) for i in range(3)]
    v = decide(wild, G, NOW)
    assert v.verdict == "fail"
    assert any(r.startswith("shadow agreement 10%") for r in v.reasons)
    assert any(r.startswith("shadow mean difference 40.0") for r in v.reasons)


def test_shadow_is_weighted_by_frames() -> None:
    mixed = [healthy(1, shadow=Shadow(n=900, mad=1, within=0.9)),
             healthy(2, shadow=Shadow(n=100, mad=1, within=0.0))]  # fmt: skip
    v = decide(mixed, G, NOW)
    assert v.shadow_agreement is not None and abs(v.shadow_agreement - 0.81) < 1e-9
    assert v.verdict == "advance"


def test_reference_error_gate() -> None:
    v = decide([healthy(1, reference_mae=12.0), healthy(2, reference_mae=6.0)], G, NOW)
    assert v.verdict == "fail" and v.reasons == ("reference error 9.0 > 8.0 µg/m³",)
    off = Gates(max_reference_mae=None, min_shadow_agreement=None)
    assert decide([healthy(1, reference_mae=50.0)], off, NOW).verdict == "advance"


@given(
    states=st.lists(st.sampled_from(["pending", "updating", "updated", "failed"]), max_size=30),
    rate=st.floats(0, 1),
)
def test_verdict_is_consistent_with_counts(states: list[str], rate: float) -> None:
    gates = Gates(min_reported=1, max_failure_rate=rate, min_shadow_agreement=None)
    devices = [
        healthy(i, state=s, notified_at=None if s == "pending" else NOW - 10)
        for i, s in enumerate(states)
    ]
    v = decide(devices, gates, NOW)
    assert v.updated + v.failed + v.waiting == v.cohort == len(states)
    if v.cohort and v.failed / v.cohort > rate:
        assert v.verdict == "fail"
    elif v.waiting or v.updated < min(1, v.cohort):
        assert v.verdict == "hold"
    else:
        assert v.verdict == "advance"


def test_updated_devices_soak_before_the_stage_advances() -> None:
    soak = Gates(soak_s=600, min_shadow_agreement=None)
    fresh = healthy(1, updated_at=NOW - 100)
    v = decide([fresh, healthy(2, updated_at=NOW - 700)], soak, NOW)
    assert v.verdict == "hold" and v.reasons == ("1 device(s) soaking (600 s)",)
    assert decide([replace(fresh, updated_at=NOW - 601)], soak, NOW).verdict == "advance"
