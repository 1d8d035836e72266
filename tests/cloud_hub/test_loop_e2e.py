"""The closed loop end to end on a real Mosquitto: devices publish real pm25.wire readings and
answer commands; the loop job asks for samples, keeps them with provenance, joins labels, fits and
pushes a calibration (the device acks it), exports a dataset training's loader reads, and raises a
drift alert for the shifted device only."""

from __future__ import annotations

import base64
import io
import math
import tarfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud_hub.loop import queries
from cloud_hub.loop.export import ExportFilter, export
from cloud_hub.loop.job import LoopJob, open_store
from cloud_hub.loop.tables import LoopSample
from cloud_hub.registry import monitors
from cloud_hub.registry.models import CommandLogEntry, DeviceSample
from pm25 import topics
from pm25.aqi import category
from pm25.topics import Kind
from pm25.wire import (
    CaptureSampleCommand,
    CommandAck,
    ConfigCommand,
    PingCommand,
    Reading,
    ReadingBatch,
    Roi,
    Sample,
    Status,
    decode,
    encode,
)
from tests.cloud_hub.hub_support import HubClient, running_hub
from tests.conftest import HUB_USER
from tests.support.mosquitto import MosquittoBroker
from training.loader import load_dataset

LAT, LON = 6.25, -75.57
# Readings end a minute or two before the test starts, at :30 s so none lies exactly halfway
# between two monitor readings (it would pair with either).
NOW = int(time.time()) // 60 * 60 - 30


def _ref(t: float) -> float:
    """The monitor's PM2.5: a 1-hour cycle in 10-minute steps, phased on NOW so the last quarter
    hour (what the sample scheduler compares) looks the same whatever the wall clock says."""
    # Monitor readings sit at NOW + 30 s + k·10 min and device readings at whole minutes from NOW,
    # so each device reading has exactly one nearest monitor reading with the value it used.
    return 25 + 5 * math.cos(2 * math.pi * round((t - NOW - 30) / 600) / 6)


class FakeCamera:
    """A device on the broker: answers capture_sample with a real JPEG crop and acks commands."""

    def __init__(self, port: int, device_id: str, password: str, roi: Roi) -> None:
        self.device_id, self.roi = device_id, roi
        self.config_patches: list[object] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(device_id, password)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *_: c.subscribe(topics.cmd(device_id), qos=1)
        deadline = time.monotonic() + 10
        while True:  # the broker reloads its password file on SIGHUP, asynchronously
            try:
                self.client.connect("127.0.0.1", port)
                self.client.loop_start()
                self.publish(topics.status(device_id), Status(state="online", t=NOW, agent="0.1.0"))
                return
            except (OSError, RuntimeError, ValueError):
                self.client.loop_stop()
                assert time.monotonic() < deadline, "device could not log in"
                time.sleep(0.2)

    def publish(self, topic: str, msg: object) -> None:
        info = self.client.publish(topic, encode(msg), qos=1)  # type: ignore[arg-type]
        info.wait_for_publish(5)
        if not info.is_published():
            raise RuntimeError("not published")

    def sample(self, cmd_id: str, roi: Roi) -> Sample:
        rng = np.random.default_rng(1)
        img = rng.integers(0, 255, (roi.h, roi.w, 3), dtype=np.uint8)
        ok, jpeg = cv2.imencode(".jpg", img)
        assert ok
        return Sample(
            id=cmd_id, captured_at=int(time.time()), jpeg=base64.b64encode(jpeg.tobytes()).decode(),
            width=roi.w, height=roi.h, roi=roi,
        )  # fmt: skip

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        cmd = decode(Kind.CMD, bytes(msg.payload))
        assert isinstance(cmd, CaptureSampleCommand | ConfigCommand | PingCommand)
        if isinstance(cmd, CaptureSampleCommand):
            self.client.publish(
                topics.sample(self.device_id), encode(self.sample(cmd.id, self.roi)), qos=1
            )
        elif isinstance(cmd, ConfigCommand):
            self.config_patches.append(cmd.patch)
        ack = CommandAck(id=cmd.id, ok=True, t=int(time.time()))
        self.client.publish(topics.ack(self.device_id), encode(ack), qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _readings(device_id: str, pm: Callable[[int], float]) -> ReadingBatch:
    start = datetime.fromtimestamp(NOW - 7200, UTC)
    rows = [
        Reading(
            device_id=device_id,
            seq=i,
            captured_at=start + timedelta(seconds=60 * i),
            pm25=round(pm(NOW - 7200 + 60 * i), 1),
            pm25_sd=3.0,
            aqi=category(pm(NOW)),
            model_version=1,
        )
        for i in range(1, 120)
    ]
    return ReadingBatch.from_readings(device_id, 1, rows)


def _wait(check: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _count(h: HubClient, model: type[object]) -> int:
    with h.hub.registry.session() as s:
        return s.query(model).count()


def test_closed_loop(tmp_path: Path, mosquitto: MosquittoBroker) -> None:  # noqa: PLR0915
    global NOW  # noqa: PLW0603 - the data is built around the time the test runs, not collection
    NOW = int(time.time()) // 60 * 60 - 30
    mosquitto.start()
    assert mosquitto.process is not None
    pid = tmp_path / "mosquitto.pid"
    pid.write_text(str(mosquitto.process.pid))
    settings = {
        "mqtt": {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]},
        "ingest": {"enabled": True, "client_id": "hub-loop", "batch_linger_s": 0.01},
        "broker_files": {"password_file": str(mosquitto.workdir / "passwd"), "pid_file": str(pid)},
        "loop": {
            "samples": {"roi": {"cam-a": {"x": 0, "y": 0, "w": 96, "h": 64}}},
            "labels": {"tolerance_s": 300},
            "calibration": {"min_pairs": 10},
            "drift": {"window_s": 3600, "baseline_s": 3600, "min_n": 50},
        },
    }
    with running_hub(tmp_path, **settings) as h:
        op = h.headers("operator")
        creds = {}
        for dev, lat in (("cam-a", LAT), ("cam-b", LAT + 1)):  # cam-b: no monitor within 2 km
            body = {"id": dev, "lat": lat, "lon": LON}
            creds[dev] = h.client.post("/api/v1/devices", json=body, headers=op).json()
        with h.hub.registry.session() as s:
            monitors.create_monitor(s, "test", "mon-1", name="m", lat=LAT + 0.001, lon=LON)
        with h.hub.registry.session() as s:
            refs = [(float(t), _ref(t)) for t in range(NOW - 9000 + 30, NOW + 1200, 600)]
            monitors.add_readings(s, "test", "mon-1", refs)
        rule = {"name": "drift", "params": {"kind": "drift"}}
        assert h.client.post("/api/v1/alerts/rules", json=rule, headers=op).status_code == 201

        roi = Roi(x=8, y=8, w=64, h=48)
        cams = {d: FakeCamera(mosquitto.port, d, creds[d]["mqtt_password"], roi) for d in creds}
        try:
            # cam-a reads 2·ref - 8 (a bias to calibrate); cam-b jumps tenfold in the last hour.
            cams["cam-a"].publish(
                topics.readings("cam-a"), _readings("cam-a", lambda t: 2 * _ref(t) - 8)
            )
            jump = _readings(
                "cam-b", lambda t: 12.0 + (t % 7) if t < NOW - 3600 else 150.0 + (t % 7)
            )
            cams["cam-b"].publish(topics.readings("cam-b"), jump)
            _wait(lambda: all(
                h.client.get(f"/api/v1/devices/{d}", headers=op).json()["status"] == "online"
                for d in creds
            ))  # fmt: skip
            time.sleep(0.5)  # ingest writes readings in its batch

            job = LoopJob(h.hub.registry, h.hub.series, h.hub.publish, h.hub.settings.loop,
                          open_store(h.hub.settings.loop, h.hub.settings.data_dir))  # fmt: skip
            first = job.run_once()
            # cam-a reads twice the monitor: an event; cam-b has no monitor: its schedule.
            assert first.asked == {"cam-a": "disagreement", "cam-b": "schedule"}
            assert first.calibrated["cam-a"] == 1
            assert "no reference monitor" in str(first.calibrated["cam-b"])
            assert first.drift == {"cam-a": [], "cam-b": ["pm25 change"]}
            assert first.notices == 1
            events = h.client.get("/api/v1/alerts/events", headers=op).json()
            assert [(e["device_id"], e["message"][:10]) for e in events] == [
                ("cam-b", "drift: pm2")
            ]

            [cal] = h.client.get("/api/v1/loop/devices/cam-a/calibrations", headers=op).json()
            assert cal["version"] == 1
            assert cal["slope"] == pytest.approx(0.5, abs=0.02)
            assert cal["intercept"] == pytest.approx(4, abs=1)
            assert cal["mae_after"] < 1  # the readings are rounded to 0.1
            assert cal["mae_before"] > 10

            def config_acked() -> bool:
                with h.hub.registry.session() as s:
                    row = s.get(CommandLogEntry, cal["command_id"])
                    return row is not None and row.ok is True

            _wait(config_acked)
            assert cams["cam-a"].config_patches == [
                {
                    "calibration": {
                        "version": 1,
                        "slope": cal["slope"],
                        "intercept": cal["intercept"],
                    }
                }
            ]
            drift_b = h.client.get("/api/v1/loop/devices/cam-b/drift", headers=op).json()
            assert {d["signal"]: d["drifted"] for d in drift_b} == {
                "pm25": True, "sd": False, "flags": False
            }  # fmt: skip

            # A sample wider than cam-a's configured ROI is refused: counted, no file kept.
            wide = cams["cam-a"].sample("not-asked", Roi(x=0, y=0, w=128, h=48))
            cams["cam-a"].publish(topics.sample("cam-a"), wide)
            _wait(lambda: _count(h, DeviceSample) == 3)
            second = job.run_once()
            assert second.harvested == 3
            assert second.asked == {}  # the answers arrived; the next schedule is hours away
            with h.hub.registry.session() as s:
                rows = {
                    (r.device_id, r.reason, r.state, r.label_status) for r in s.query(LoopSample)
                }
                a = s.query(LoopSample).filter_by(device_id="cam-a", state="stored").one()
                assert len(a.context["readings"]) >= 1  # provenance: readings around it
                # Captured before the device acked calibration 1: made uncalibrated.
                assert (a.model_version, a.calibration_version, a.monitor_id) == (1, None, "mon-1")
                assert queries.calibration_in_effect(s, "cam-a", time.time()) == 1
            assert rows == {
                ("cam-a", "disagreement", "stored", "joined"),
                ("cam-b", "schedule", "stored", "no_monitor"),
                ("cam-a", "manual", "refused", "pending"),
            }
            summary = h.client.get("/api/v1/loop/samples/summary", headers=op).json()
            assert summary["by_status"] == {"joined": 1, "no_monitor": 1, "refused": 1}

            out = tmp_path / "dataset"
            store = open_store(h.hub.settings.loop, h.hub.settings.data_dir)
            manifest = export(h.hub.registry, store, out, ExportFilter(), 300)
            assert manifest["counts"]["exported"] == 1 and manifest["unjoined"] == 2
            samples, report = load_dataset(out, timedelta(seconds=300))
            assert [s.camera for s in samples] == ["cam-a"] and report.joined == 1
            assert samples[0].pm25 == pytest.approx(a.ref_pm25, abs=1e-3)

            r = h.client.post("/api/v1/loop/dataset/export", json={}, headers=op)
            assert r.status_code == 200, r.text
            with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tar:
                names = tar.getnames()
            assert "dataset/manifest.json" in names and "dataset/cam-a/reference.csv" in names
            viewer = h.client.post(
                "/api/v1/loop/dataset/export", json={}, headers=h.headers("viewer")
            )
            assert viewer.status_code == 403
        finally:
            for cam in cams.values():
                cam.close()
