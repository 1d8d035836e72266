"""Haze drift end to end on a real Mosquitto: devices send readings and heartbeats with haze
histograms, the hub stores them, the loop job sums the window's histograms and compares them
with the model's training reference the way a single camera can be compared with it (the share
of its frames outside the training support) and the whole fleet (PSI of the summed histograms).
A healthy camera that sees only a slice of the training scenes raises no alert."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cloud_hub.loop.job import LoopJob, Round, open_store
from cloud_hub.registry.models import DeviceHeartbeat
from pm25 import topics
from pm25.aqi import category
from pm25.wire import Heartbeat, Reading, ReadingBatch, Roi
from tests.cloud_hub.hub_support import HubClient, running_hub
from tests.cloud_hub.test_loop_e2e import FakeCamera, _wait
from tests.conftest import HUB_USER
from tests.support.mosquitto import MosquittoBroker

# The training frames over the 12 haze bins: 0.5 % in each tail bin, a tenth in each decile.
FLAT = [5] + [100] * 10 + [5]
TRAINING = {"edge_density": FLAT, "transmission_mean": FLAT}


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


def _slice(first: int, width: int, each: int, size: int = 12) -> list[int]:
    """A camera whose scene fills ``width`` neighbouring bins from ``first`` evenly."""
    return [each if first <= i < first + width else 0 for i in range(size)]


@contextmanager
def _round(
    tmp_path: Path,
    mosquitto: MosquittoBroker,
    reference: dict[str, list[int]],
    haze: dict[str, dict[str, list[int]]],
    drift: dict[str, Any],
) -> Iterator[tuple[HubClient, dict[str, str], Round]]:
    """A hub with a drift rule and ``reference`` for model 1; each device of ``haze`` sends its
    readings and two heartbeats with its histograms; one loop round."""
    now = int(time.time())
    mosquitto.start()
    assert mosquitto.process is not None
    pid = tmp_path / "mosquitto.pid"
    pid.write_text(str(mosquitto.process.pid))
    settings = {
        "mqtt": {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]},
        "ingest": {"enabled": True, "client_id": "hub-haze", "batch_linger_s": 0.01},
        "broker_files": {"password_file": str(mosquitto.workdir / "passwd"), "pid_file": str(pid)},
        "loop": {"drift": {"window_s": 3600, "baseline_s": 3600, "min_n": 50, **drift}},
    }
    with running_hub(tmp_path, **settings) as h:
        op = h.headers("operator")
        r = h.client.put("/api/v1/loop/drift/references/1", json={"counts": reference}, headers=op)
        assert r.status_code == 204
        rule = {"name": "drift", "params": {"kind": "drift"}}
        assert h.client.post("/api/v1/alerts/rules", json=rule, headers=op).status_code == 201
        creds = {
            d: h.client.post("/api/v1/devices", json={"id": d}, headers=op).json() for d in haze
        }
        roi = Roi(x=0, y=0, w=8, h=8)
        cams = {d: FakeCamera(mosquitto.port, d, creds[d]["mqtt_password"], roi) for d in creds}
        try:
            for d, cam in cams.items():
                cam.publish(topics.readings(d), _readings(d, now))
                for _ in range(2):
                    cam.publish(topics.heartbeat(d), _heartbeat(now, haze[d]))

            def stored() -> bool:
                with h.hub.registry.session() as s:
                    return s.query(DeviceHeartbeat).count() == 2 * len(cams)

            _wait(stored)
            time.sleep(0.5)  # ingest writes readings in its batch
            job = LoopJob(h.hub.registry, h.hub.series, h.hub.publish, h.hub.settings.loop,
                          open_store(h.hub.settings.loop, h.hub.settings.data_dir))  # fmt: skip
            yield h, op, job.run_once()
        finally:
            for cam in cams.values():
                cam.close()


def _drift(h: HubClient, op: dict[str, str], device_id: str) -> dict[tuple[str, str], Any]:
    rows = h.client.get(f"/api/v1/loop/devices/{device_id}/drift", headers=op).json()
    return {(r["signal"], r["kind"]): r for r in rows}


def _events(h: HubClient, op: dict[str, str]) -> list[tuple[str, str]]:
    events = h.client.get("/api/v1/alerts/events", headers=op).json()
    return [(e["device_id"], e["message"]) for e in events]


def test_a_healthy_narrow_scene_is_quiet_and_frames_outside_the_training_support_alert(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    haze = {
        # cam-a sees one scene: its week fills 3 of the 10 deciles evenly, well inside the range
        # the model was trained on. Against the 500-camera training data its PSI is ~1.
        "cam-a": {"edge_density": _slice(4, 3, 20), "transmission_mean": _slice(2, 3, 20)},
        # cam-b's far field lost its edges (fog on the lens, a new wall in view): half its
        # frames have less edge density than 99.5 % of the training frames.
        "cam-b": {"edge_density": [30, 30] + [0] * 10, "transmission_mean": _slice(2, 3, 20)},
    }
    with _round(tmp_path, mosquitto, TRAINING, haze, {}) as (h, op, out):
        assert out.drift == {"cam-a": [], "cam-b": ["edge_density outside"]}
        assert out.fleet == []  # two cameras: too few to compare with the training data
        a = _drift(h, op, "cam-a")
        assert a["edge_density", "training"]["statistic"] > 1.0  # shown, not alerted
        assert not a["edge_density", "training"]["drifted"]
        assert a["edge_density", "training"]["baseline"] == "model:1"
        assert a["edge_density", "outside"]["statistic"] == 0.0
        assert a["edge_density", "outside"]["n"] == 120
        assert a["pm25", "change"]["baseline"] == "device" and not a["pm25", "change"]["drifted"]
        assert ("flags", "training") not in a  # training frames have no gate outcome
        assert ("flags", "change") in a
        b = _drift(h, op, "cam-b")
        assert b["edge_density", "outside"]["statistic"] == 0.5
        assert b["edge_density", "outside"]["drifted"]
        assert not b["transmission_mean", "outside"]["drifted"]
        assert _events(h, op) == [("cam-b", "drift: edge_density outside 0.5 >= 0.25")]


@pytest.mark.parametrize("shifted", [False, True])
def test_the_fleet_is_compared_with_the_training_data(
    tmp_path: Path, mosquitto: MosquittoBroker, shifted: bool
) -> None:
    """Three cameras each see a third of the training range: together they look like the
    training data (no fleet alert), unless the whole fleet moved to the hazy end."""
    slices = [(1, 3, 20)] * 3 if shifted else [(1, 4, 15), (5, 3, 20), (8, 3, 20)]
    haze = {f"cam-{i}": {"edge_density": _slice(*s)} for i, s in enumerate(slices)}
    with _round(tmp_path, mosquitto, TRAINING, haze, {"fleet_min_devices": 3}) as (h, op, out):
        fleet = h.client.get("/api/v1/loop/drift/fleet", headers=op).json()
        [row] = [r for r in fleet if r["signal"] == "edge_density"]
        assert (row["model_version"], row["devices"], row["n"]) == (1, 3, 360)
        assert all(v == [] for v in out.drift.values())  # no camera alerts on its own
        if shifted:
            assert row["drifted"] and row["statistic"] > 1.0
            assert out.fleet == ["v1 edge_density"]
            [(device, message)] = _events(h, op)
            assert device == "_fleet" and message.startswith("fleet drift vs training: v1 edge")
        else:
            assert not row["drifted"] and row["statistic"] < 0.1
            assert out.fleet == [] and _events(h, op) == []


def test_an_older_reference_without_tail_bins_still_compares_but_measures_no_support(
    tmp_path: Path, mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    old = {"edge_density": [10] * 10}  # a release built before the tail edges: deciles only
    haze = {"cam-b": {"edge_density": [30, 30] + [0] * 10}}
    with (
        caplog.at_level(logging.INFO),
        _round(tmp_path, mosquitto, old, haze, {}) as (h, op, out),
    ):
        b = _drift(h, op, "cam-b")
        assert b["edge_density", "training"]["statistic"] > 1.0  # all in the lowest decile
        assert ("edge_density", "outside") not in b
        assert out.drift == {"cam-b": []}
    assert "deciles only" in caplog.text and "out-of-range share is not measured" in caplog.text
