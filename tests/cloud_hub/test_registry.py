"""The registry's repository functions, each run on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cloud_hub.errors import Conflict, NotFound, ValidationFailed
from cloud_hub.ingest.directory import QuarantineReason, QuarantineRecord
from cloud_hub.registry import Registry, audit, devices, logs, people
from cloud_hub.registry.directory import RegistryDirectory
from pm25.wire import CommandAck, Heartbeat, Status

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    reg = Registry.open(registry_url)
    yield reg
    reg.close()


def _heartbeat(**over: object) -> Heartbeat:
    fields: dict[str, object] = {
        "t": 1_767_225_600,
        "agent": "1.0.0",
        "uptime_s": 10,
        "disk_free_b": 10**9,
        "outbox": 7,
        "mv": 3,
        "model": "haze-cnn-int8",
        "backend": "onnxruntime_cpu",
        "accepted": 5,
    }
    fields.update(over)
    return Heartbeat.model_validate(fields)


def test_create_get_and_duplicate(registry: Registry) -> None:
    with registry.session() as s:
        devices.create_device(s, "alice", "cam-1", name="Main St", lat=1.5, lon=2.5)
    with registry.session() as s:
        d = devices.get_device(s, "cam-1")
        assert (d.name, d.lat, d.lon, d.status) == ("Main St", 1.5, 2.5, "registered")
    with pytest.raises(Conflict), registry.session() as s:
        devices.create_device(s, "alice", "cam-1")
    with pytest.raises(NotFound), registry.session() as s:
        devices.get_device(s, "cam-2")


def test_unknown_zone_and_uneditable_field_are_refused(registry: Registry) -> None:
    with pytest.raises(NotFound, match="zone"), registry.session() as s:
        devices.create_device(s, "alice", "cam-1", zone_id="nowhere")
    with pytest.raises(ValidationFailed, match="status"), registry.session() as s:
        devices.create_device(s, "alice", "cam-1", status="online")
    with pytest.raises(ValidationFailed, match="reserved"), registry.session() as s:
        devices.create_device(s, "alice", "_fleet")  # fleet drift alerts use this id
    with registry.session() as s:  # nothing was left behind by the failures
        assert devices.list_devices(s) == []


def test_list_filters(registry: Registry) -> None:
    with registry.session() as s:
        devices.create_zone(s, "alice", "north", "North", [[0, 0], [0, 1], [1, 1]])
        devices.create_device(s, "alice", "a", zone_id="north", tags=["school"])
        devices.create_device(s, "alice", "b", tags=["road"])
        devices.create_device(s, "alice", "c", zone_id="north")
    RegistryDirectory(registry).record_heartbeat("b", _heartbeat(mv=4), NOW)
    with registry.session() as s:
        assert [d.id for d in devices.list_devices(s, zone_id="north")] == ["a", "c"]
        assert [d.id for d in devices.list_devices(s, tag="road")] == ["b"]
        assert [d.id for d in devices.list_devices(s, model_version=4)] == ["b"]
        assert [d.id for d in devices.list_devices(s, status="registered")] == ["a", "c"]


def test_every_change_by_a_person_is_audited(registry: Registry) -> None:
    with registry.session() as s:
        devices.create_device(s, "alice", "cam-1")
        devices.update_device(s, "bob", "cam-1", name="renamed")
        devices.revoke_device(s, "carol", "cam-1")
    with registry.session() as s:
        entries = audit.recent(s, target_id="cam-1")
        assert [(e.actor, e.action) for e in reversed(entries)] == [
            ("alice", "device.create"),
            ("bob", "device.update"),
            ("carol", "device.revoke"),
        ]
        assert entries[1].detail == {"name": "renamed"}


def test_directory_authorizes_and_records(registry: Registry) -> None:
    directory = RegistryDirectory(registry)
    assert not directory.authorize("cam-1").registered
    with registry.session() as s:
        devices.create_device(s, "alice", "cam-1")
        logs.log_command(s, "alice", "cam-1", command_id="c1", kind="ping", payload={})
    assert directory.authorize("cam-1").registered
    directory.record_heartbeat("cam-1", _heartbeat(), NOW)
    directory.record_ack("cam-1", CommandAck(id="c1", ok=True, t=NOW), NOW)
    with registry.session() as s:
        d = devices.get_device(s, "cam-1")
        assert (d.status, d.outbox_depth, d.model_version, d.backend) == (
            "online",
            7,
            3,
            "onnxruntime_cpu",
        )
        assert d.last_seen_at == NOW.timestamp()
        assert d.last_heartbeat is not None and d.last_heartbeat["model"] == "haze-cnn-int8"
        cmd = logs.list_commands(s, "cam-1")[0]
        assert (cmd.ok, cmd.acked_at) == (True, NOW.timestamp())
    directory.record_status("cam-1", Status(state="offline", t=NOW, agent="1.0.0"), NOW)
    with registry.session() as s:
        assert devices.get_device(s, "cam-1").status == "offline"
        devices.revoke_device(s, "alice", "cam-1")
    assert directory.authorize("cam-1").revoked
    directory.record_status("cam-1", Status(state="online", t=NOW, agent="1.0.0"), NOW)
    with registry.session() as s:  # a revoked device cannot bring itself back
        assert devices.get_device(s, "cam-1").status == "revoked"


def test_ack_for_unknown_command_is_not_invented(registry: Registry) -> None:
    with registry.session() as s:
        assert not logs.record_ack(s, "nope", at=1.0, ok=True, reason=None, result={})


def test_quarantine_roundtrip_and_counts(registry: Registry) -> None:
    directory = RegistryDirectory(registry)
    for reason in (
        QuarantineReason.MALFORMED,
        QuarantineReason.MALFORMED,
        QuarantineReason.SPOOFED,
    ):
        directory.quarantine(
            QuarantineRecord(
                topic="pm25/v1/x/readings",
                reason=reason,
                detail="bad",
                payload_excerpt=b"\xff{not json",
                payload_size=11,
                received_at=NOW,
                device_id="x",
            )
        )
    with registry.session() as s:
        assert logs.quarantine_counts(s) == {"malformed": 2, "spoofed": 1}
        rows = logs.list_quarantine(s, reason="malformed")
        assert len(rows) == 2 and rows[0].payload == "\ufffd{not json"
        assert len(logs.list_quarantine(s, before_id=rows[1].id + 1, limit=1)) == 1


def test_fleet_counts(registry: Registry) -> None:
    directory = RegistryDirectory(registry)
    with registry.session() as s:
        for i in range(5):
            devices.create_device(s, "alice", f"d{i}")
    now = NOW.timestamp()
    directory.record_heartbeat("d0", _heartbeat(), NOW)
    directory.record_heartbeat("d1", _heartbeat(errors=[{"code": "camera_lost"}]), NOW)
    directory.record_heartbeat("d2", _heartbeat(), datetime.fromtimestamp(now - 900, UTC))
    with registry.session() as s:
        devices.revoke_device(s, "alice", "d3")
        counts = devices.fleet_counts(s, now=now, offline_after_s=300)
    assert (counts.online, counts.degraded, counts.offline, counts.revoked, counts.never_seen) == (
        1,
        1,
        1,
        1,
        1,
    )


def test_users_tokens_and_disable(registry: Registry) -> None:
    now = time.time()
    with registry.session() as s:
        user = people.create_user(s, "root", "ann", password_hash="h", role="viewer")
        people.add_token(s, user, token_hash="t-live", kind="api", name="grafana")
        people.add_token(s, user, token_hash="t-old", kind="session", expires_at=now - 1)
    with pytest.raises(Conflict), registry.session() as s:
        people.create_user(s, "root", "ann", password_hash="h", role="admin")
    with registry.session() as s:
        found = people.user_for_token(s, "t-live", now)
        assert found is not None and found[0].username == "ann"
        assert people.user_for_token(s, "t-old", now) is None  # expired
        assert people.user_for_token(s, "t-unknown", now) is None
        people.update_user(s, "root", user.id, disabled=True)
    with registry.session() as s:
        assert people.user_for_token(s, "t-live", now) is None  # disabling revokes tokens


def test_device_credentials_rotate(registry: Registry) -> None:
    with registry.session() as s:
        devices.create_device(s, "alice", "cam-1")
        people.set_device_credential(s, "alice", "cam-1", "cam-1", "hash-1")
        people.set_device_credential(s, "alice", "cam-1", "cam-1", "hash-2")
    with registry.session() as s:
        cred = people.active_credential(s, "cam-1")
        assert cred is not None and cred.password_hash == "hash-2"
        people.revoke_device_credentials(s, "cam-1")
    with registry.session() as s:
        assert people.active_credential(s, "cam-1") is None
