"""A hub served over real HTTP (uvicorn in a thread) with ingest from a real Mosquitto, fed by
devices that publish real pm25.wire batches, heartbeats and a sample crop: what the browser sees."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import httpx
import paho.mqtt.client as mqtt
import uvicorn

from cloud_hub.app import create_app
from cloud_hub.hub import Hub
from cloud_hub.settings import HubSettings
from pm25 import topics
from pm25.sim.render import Conditions, render
from pm25.sim.scene import make_scene
from pm25.wire import (
    CaptureSampleCommand,
    CommandAck,
    Gap,
    Heartbeat,
    Latency,
    PingCommand,
    ReadingBatch,
    Roi,
    Sample,
    decode,
    encode,
)
from tests.cloud_hub.ingest_support import Publisher, wait_until
from tests.conftest import HUB_USER
from tests.support.mosquitto import MosquittoBroker

PASSWORD = "correct horse battery"
STEP_S = 60
# Devices around a city centre, [lat, lon]; the zone outline is [lat, lon] pairs too.
DEVICES = {
    "cam-north": (48.8625, 2.3450),
    "cam-centre": (48.8570, 2.3520),
    "cam-east": (48.8590, 2.3650),
}
ZONE = [[48.850, 2.335], [48.868, 2.335], [48.868, 2.372], [48.850, 2.372]]
GAP_S = (3600, 2400)  # seconds before "now": readings missing in between, with a gap record


RESPONDER = "cam-east"  # answers ping and capture_sample like an agent would


@dataclass
class LiveHub:
    url: str
    hub: Hub
    tokens: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _batches(device: str, now: int) -> list[ReadingBatch]:
    """Two hours of readings every STEP_S, minus a lost stretch reported as a gap record."""
    start = now - 7200
    times = [t for t in range(start, now, STEP_S) if not now - GAP_S[0] <= t < now - GAP_S[1]]
    out = []
    for b in range(0, len(times), 30):
        chunk = times[b : b + 30]
        pm = [round(12 + 10 * ((t // STEP_S) % 17) / 17 + len(device) % 5, 1) for t in chunk]
        gaps: tuple[Gap, ...] = ()
        if b == 0:
            lost = (now - GAP_S[0], now - GAP_S[1] - 1)
            gaps = (Gap(t_from=lost[0], t_to=lost[1], reason="camera_unavailable"),)
        out.append(
            ReadingBatch(
                d=device, mv=3, s0=1 + b, t0=chunk[0], dt=tuple(t - chunk[0] for t in chunk),
                pm=tuple(pm), sd=tuple(round(1.0 + p * 0.1, 1) for p in pm),
                aqi=tuple(0 if p <= 9 else 1 for p in pm), gaps=gaps,
            )
        )  # fmt: skip
    return out


def _heartbeat(now: int, outbox: int, blur: int) -> Heartbeat:
    return Heartbeat(
        t=now, agent="0.1.0", uptime_s=3600, disk_free_b=10**9, outbox=outbox, outbox_age_s=20,
        mv=3, model="pm25-haze-int8", backend="onnxruntime_cpu", backend_why="no accelerator",
        accepted=300, rejected={"blur": blur, "night": 2}, lat_ms=Latency(p50=11.0, p95=19.5),
    )  # fmt: skip


def _sample(now: int) -> Sample:
    frame = render(make_scene(7, 320, 180), Conditions(pm25_ugm3=35.0), seed=1)
    ok, jpeg = cv2.imencode(".jpg", frame[40:160, 60:300])
    assert ok
    return Sample(
        id="seed-sample", captured_at=now, jpeg=base64.b64encode(jpeg.tobytes()).decode(),
        width=240, height=120, roi=Roi(x=60, y=40, w=240, h=120),
    )  # fmt: skip


class Responder:
    """A device's command side over the real broker: acks ping, and answers capture_sample with
    a sample crop and an ack, as the edge agent's command handler does."""

    def __init__(self, port: int, device: str, password: str) -> None:
        self.device = device
        self.pub = Publisher(port, device, password, client_id=f"responder-{device}")
        self.pub.client.on_message = self._on_message
        self.pub.client.subscribe(topics.cmd(device), qos=1)

    def _on_message(self, client: mqtt.Client, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        cmd = decode("cmd", bytes(msg.payload))
        now = int(time.time())
        if isinstance(cmd, CaptureSampleCommand):
            sample = _sample(now).model_copy(update={"id": cmd.id})
            client.publish(topics.sample(self.device), encode(sample), qos=1)
            ack = CommandAck(id=cmd.id, ok=True, t=now, result={"width": sample.width})
        elif isinstance(cmd, PingCommand):
            ack = CommandAck(id=cmd.id, ok=True, t=now)
        else:
            return
        client.publish(topics.ack(self.device), encode(ack), qos=1)

    def close(self) -> None:
        self.pub.close()


def _seed(live: LiveHub, broker: MosquittoBroker) -> None:
    api = httpx.Client(base_url=live.url + "/api/v1", headers=live.headers("operator"))
    zone = {"id": "centre", "name": "Centre", "outline": ZONE}
    assert api.post("/zones", json=zone).status_code == 201
    passwords = {}
    for i, (device, (lat, lon)) in enumerate(DEVICES.items()):
        body = {"id": device, "lat": lat, "lon": lon, "zone_id": "centre", "tags": [f"row-{i % 2}"]}
        r = api.post("/devices", json=body)
        assert r.status_code == 201, r.text
        passwords[device] = live.passwords[device] = r.json()["mqtt_password"]
    monitor = {"id": "ref-centre", "name": "Reference Centre", "lat": 48.8571, "lon": 2.3522}
    assert api.post("/monitors", json=monitor).status_code == 201
    now = int(time.time())
    ref = [{"t": t, "pm25": 15.0 + (t // 600) % 5} for t in range(now - 7200, now, 600)]
    assert api.post("/monitors/ref-centre/readings", json=ref).status_code == 200
    for device, password in passwords.items():
        pub = Publisher(broker.port, device, password)  # paho retries until the broker reloads
        assert pub.client.is_connected(), f"{device} could not log in to the broker"
        items = [(topics.readings(device), encode(b)) for b in _batches(device, now)]
        pub.publish(items)
        for k in range(3):
            pub.publish([(topics.heartbeat(device), encode(_heartbeat(now, 5 - k, 3 * k)))])
            time.sleep(0.3)
        if device == "cam-centre":
            pub.publish([(topics.sample(device), encode(_sample(now)))])
        pub.close()
    done = lambda: all(  # noqa: E731
        len(api.get(f"/devices/{d}/heartbeats", params={"start": 0, "end": 2**40}).json()) == 3
        for d in DEVICES
    )
    assert wait_until(done, 20), "ingest did not store the heartbeats"
    api.close()


@contextmanager
def live_hub(workdir: Path) -> Iterator[LiveHub]:
    """Mosquitto + hub (ingest on) on free ports, three users, seeded devices and data."""
    broker = MosquittoBroker(
        workdir=workdir / "mosquitto", users={HUB_USER[0]: HUB_USER[1]}, superusers=(HUB_USER[0],)
    )
    broker.start()
    assert broker.process is not None
    pid = workdir / "mosquitto.pid"
    pid.write_text(str(broker.process.pid))
    settings = HubSettings.model_validate({
        "data_dir": workdir / "hub",
        "mqtt": {"port": broker.port, "username": HUB_USER[0], "password": HUB_USER[1]},
        "ingest": {"enabled": True, "client_id": "hub-console", "batch_linger_s": 0.01},
        "broker_files": {"password_file": str(broker.workdir / "passwd"), "pid_file": str(pid)},
        "console": {"poll_s": 2.0},
        "rollouts": {"enabled": True, "interval_s": 1.0},
    })  # fmt: skip
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: server.started, 15), "hub did not start"
        live = LiveHub(f"http://127.0.0.1:{port}", app.state.hub)
        for role in ("viewer", "operator", "admin"):
            live.hub.auth.create_user("test", role, PASSWORD, role)
            r = httpx.post(
                f"{live.url}/api/v1/auth/login", json={"username": role, "password": PASSWORD}
            )
            live.tokens[role] = r.json()["access_token"]
        _seed(live, broker)
        responder = Responder(broker.port, RESPONDER, live.passwords[RESPONDER])
        try:
            yield live
        finally:
            responder.close()
    finally:
        server.should_exit = True
        thread.join(10)
        broker.stop()
