"""Error of updated cameras against co-located reference monitors (the model-quality gate).

A monitor is co-located with a camera when it lies within ``radius_km`` of it. Each camera reading
taken after the update is paired with the monitor reading nearest in time (within ``max_gap_s``);
the error is the mean absolute difference over the pairs, or None with fewer than ``min_pairs``.
:func:`paired_mae` is pure; :func:`reference_errors` reads the registry and the series store.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.analytics import within
from cloud_hub.registry import monitors
from cloud_hub.registry.models import Device, ReferenceMonitor, RolloutDevice
from cloud_hub.series import Selection, SeriesStore

MAX_GAP_S = 1800.0
MIN_PAIRS = 3
RADIUS_KM = 1.0


def paired_mae(
    camera: Sequence[tuple[float, float]],
    reference: Sequence[tuple[float, float]],
    *,
    max_gap_s: float = MAX_GAP_S,
    min_pairs: int = MIN_PAIRS,
) -> float | None:
    """Mean |camera − nearest reference| over (time, pm25) pairs at most ``max_gap_s`` apart."""
    ref = sorted(reference)
    times = [t for t, _ in ref]
    errors = []
    for t, pm in camera:
        i = bisect.bisect_left(times, t)
        near = [j for j in (i - 1, i) if 0 <= j < len(ref) and abs(times[j] - t) <= max_gap_s]
        if near:
            j = min(near, key=lambda k: abs(times[k] - t))
            errors.append(abs(pm - ref[j][1]))
    return sum(errors) / len(errors) if len(errors) >= min_pairs else None


def reference_errors(
    session: Session,
    series: SeriesStore,
    rows: Sequence[RolloutDevice],
    now: float,
    radius_km: float = RADIUS_KM,
) -> None:
    """Set ``reference_mae`` on each updated row whose camera has a monitor within reach."""
    located = [(m.id, m.lat, m.lon) for m in session.scalars(select(ReferenceMonitor))]
    if not located:
        return
    for row in rows:
        if row.state != "updated" or row.updated_at is None or now - row.updated_at < 1:
            continue
        device = session.get(Device, row.device_id)
        if device is None or device.lat is None or device.lon is None:
            continue
        nearby = within(located, device.lat, device.lon, radius_km)
        if not nearby:
            continue
        start, end = int(row.updated_at), int(now) + 1
        raw = series.query_raw(Selection(start, end, device_ids=(row.device_id,)), 10_000)
        camera = [(float(r.captured_at), r.pm25) for r in raw.readings]
        ref = [(r.t, r.pm25) for r in monitors.readings(session, nearby[0], start, end)]
        row.reference_mae = paired_mae(camera, ref)
