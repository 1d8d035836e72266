"""The periodic closed-loop job: harvest samples → ask for more → release drift references →
calibrate → drift watch (per device, then the fleet).

Built by the composition root like the alert evaluator; only the thread loop catches everything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from cloud_hub.alerts.delivery import Deliverer
from cloud_hub.loop import fleet, harvest, queries, references, scheduler, watch
from cloud_hub.loop import store as stores
from cloud_hub.loop.calibrate import calibrate
from cloud_hub.loop.settings import LoopSettings
from cloud_hub.loop.store import SampleStore
from cloud_hub.periodic import PeriodicTask
from cloud_hub.registry import Registry
from cloud_hub.registry.models import Device
from cloud_hub.series import SeriesStore
from cloud_hub.settings import AlertSettings

log = logging.getLogger(__name__)


def open_store(s: LoopSettings, data_dir: Path) -> SampleStore:
    return stores.open_store(s.samples, data_dir)


@dataclass
class Round:
    """What one round did, for logs and tests."""

    harvested: int = 0
    asked: dict[str, str] = field(default_factory=dict)
    calibrated: dict[str, int | str] = field(default_factory=dict)
    drift: dict[str, list[str]] = field(default_factory=dict)  # device -> "signal kind" drifted
    fleet: list[str] | None = None  # "v<mv> signal" drifted; None: not evaluated this round
    references: list[int] = field(default_factory=list)  # model versions picked up from releases
    notices: int = 0


class LoopJob:
    def __init__(
        self,
        registry: Registry,
        series: SeriesStore,
        publish: Callable[..., None],
        settings: LoopSettings,
        store: SampleStore,
        *,
        repository_dir: Path | None = None,
        deliverer: Deliverer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry, self.series, self.publish = registry, series, publish
        # Drift alerts are delivered and recorded like every alert (the hub passes its own,
        # with the alert settings and metrics); the default suits tools and tests.
        self.deliverer = deliverer or Deliverer(registry, publish, AlertSettings(), clock=clock)
        self.settings, self.store, self._clock = settings, store, clock
        self.repository_dir = repository_dir  # the update repository: releases' drift references
        self._references_read: set[tuple[str, int]] = set()
        self._task = PeriodicTask("loop", settings.interval_s, self.run_once)
        # Last attempt per (what, device): a failed fit or a drift check is not redone each round.
        self._tried: dict[tuple[str, str], float] = {}

    def _due(self, what: str, device_id: str, every_s: float, now: float) -> bool:
        last = self._tried.get((what, device_id))
        if last is not None and now - last < every_s:
            return False
        self._tried[what, device_id] = now
        return True

    def run_once(self) -> Round:
        now = self._clock()
        out = Round()
        s = self.settings
        out.harvested = harvest.harvest(self.registry, self.series, self.store, s, now)
        out.asked = scheduler.schedule(self.registry, self.series, self.publish, s, now)
        out.references = references.sync_from_releases(
            self.registry, self.repository_dir, now, self._references_read
        )
        with self.registry.session() as db:
            ids = [d.id for d in db.scalars(select(Device).where(Device.status != "revoked"))]
        for device_id in ids:
            with self.registry.session() as db:
                last = queries.latest_calibration(db, device_id)
            fresh = last is not None and now - last.fitted_at < s.calibration.every_s
            if not fresh and self._due("calibration", device_id, s.calibration.every_s, now):
                cal = calibrate(self.registry, self.series, self.publish, s, device_id, now=now)
                out.calibrated[device_id] = cal if isinstance(cal, str) else cal.version
            if self._due("drift", device_id, s.drift.every_s, now):
                results = watch.evaluate_device(self.registry, self.series, s, device_id, now)
                out.drift[device_id] = [f"{r.signal} {r.kind}" for r in results if r.drifted]
        if self._due("drift", "", s.drift.every_s, now):  # "": the fleet (no device id is empty)
            rows = fleet.evaluate(self.registry, self.series, s.drift, ids, now)
            out.fleet = [f"v{r.model_version} {r.signal}" for r in rows if r.drifted]
        out.notices = len(watch.alert(self.registry, self.deliverer, now))
        return out

    def start(self) -> None:
        self._task.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._task.stop(timeout_s)
