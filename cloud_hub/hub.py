"""The hub's running parts, built by the composition root and handed to the API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from prometheus_client import CollectorRegistry, Gauge

from cloud_hub.alerts.metrics import AlertMetrics
from cloud_hub.auth import AuthService
from cloud_hub.registry import Registry
from cloud_hub.series import SeriesStore
from cloud_hub.settings import HubSettings


class Publisher(Protocol):
    """Sends one MQTT message and returns once the broker has it (raises StoreUnavailable)."""

    def __call__(self, topic: str, payload: bytes, *, retain: bool = False) -> None: ...


# One outgoing message: topic, payload, retain.
Message = tuple[str, bytes, bool]


@runtime_checkable
class BatchPublisher(Publisher, Protocol):
    """A publisher that can also send many messages over one broker connection."""

    def many(self, messages: Sequence[Message]) -> None: ...


def publish_many(publish: Callable[..., None], messages: Sequence[Message]) -> None:
    """Send ``messages`` and return once the broker has them all (raises StoreUnavailable).

    The hub's MQTT publisher sends them over one connection; a plain callable (tests' fakes,
    the fleet simulator) gets one call per message, stopping at the first failure.
    """
    if isinstance(publish, BatchPublisher):
        publish.many(messages)
        return
    for topic, payload, retain in messages:
        publish(topic, payload, retain=retain)


@dataclass
class Hub:
    settings: HubSettings
    registry: Registry
    series: SeriesStore
    auth: AuthService
    publish: Publisher
    metrics: CollectorRegistry
    devices_gauge: Gauge
    alert_metrics: AlertMetrics
    # Extra readiness checks by name (the broker, when ingest runs): raise when not ready.
    checks: dict[str, Callable[[], None]] = field(default_factory=dict)
