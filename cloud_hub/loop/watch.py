"""Drift watch per device: PSI of each signal, recent window vs the model's reference histogram
(its training frames, from the release) or else the device's own baseline window; error against a
co-located monitor. Reading signals come from the series store, haze features from the
heartbeats' histograms. Results are kept per device and signal; rules of kind ``drift`` fire and
resolve alerts through the alert machinery (events, MQTT notice, webhook)."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from cloud_hub.alerts import notify
from cloud_hub.errors import HubError
from cloud_hub.loop import calibration, drift, labels, queries
from cloud_hub.loop.settings import LoopSettings
from cloud_hub.loop.tables import DriftReference, DriftResult
from cloud_hub.registry import Registry
from cloud_hub.registry import alerts as alert_repo
from cloud_hub.registry import devices as device_repo
from cloud_hub.registry.models import AlertEvent, AlertRule, Device
from cloud_hub.series import SeriesStore, StoredReading
from pm25.wire import AlertNotice

log = logging.getLogger(__name__)


def _hists(rows: Sequence[StoredReading]) -> dict[str, list[int]]:
    return drift.signal_histograms(
        [r.pm25 for r in rows], [r.pm25_sd for r in rows], [r.flags for r in rows]
    )


def evaluate_device(
    registry: Registry, series: SeriesStore, s: LoopSettings, device_id: str, now: float
) -> list[DriftResult]:
    """Compute and store this device's drift results (signals without enough data are left out)."""
    d = s.drift
    recent = queries.device_readings(series, device_id, now - d.window_s, now)
    if len(recent) < d.min_n:
        return []
    mv = recent[-1].model_version
    with registry.session() as db:
        refs = {
            r.signal: r.counts
            for r in db.scalars(select(DriftReference).where(DriftReference.model_version == mv))
        }
        device = db.get(Device, device_id)
        close = labels.nearby(
            device.lat if device else None, device.lon if device else None,
            queries.monitors(db), s.labels.max_km,
        )  # fmt: skip
        ref_readings = (
            [(r.t, r.pm25) for r in queries.reference(db, close[0][1].id, now - d.window_s, now)]
            if close
            else []
        )
        # Haze features come binned in heartbeats (devices send no per-frame features).
        base_start, base_end = now - d.window_s - d.baseline_s, now - d.window_s
        now_haze = drift.sum_haze(queries.heartbeats(db, device_id, base_end, now))
        base_haze = drift.sum_haze(queries.heartbeats(db, device_id, base_start, base_end))
    base = queries.device_readings(series, device_id, base_start, base_end)
    base_h = _hists(base) if len(base) >= d.min_n else {}
    base_h |= {k: v for k, v in base_haze.items() if sum(v) >= d.min_n}
    now_h = _hists(recent) | {k: v for k, v in now_haze.items() if sum(v) >= d.min_n}
    results: list[DriftResult] = []
    for signal in drift.SIGNALS:
        expected, baseline = (
            (refs[signal], f"model:{mv}") if signal in refs else (base_h.get(signal), "device")
        )
        actual = now_h.get(signal)
        if expected is None or actual is None or len(expected) != len(actual):
            continue
        value = drift.psi(expected, actual)
        results.append(_result(device_id, signal, value, d.psi_alert, sum(actual), baseline, now))
    pairs = calibration.pair(
        [(float(r.captured_at), r.pm25) for r in recent], ref_readings, s.labels.tolerance_s
    )
    if len(pairs) >= s.calibration.min_pairs:
        mae = statistics.fmean(abs(a - b) for a, b in pairs)
        results.append(_result(device_id, "error", mae, d.mae_alert, len(pairs), "reference", now))
    with registry.session() as db:
        for r in results:
            db.merge(r)
    return results


def _result(  # noqa: PLR0917 - one row's columns
    device_id: str, signal: str, value: float, threshold: float, n: int, baseline: str, now: float
) -> DriftResult:
    return DriftResult(
        device_id=device_id, signal=signal, statistic=round(value, 4), threshold=threshold,
        n=n, baseline=baseline, drifted=value >= threshold, at=now,
    )  # fmt: skip


def alert(registry: Registry, publish: Callable[..., None], now: float) -> list[AlertNotice]:
    """Fire or resolve every enabled ``drift`` rule from the stored drift results."""
    notices: list[AlertNotice] = []
    with registry.session() as db:
        rules = [r for r in alert_repo.list_rules(db, enabled_only=True) if r.kind == "drift"]
    for rule in rules:
        with registry.session() as db:
            scoped = [
                d.id
                for d in device_repo.list_devices(db, zone_id=rule.zone_id)
                if d.status != "revoked" and rule.device_id in (None, d.id)
            ]
            drifted: dict[str, list[str]] = {}
            for r in db.scalars(select(DriftResult).where(DriftResult.device_id.in_(scoped))):
                if r.drifted:
                    drifted.setdefault(r.device_id, []).append(
                        f"{r.signal} {r.statistic:g} >= {r.threshold:g}"
                    )
            open_now = alert_repo.open_events(db, rule.id)
            fired: list[AlertNotice] = []
            for device_id in scoped:
                event = open_now.get(device_id)
                if device_id in drifted and event is None:
                    message = "drift: " + "; ".join(sorted(drifted[device_id]))
                    db.add(
                        AlertEvent(
                            rule_id=rule.id, device_id=device_id, fired_at=now, message=message
                        )
                    )
                    fired.append(_notice(rule, device_id, "firing", message, now))
                elif device_id not in drifted and event is not None:
                    event.resolved_at = now
                    fired.append(_notice(rule, device_id, "resolved", event.message, now))
        for n in fired:
            _deliver(publish, rule, n)
        notices += fired
    return notices


def _notice(rule: AlertRule, device_id: str, state: str, message: str, now: float) -> AlertNotice:
    return AlertNotice(
        rule_id=rule.id, rule=rule.name, kind=rule.kind, device_id=device_id,
        state=state, message=message[:200], t=datetime.fromtimestamp(now, UTC),
    )  # fmt: skip


def _deliver(publish: Callable[..., None], rule: AlertRule, notice: AlertNotice) -> None:
    try:
        notify.publish_notice(publish, notice)
        if rule.webhook_url:
            notify.post_webhook(rule.webhook_url, notice, retries=2, timeout_s=5.0)
    except HubError as e:
        log.warning("drift alert not delivered", extra={"rule_id": rule.id, "error": str(e)})
