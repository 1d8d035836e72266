"""Alert delivery metrics: what this replica handed out, and what the registry holds failed."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.orm import Session

from cloud_hub.registry import deliveries

CHANNELS = ("mqtt", "webhook")


class AlertMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "hub_alert_deliveries",
            "Alert notices handed out by this hub, by channel and outcome "
            "(failed: after every retry).",
            ["channel", "outcome"],
            registry=registry,
        )
        # From the registry at scrape time: shared by the replicas and kept over restarts,
        # it goes down when an operator re-sends (a counter only ever counts this process).
        self.failed = Gauge(
            "hub_alert_deliveries_failed",
            "Alert notices whose delivery failed and that were not re-sent since, by channel.",
            ["channel"],
            registry=registry,
        )
        for channel in CHANNELS:  # every series exists from the start, at zero
            for outcome in ("sent", "failed"):
                self.deliveries.labels(channel, outcome)
            self.failed.labels(channel).set(0)

    def refresh(self, session: Session) -> None:
        counts = deliveries.count_failed(session)
        for channel in CHANNELS:
            self.failed.labels(channel).set(counts.get(channel, 0))
