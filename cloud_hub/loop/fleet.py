"""Fleet-level drift: the summed histograms of every device on a model version, compared by PSI
with that version's training reference.

The training reference bins frames of hundreds of cameras; one camera sees a slice of them, but
a fleet of many cameras samples scenes as the training set did, so this is where PSI against
the training data is comparable (and where "the world moved away from the training data", e.g.
a season or a new camera type across the fleet, shows). Below ``drift.fleet_min_devices``
devices the fleet is not compared. Flags are left out: training frames have no gate outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete

from cloud_hub.loop import watch
from cloud_hub.loop.settings import DriftSettings
from cloud_hub.loop.tables import FleetDrift
from cloud_hub.registry import Registry
from cloud_hub.series import SeriesStore


@dataclass
class _Sum:
    devices: int = 0
    counts: dict[str, list[int]] = field(default_factory=dict)

    def add(self, hists: dict[str, list[int]]) -> None:
        self.devices += 1
        for signal, h in hists.items():
            acc = self.counts.setdefault(signal, [0] * len(h))
            for i, c in enumerate(h):
                acc[i] += c


def evaluate(
    registry: Registry, series: SeriesStore, d: DriftSettings, device_ids: Sequence[str], now: float
) -> list[FleetDrift]:
    """Compute and store the fleet's drift per model version (all rows replaced)."""
    sums: dict[int, _Sum] = {}
    for device_id in device_ids:
        w = watch.window(registry, series, device_id, now - d.window_s, now)
        if w.model_version is None:
            continue  # no readings in the window: not part of the fleet now
        # min_n 1: a device with few readings still adds its scene; the sum is checked below.
        sums.setdefault(w.model_version, _Sum()).add(w.psi_histograms(1))
    results: list[FleetDrift] = []
    for mv, total in sorted(sums.items()):
        if total.devices < d.fleet_min_devices:
            continue
        enough = {k: v for k, v in total.counts.items() if sum(v) >= d.min_n}
        refs = watch.references(registry, mv)
        for signal, value in sorted(watch.against_training(refs, enough).items()):
            row = FleetDrift(
                model_version=mv, signal=signal, statistic=round(value, 4),
                threshold=d.fleet_psi_alert, n=sum(enough[signal]), devices=total.devices,
                drifted=value >= d.fleet_psi_alert, at=now,
            )  # fmt: skip
            results.append(row)
    with registry.session() as db:
        db.execute(delete(FleetDrift))
        db.add_all(results)
    return results
