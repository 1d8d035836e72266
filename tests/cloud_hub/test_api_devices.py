"""Devices, commands over a real broker, readings from the series store, fleet, probes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cloud_hub.errors import StoreUnavailable
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.series import StoredReading
from pm25 import topics
from pm25.wire import CommandAck, PingCommand, decode
from tests.cloud_hub.hub_support import running_hub
from tests.conftest import HUB_USER, WATCHER_USER
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher


def test_device_crud_filters_and_audit(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op, viewer = h.headers("operator"), h.headers("viewer")
        zone = {"id": "north", "name": "North", "outline": [[0, 0], [0, 1], [1, 1]]}
        assert h.client.post("/api/v1/zones", json=zone, headers=op).status_code == 201
        r = h.client.post(
            "/api/v1/devices",
            json={"id": "cam-1", "name": "Gate", "zone_id": "north", "tags": ["school"]},
            headers=op,
        )
        assert r.status_code == 201 and r.json()["mqtt_password"]
        assert "device_id: cam-1" in r.json()["bundle_yaml"]
        h.client.post("/api/v1/devices", json={"id": "cam-2"}, headers=op)
        dup = h.client.post("/api/v1/devices", json={"id": "cam-2"}, headers=op)
        assert dup.status_code == 409 and "already registered" in dup.json()["detail"]
        bad = h.client.post("/api/v1/devices", json={"id": "Cam/2"}, headers=op)
        assert bad.status_code == 422

        def ids(query: str) -> list[str]:
            found = h.client.get(f"/api/v1/devices{query}", headers=viewer).json()
            return [d["id"] for d in found]

        assert ids("") == ["cam-1", "cam-2"]
        assert ids("?zone_id=north") == ["cam-1"] and ids("?tag=school") == ["cam-1"]
        r = h.client.patch("/api/v1/devices/cam-2", json={"lat": 48.1, "lon": 11.5}, headers=op)
        assert (r.json()["lat"], r.json()["lon"]) == (48.1, 11.5)
        assert h.client.get("/api/v1/devices/nope", headers=viewer).status_code == 404
        r = h.client.post("/api/v1/devices/cam-2/revoke", headers=op)
        assert r.json()["status"] == "revoked"
        assert h.client.post("/api/v1/devices/cam-2/credentials", headers=op).status_code == 409
        fleet = h.client.get("/api/v1/fleet/status", headers=viewer).json()
        assert fleet == {
            "total": 2, "online": 0, "offline": 0, "degraded": 0, "never_seen": 1, "revoked": 1
        }  # fmt: skip
        actions = [
            e["action"] for e in h.client.get("/api/v1/audit", headers=h.headers("admin")).json()
        ]
        assert {"device.create", "device.update", "device.revoke", "zone.create"} <= set(actions)


def test_readings_raw_and_downsampled(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        viewer = h.headers("viewer")
        h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=h.headers("operator"))
        t0 = 1_767_225_600
        h.hub.series.write(
            [
                StoredReading("cam-1", i, t0 + 600 * i, 10.0 + i, 1.0, 50, 0, 1, zone=None)
                for i in range(12)
            ]
        )
        r = h.client.get(
            f"/api/v1/devices/cam-1/readings?start={t0}&end={t0 + 7200}", headers=viewer
        )
        assert r.status_code == 200
        assert [x["seq"] for x in r.json()["readings"]] == list(range(12))
        r = h.client.get(
            "/api/v1/readings/downsampled",
            params={"device_id": "cam-1", "start": t0, "end": t0 + 7200, "interval_s": 3600},
            headers=viewer,
        )
        buckets = r.json()["buckets"]
        assert [(b["count"], b["mean"]) for b in buckets] == [(6, 12.5), (6, 18.5)]
        empty = h.client.get(f"/api/v1/devices/cam-1/readings?start={t0}&end={t0}", headers=viewer)
        assert empty.status_code == 422 and "empty" in empty.json()["detail"]
        both = h.client.get(
            f"/api/v1/readings/downsampled?start={t0}&end={t0 + 10}", headers=viewer
        )
        assert both.status_code == 422


def test_command_goes_to_the_device_topic_and_ack_is_recorded(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    mosquitto.start()
    mqtt = {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]}
    watcher = Watcher(mosquitto.port, *WATCHER_USER, topics=[topics.cmd("cam-1")]).start()
    try:
        with running_hub(tmp_path, mqtt=mqtt) as h:
            op = h.headers("operator")
            h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=op)
            r = h.client.post("/api/v1/devices/cam-1/commands", json={"type": "ping"}, headers=op)
            assert r.status_code == 202, r.text
            command_id = r.json()["id"]
            [msg] = watcher.wait_for(1)
            sent = decode(PingCommand, msg.payload)
            assert sent.id == command_id
            now = datetime.now(UTC)
            RegistryDirectory(h.hub.registry).record_ack(
                "cam-1", CommandAck(id=command_id, ok=True, t=now), now
            )
            [logged] = h.client.get("/api/v1/devices/cam-1/commands", headers=op).json()
            assert (logged["id"], logged["ok"], logged["issued_by"]) == (
                command_id,
                True,
                "operator",
            )
            bad = h.client.post(
                "/api/v1/devices/cam-1/commands", json={"type": "config"}, headers=op
            )
            assert bad.status_code == 422 and "config" in bad.json()["detail"]
    finally:
        watcher.stop()


def test_command_with_broker_down_is_503_not_500(tmp_path: Path) -> None:
    with running_hub(tmp_path, mqtt={"port": 1}) as h:
        op = h.headers("operator")
        h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=op)
        r = h.client.post("/api/v1/devices/cam-1/commands", json={"type": "ping"}, headers=op)
        assert r.status_code == 503 and "broker" in r.json()["detail"]


def test_health_ready_metrics(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        assert h.client.get("/health").json() == {"status": "ok"}
        ready = h.client.get("/ready")
        assert ready.status_code == 200
        assert json.loads(ready.text)["checks"] == {"registry": "ok", "series": "ok"}
        metrics = h.client.get("/metrics").text
        assert 'hub_devices{state="online"} 0.0' in metrics
        assert "hub_ingest_quarantined_total" in metrics

        def broker_down() -> None:
            raise StoreUnavailable("ingest is not connected to the broker")

        h.hub.checks["broker"] = broker_down
        ready = h.client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["broker"].startswith("unavailable: ingest is not connected")


def test_patch_with_null_for_required_fields_is_422(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op = h.headers("operator")
        h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=op)
        r = h.client.patch("/api/v1/devices/cam-1", json={"name": None}, headers=op)
        assert r.status_code == 422 and "name" in r.json()["detail"]
        r = h.client.patch("/api/v1/devices/cam-1", json={"lat": None}, headers=op)
        assert r.status_code == 200  # a location may be cleared
