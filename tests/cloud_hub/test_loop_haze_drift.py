"""Haze drift against the model's training reference, end to end on a real Mosquitto: devices send
readings and heartbeats with haze histograms, the hub stores them, the loop job sums the window's
histograms and raises a drift alert for the device whose scene moved away from the training data."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cloud_hub.loop.job import LoopJob, open_store
from cloud_hub.registry.models import DeviceHeartbeat
from pm25 import topics
from pm25.aqi import category
from pm25.wire import Heartbeat, Reading, ReadingBatch, Roi
from tests.cloud_hub.hub_support import running_hub
from tests.cloud_hub.test_loop_e2e import FakeCamera, _wait
from tests.conftest import HUB_USER
from tests.support.mosquitto import MosquittoBroker

TRAINING = {"edge_density": [30] * 10, "transmission_mean": [30] * 10}  # deciles: flat


def _readings(device_id: str, now: int) -> ReadingBatch:
    start = datetime.fromtimestamp(now - 7200, UTC)
    rows = [
        Reading(device_id=device_id, seq=i, captured_at=start + timedelta(seconds=60 * i),
                pm25=20.0 + i % 7, pm25_sd=3.0, aqi=category(20.0), model_version=1)
        for i in range(1, 120)
    ]  # fmt: skip
    return ReadingBatch.from_readings(device_id, 1, rows)


def _heartbeat(now: int, haze: dict[str, list[int]]) -> Heartbeat:
    return Heartbeat(
        t=now, agent="0.1.0", uptime_s=3600, disk_free_b=10**9, outbox=0, mv=1, model="m",
        backend="onnxruntime_cpu", accepted=60, haze=haze,
    )  # fmt: skip


def test_a_scene_that_drifts_from_the_training_data_raises_a_drift_alert(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    now = int(time.time())
    mosquitto.start()
    assert mosquitto.process is not None
    pid = tmp_path / "mosquitto.pid"
    pid.write_text(str(mosquitto.process.pid))
    settings = {
        "mqtt": {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]},
        "ingest": {"enabled": True, "client_id": "hub-haze", "batch_linger_s": 0.01},
        "broker_files": {"password_file": str(mosquitto.workdir / "passwd"), "pid_file": str(pid)},
        "loop": {"drift": {"window_s": 3600, "baseline_s": 3600, "min_n": 50}},
    }
    with running_hub(tmp_path, **settings) as h:
        op = h.headers("operator")
        r = h.client.put("/api/v1/loop/drift/references/1", json={"counts": TRAINING}, headers=op)
        assert r.status_code == 204
        rule = {"name": "drift", "params": {"kind": "drift"}}
        assert h.client.post("/api/v1/alerts/rules", json=rule, headers=op).status_code == 201
        creds = {
            d: h.client.post("/api/v1/devices", json={"id": d}, headers=op).json()
            for d in ("cam-a", "cam-b")
        }
        roi = Roi(x=0, y=0, w=8, h=8)
        cams = {d: FakeCamera(mosquitto.port, d, creds[d]["mqtt_password"], roi) for d in creds}
        # cam-a sees scenes like the training data; cam-b's far field lost its edges (fog on
        # the lens, a new wall in view): its edge density sits in the lowest training decile.
        haze = {
            "cam-a": {"edge_density": [6] * 10, "transmission_mean": [6] * 10},
            "cam-b": {"edge_density": [50, 10] + [0] * 8, "transmission_mean": [6] * 10},
        }
        try:
            for d, cam in cams.items():
                cam.publish(topics.readings(d), _readings(d, now))
                for _ in range(2):
                    cam.publish(topics.heartbeat(d), _heartbeat(now, haze[d]))

            def stored() -> bool:
                with h.hub.registry.session() as s:
                    return s.query(DeviceHeartbeat).count() == 4

            _wait(stored)
            time.sleep(0.5)  # ingest writes readings in its batch
            job = LoopJob(h.hub.registry, h.hub.series, h.hub.publish, h.hub.settings.loop,
                          open_store(h.hub.settings.loop, h.hub.settings.data_dir))  # fmt: skip
            out = job.run_once()
            assert out.drift == {"cam-a": [], "cam-b": ["edge_density"]}
            rows = h.client.get("/api/v1/loop/devices/cam-b/drift", headers=op).json()
            by = {r["signal"]: r for r in rows}
            assert by["edge_density"]["baseline"] == "model:1" and by["edge_density"]["n"] == 120
            assert by["edge_density"]["drifted"] and by["edge_density"]["statistic"] > 1.0
            assert not by["transmission_mean"]["drifted"]
            assert by["pm25"]["baseline"] == "device"  # no training histogram stored for it
            events = h.client.get("/api/v1/alerts/events", headers=op).json()
            assert [(e["device_id"], e["message"][:19]) for e in events] == [
                ("cam-b", "drift: edge_density")
            ]
        finally:
            for cam in cams.values():
                cam.close()
