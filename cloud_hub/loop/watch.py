"""Drift watch per device. What alerts is what "this camera changed" or "this camera is outside
what the model was trained on" means for one camera:

- ``change``: PSI of each signal, recent window vs the device's own baseline window before it;
- ``outside``: per haze feature, the share of the window's frames in bins the model's training
  frames (almost) never reached (needs a training reference with the tail bins);
- ``error``: mean absolute error against a co-located monitor.

``training`` rows (PSI vs the model's training reference) are information: the reference spans
hundreds of cameras and one camera sees a slice of it, so a healthy camera's PSI against it is
large. The whole fleet is compared with the training data in ``cloud_hub.loop.fleet``. Flags
have no training counterpart (training frames do not pass the edge gate): only ``change``.
Reading signals come from the series store, haze features from the heartbeats' histograms;
rules of kind ``drift`` fire and resolve alerts through the alert machinery."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import delete, select

from cloud_hub.alerts.delivery import Deliverer, channels
from cloud_hub.loop import calibration, drift, labels, queries
from cloud_hub.loop.settings import DriftSettings, LoopSettings
from cloud_hub.loop.tables import DriftReference, DriftResult, FleetDrift
from cloud_hub.registry import Registry, deliveries
from cloud_hub.registry import alerts as alert_repo
from cloud_hub.registry import devices as device_repo
from cloud_hub.registry.models import AlertEvent, AlertRule, Device
from cloud_hub.series import SeriesStore, StoredReading
from pm25.drift_bins import DECILE_BINS, HAZE_SIGNALS, deciles
from pm25.wire import AlertNotice

log = logging.getLogger(__name__)

FLEET_ID: Final = "_fleet"  # the alert events' device id of fleet-level drift (docs: reserved)


@dataclass
class Window:
    """A device's data in one window: reading histograms and summed haze histograms."""

    model_version: int | None
    readings: Sequence[StoredReading]
    haze: dict[str, drift.Haze]

    def psi_histograms(self, min_n: int) -> dict[str, list[int]]:
        """Histograms with at least ``min_n`` counts; haze in the deciles layout."""
        out = _hists(self.readings) if len(self.readings) >= min_n else {}
        return out | {k: v.deciles for k, v in self.haze.items() if sum(v.deciles) >= min_n}


def _hists(rows: Sequence[StoredReading]) -> dict[str, list[int]]:
    return drift.signal_histograms(
        [r.pm25 for r in rows], [r.pm25_sd for r in rows], [r.flags for r in rows]
    )


def window(
    registry: Registry, series: SeriesStore, device_id: str, start: float, end: float
) -> Window:
    rows = queries.device_readings(series, device_id, start, end)
    with registry.session() as db:
        # Haze features come binned in heartbeats (devices send no per-frame features).
        haze = drift.sum_haze(queries.heartbeats(db, device_id, start, end))
    return Window(rows[-1].model_version if rows else None, rows, haze)


def references(registry: Registry, model_version: int | None) -> dict[str, list[int]]:
    """The stored training histograms of a model version (none for None)."""
    if model_version is None:
        return {}
    with registry.session() as db:
        rows = db.scalars(
            select(DriftReference).where(DriftReference.model_version == model_version)
        )
        return {r.signal: list(r.counts) for r in rows}


def against_training(
    refs: Mapping[str, list[int]], now_h: Mapping[str, list[int]]
) -> dict[str, float]:
    """PSI of each signal with a training reference (haze over the deciles; no flags)."""
    out: dict[str, float] = {}
    for signal, actual in now_h.items():
        ref = refs.get(signal)
        if ref is None or signal == "flags":
            continue
        expected = deciles(ref) if signal in HAZE_SIGNALS else ref
        if len(expected) == len(actual):
            out[signal] = drift.psi(expected, actual)
    return out


def evaluate_device(
    registry: Registry, series: SeriesStore, s: LoopSettings, device_id: str, now: float
) -> list[DriftResult]:
    """Compute and store this device's drift results (checks without enough data left out)."""
    d = s.drift
    now_w = window(registry, series, device_id, now - d.window_s, now)
    if len(now_w.readings) < d.min_n:
        return []
    base_w = window(registry, series, device_id, now - d.window_s - d.baseline_s, now - d.window_s)
    mv = now_w.model_version
    refs = references(registry, mv)
    now_h, base_h = now_w.psi_histograms(d.min_n), base_w.psi_histograms(d.min_n)
    results = [
        _result(
            device_id, sig, "change", drift.psi(base_h[sig], h), d.psi_alert, sum(h), "device", now
        )
        for sig, h in now_h.items()
        if sig in base_h
    ]
    for sig, value in against_training(refs, now_h).items():
        r = _result(
            device_id, sig, "training", value, d.psi_alert, sum(now_h[sig]), f"model:{mv}", now
        )
        r.drifted = False  # information: one camera sees a slice of the training data
        results.append(r)
    results += _outside(device_id, now_w, refs, d, f"model:{mv}", now)
    results += _error(registry, now_w.readings, s, device_id, now)
    with registry.session() as db:
        db.execute(delete(DriftResult).where(DriftResult.device_id == device_id))
        db.add_all(results)
    return results


def _outside(  # noqa: PLR0917 - the check's inputs
    device_id: str,
    w: Window,
    refs: Mapping[str, list[int]],
    d: DriftSettings,
    baseline: str,
    now: float,
) -> list[DriftResult]:
    """Per haze feature: share of the window's frames outside the training support. Needs a
    reference with the tail bins (older ones have the deciles only) and frames binned with them."""
    out: list[DriftResult] = []
    for signal, h in sorted(w.haze.items()):
        ref = refs.get(signal)
        if ref is None or len(ref) == DECILE_BINS or sum(h.full) < d.min_n:
            continue
        share = drift.outside_share(ref, h.full, d.support_min_share)
        out.append(
            _result(
                device_id, signal, "outside", share, d.outside_alert, sum(h.full), baseline, now
            )
        )
    return out


def _error(
    registry: Registry, recent: Sequence[StoredReading], s: LoopSettings, device_id: str, now: float
) -> list[DriftResult]:
    """Mean absolute error against the nearest monitor within labels.max_km, if paired enough."""
    d = s.drift
    with registry.session() as db:
        device = db.get(Device, device_id)
        close = labels.nearby(
            device.lat if device else None, device.lon if device else None,
            queries.monitors(db), s.labels.max_km,
        )  # fmt: skip
        if not close:
            return []
        ref = queries.reference(db, close[0][1].id, now - d.window_s, now)
    pairs = calibration.pair(
        [(float(r.captured_at), r.pm25) for r in recent], [(r.t, r.pm25) for r in ref],
        s.labels.tolerance_s,
    )  # fmt: skip
    if len(pairs) < s.calibration.min_pairs:
        return []
    mae = statistics.fmean(abs(a - b) for a, b in pairs)
    return [_result(device_id, "error", "error", mae, d.mae_alert, len(pairs), "reference", now)]


def _result(  # noqa: PLR0917 - one row's columns
    device_id: str,
    signal: str,
    kind: str,
    value: float,
    threshold: float,
    n: int,
    baseline: str,
    now: float,
) -> DriftResult:
    return DriftResult(
        device_id=device_id, signal=signal, kind=kind, statistic=round(value, 4),
        threshold=threshold, n=n, baseline=baseline, drifted=value >= threshold, at=now,
    )  # fmt: skip


def alert(registry: Registry, deliverer: Deliverer, now: float) -> list[AlertNotice]:
    """Fire or resolve every enabled ``drift`` rule from the stored drift results. A rule for
    the whole fleet (no device, no zone) also covers the fleet-level results, as ``_fleet``.

    Notices go through the alert delivery like every other alert: ``pending`` rows written with
    the event, settled sent/failed per channel, counted in the metrics, re-sent by operators.
    """
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
                        f"{r.signal} {r.kind} {r.statistic:g} >= {r.threshold:g}"
                    )
            if rule.device_id is None and rule.zone_id is None:
                scoped.append(FLEET_ID)
                for f in db.scalars(select(FleetDrift).where(FleetDrift.drifted.is_(True))):
                    drifted.setdefault(FLEET_ID, []).append(
                        f"v{f.model_version} {f.signal} {f.statistic:g} >= {f.threshold:g}"
                    )
            open_now = alert_repo.open_events(db, rule.id)
            fired: list[tuple[int, AlertNotice]] = []
            for device_id in scoped:
                event = open_now.get(device_id)
                if device_id in drifted and event is None:
                    what = "fleet drift vs training: " if device_id == FLEET_ID else "drift: "
                    message = what + "; ".join(sorted(drifted[device_id]))
                    event = AlertEvent(
                        rule_id=rule.id, device_id=device_id, fired_at=now, message=message
                    )
                    db.add(event)
                    db.flush()  # the event's id, for its delivery rows
                    notice = _notice(rule, device_id, "firing", message, now)
                elif device_id not in drifted and event is not None:
                    event.resolved_at = now
                    notice = _notice(rule, device_id, "resolved", event.message, now)
                else:
                    continue
                # Pending with the event, in its transaction: a crash before the send leaves
                # a visible "pending" an operator can re-send, not a lost notice.
                deliveries.add_pending(db, event.id, notice.state, channels(rule), now)
                fired.append((event.id, notice))
        for event_id, n in fired:
            deliverer.deliver(rule, event_id, n)
        notices += [n for _, n in fired]
    return notices


def _notice(rule: AlertRule, device_id: str, state: str, message: str, now: float) -> AlertNotice:
    return AlertNotice(
        rule_id=rule.id, rule=rule.name, kind=rule.kind, device_id=device_id,
        state=state, message=message[:200], t=datetime.fromtimestamp(now, UTC),
    )  # fmt: skip
