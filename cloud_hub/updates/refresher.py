"""`RepositoryRefresher`: re-sign timestamp (and snapshot when targets changed) on a timer.

Runs once at start (a release signed while the hub was down becomes visible at once), then every
`refresh_interval_s`. Each round is logged; a failing round shows in ``/ready`` (check
``updates``) and in ``/metrics`` (``hub_tuf_refresh_failures_total``, and
``hub_tuf_timestamp_expires_at_seconds`` to alert on long before devices would refuse it).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge
from tuf.api.metadata import Metadata

from cloud_hub.errors import StoreUnavailable
from cloud_hub.periodic import PeriodicTask
from cloud_hub.updates.online import OnlineSigners, refresh
from cloud_hub.updates.settings import UpdatesSettings
from pm25.ota import RepositoryFiles

log = logging.getLogger(__name__)


class RepositoryRefresher:
    """The hub's online-role job for one repository directory."""

    def __init__(
        self,
        repo_dir: Path,
        signers: OnlineSigners,
        interval_s: float,
        metrics: CollectorRegistry,
    ) -> None:
        self._files = RepositoryFiles(repo_dir)
        self._signers = signers
        self._task = PeriodicTask("tuf-refresh", interval_s, self.run_once, run_at_start=True)
        self._failures = Counter(
            "hub_tuf_refresh_failures", "Failed update-repository refreshes.", registry=metrics
        )
        self._expires = Gauge(
            "hub_tuf_timestamp_expires_at_seconds",
            "Unix time the served timestamp.json expires.",
            registry=metrics,
        )
        self._version = Gauge(
            "hub_tuf_timestamp_version", "Version of the served timestamp.json.", registry=metrics
        )

    def run_once(self) -> tuple[int, int]:
        """One refresh; (snapshot version, timestamp version). Raises on failure."""
        try:
            snapshot, timestamp = refresh(self._files, self._signers)
        except Exception:
            self._failures.inc()
            raise
        expires = _timestamp_expiry(self._files)
        self._expires.set(expires.timestamp())
        self._version.set(timestamp)
        log.info(
            "update repository refreshed",
            extra={"snapshot": snapshot, "timestamp": timestamp, "expires": expires.isoformat()},
        )
        return snapshot, timestamp

    def check(self) -> None:
        """Readiness: the last round succeeded."""
        if self._task.last_error is not None:
            raise StoreUnavailable(f"update repository refresh failing: {self._task.last_error}")

    def start(self) -> None:
        self._task.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._task.stop(timeout_s)


def _timestamp_expiry(files: RepositoryFiles) -> datetime:
    return Metadata.from_bytes(files.read("timestamp")).signed.expires


def make_refresher(
    settings: UpdatesSettings, metrics: CollectorRegistry
) -> RepositoryRefresher | None:
    """The refresher when the section names online keys (loaded and checked now), else None."""
    if settings.online_keys_dir is None or settings.repo_dir is None:
        return None
    signers = OnlineSigners.load(settings.online_keys_dir)
    return RepositoryRefresher(settings.repo_dir, signers, settings.refresh_interval_s, metrics)
