"""MQTT ingest: validate every device message, store readings once, quarantine the rest."""

from cloud_hub.ingest.directory import (
    DeviceAccess,
    DeviceDirectory,
    InMemoryDirectory,
    QuarantineReason,
    QuarantineRecord,
)
from cloud_hub.ingest.metrics import IngestMetrics
from cloud_hub.ingest.settings import IngestSettings

__all__ = [
    "DeviceAccess",
    "DeviceDirectory",
    "InMemoryDirectory",
    "IngestMetrics",
    "IngestSettings",
    "QuarantineReason",
    "QuarantineRecord",
]
