"""Health collection for the heartbeat: counters the pipeline updates, facts read from the system.

Stages report into :class:`Health` (thread-safe, cheap); :meth:`Health.heartbeat` builds the wire
message. Problems come from any number of ``error sources`` (callables returning code -> message),
so each stage owns its own status and the heartbeat only collects.
"""

from __future__ import annotations

import bisect
import shutil
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from edge_agent.outbox import Outbox
from pm25.drift_bins import HAZE_EDGES, bins
from pm25.wire import Heartbeat, Latency, Note
from pm25.wire.device import UpdateProgress

ErrorSource = Callable[[], Mapping[str, str]]
THERMAL = Path("/sys/class/thermal")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    version: int
    label: str
    backend: str
    backend_why: str = ""


def cpu_temperature_c(root: Path = THERMAL) -> float | None:
    """The CPU temperature from the first readable thermal zone, or None where there is none."""
    for zone in sorted(root.glob("thermal_zone*")):
        try:
            milli = int((zone / "temp").read_text().strip())
        except (OSError, ValueError):
            continue
        if -60_000 <= milli <= 150_000:
            return round(milli / 1000, 1)
    return None


class Health:
    """Counters since start and recent inference latencies."""

    def __init__(
        self,
        agent_version: str,
        data_dir: Path,
        outbox: Outbox,
        model: Callable[[], ModelInfo],
        *,
        clock: Callable[[], float] = time.time,
        haze: bool = True,
    ) -> None:
        self.agent_version = agent_version
        self.data_dir = data_dir
        self.outbox = outbox
        self._model = model
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._accepted = 0
        self._rejected: Counter[str] = Counter()
        self._latencies: deque[float] = deque(maxlen=1000)
        self._sources: list[ErrorSource] = []
        self._update: Callable[[], UpdateProgress | None] = lambda: None
        self._haze: dict[str, list[int]] = {}  # pm25.drift_bins histograms since the last beat
        self._send_haze = haze

    def add_error_source(self, source: ErrorSource) -> None:
        self._sources.append(source)

    def set_update_source(self, source: Callable[[], UpdateProgress | None]) -> None:
        """Where the heartbeat's ``update`` section comes from (the OTA notice runner)."""
        self._update = source

    def frame(
        self,
        *,
        accepted: bool,
        reason: str | None = None,
        latency_ms: float | None = None,
        haze: Mapping[str, float] | None = None,
    ) -> None:
        with self._lock:
            if accepted:
                self._accepted += 1
            else:
                self._rejected[reason or "rejected"] += 1
            if latency_ms is not None:
                self._latencies.append(latency_ms)
            for signal, value in (haze if self._send_haze and haze else {}).items():
                if signal in HAZE_EDGES:
                    counts = self._haze.setdefault(signal, [0] * bins(signal))
                    counts[bisect.bisect_right(HAZE_EDGES[signal], value)] += 1

    def errors(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for source in self._sources:
            out.update(source())
        return out

    def heartbeat(self) -> Heartbeat:
        now = self._clock()
        stats = self.outbox.stats()
        model = self._model()
        with self._lock:
            lat = np.percentile(list(self._latencies), [50, 95]) if self._latencies else None
            accepted, rejected = self._accepted, dict(self._rejected)
            # Counts since the last heartbeat: a heartbeat that is not delivered loses its hour
            # (the drift watch sums weeks of them and needs no single one).
            haze, self._haze = self._haze, {}
        notes = tuple(Note(code=c, msg=m[:200]) for c, m in sorted(self.errors().items()))[:32]
        oldest = stats.oldest_unsent_t
        return Heartbeat(
            t=datetime.fromtimestamp(int(now), tz=UTC),
            agent=self.agent_version,
            uptime_s=int(now - self._started),
            cpu_temp_c=cpu_temperature_c(),
            disk_free_b=shutil.disk_usage(self.data_dir).free,
            outbox=stats.depth,
            outbox_age_s=None if oldest is None else max(0, int(now - oldest)),
            mv=model.version,
            model=model.label,
            backend=model.backend,
            backend_why=model.backend_why[:200],
            accepted=accepted,
            rejected=dict(list(rejected.items())[:64]),
            lat_ms=None if lat is None else Latency(p50=float(lat[0]), p95=float(lat[1])),
            errors=notes,
            update=self._update(),
            haze=haze or None,
        )
