"""Prometheus metrics of the ingest worker, in their own registry (mounted at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from cloud_hub.ingest.directory import QuarantineReason

__all__ = ["IngestMetrics"]

_LAG_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600, float("inf"))
_WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, float("inf"))


class IngestMetrics:
    """Counters and histograms of one worker; ``registry`` is what /metrics exposes."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "hub_ingest_messages", "MQTT messages handled, by kind and outcome.",
            ["kind", "outcome"], registry=r,
        )  # fmt: skip
        self.readings = Counter(
            "hub_ingest_readings", "Readings stored (new) and deduplicated (seen before).",
            ["outcome"], registry=r,
        )  # fmt: skip
        self.quarantined = Counter(
            "hub_ingest_quarantined", "Messages quarantined, by reason.", ["reason"], registry=r
        )
        for reason in QuarantineReason:
            self.quarantined.labels(reason.value)
        self.lag = Histogram(
            "hub_ingest_lag_seconds", "Time from capture to storage, per reading.",
            buckets=_LAG_BUCKETS, registry=r,
        )  # fmt: skip
        self.write_latency = Histogram(
            "hub_series_write_seconds", "Duration of one series-store batch write.",
            buckets=_WRITE_BUCKETS, registry=r,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "hub_ingest_queue_depth", "Messages received and not yet stored.", registry=r
        )
        self.write_failures = Counter(
            "hub_ingest_write_failures", "Batch writes that failed and were retried.", registry=r
        )
