"""The registry as the ingest worker sees it: :class:`RegistryDirectory` implements
``cloud_hub.ingest.directory.DeviceDirectory`` on the registry database."""

from __future__ import annotations

from datetime import datetime

from cloud_hub.ingest.directory import DeviceAccess, QuarantineRecord
from cloud_hub.registry import logs
from cloud_hub.registry.db import Registry
from cloud_hub.registry.models import Device, DeviceHeartbeat, DeviceSample
from pm25.wire import CommandAck, Heartbeat, Sample, Status


class RegistryDirectory:
    """Device lookups and updates for ingest, one short transaction each."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def authorize(self, device_id: str) -> DeviceAccess:
        with self._registry.session() as s:
            device = s.get(Device, device_id)
            if device is None:
                return DeviceAccess(registered=False)
            return DeviceAccess(
                registered=True, revoked=device.status == "revoked", zone=device.zone_id
            )

    def record_heartbeat(self, device_id: str, heartbeat: Heartbeat, received_at: datetime) -> None:
        with self._registry.session() as s:
            device = s.get(Device, device_id)
            if device is None:
                return
            device.last_seen_at = received_at.timestamp()
            device.last_heartbeat = heartbeat.model_dump(mode="json")
            device.outbox_depth = heartbeat.outbox
            device.model_version = heartbeat.mv
            device.model_label = heartbeat.model
            device.backend = heartbeat.backend
            if device.status != "revoked":
                device.status = "online"
            s.add(
                DeviceHeartbeat(
                    device_id=device_id,
                    received_at=device.last_seen_at,
                    heartbeat=device.last_heartbeat,
                )
            )
            logs.prune_heartbeats(s, device_id, device.last_seen_at)

    def record_status(self, device_id: str, status: Status, received_at: datetime) -> None:
        with self._registry.session() as s:
            device = s.get(Device, device_id)
            if device is None or device.status == "revoked":
                return
            device.status = status.state
            device.last_seen_at = received_at.timestamp()

    def record_ack(self, device_id: str, ack: CommandAck, received_at: datetime) -> None:
        with self._registry.session() as s:
            logs.record_ack(
                s,
                ack.id,
                at=received_at.timestamp(),
                ok=ack.ok,
                reason=ack.reason,
                result=dict(ack.result),
            )

    def record_sample(self, device_id: str, sample: Sample, received_at: datetime) -> None:
        with self._registry.session() as s:
            logs.add_sample(
                s,
                DeviceSample(
                    device_id=device_id,
                    command_id=sample.id,
                    captured_at=sample.captured_at.timestamp(),
                    received_at=received_at.timestamp(),
                    width=sample.width,
                    height=sample.height,
                    jpeg_b64=sample.jpeg,
                    roi=sample.roi.model_dump(),
                ),
            )

    def quarantine(self, record: QuarantineRecord) -> None:
        with self._registry.session() as s:
            logs.add_quarantine(
                s,
                received_at=record.received_at.timestamp(),
                topic=record.topic,
                reason=record.reason.value,
                detail=record.detail,
                size=record.payload_size,
                payload=record.payload_excerpt.decode("utf-8", errors="replace"),
                device_id=record.device_id,
            )
