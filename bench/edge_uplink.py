"""Edge uplink: bytes per reading on the wire and MB/month, backlog drain rate, agent peak RSS.

(1) Bandwidth: a counting TCP proxy sits between the agent's uplink and a local Mosquitto; 600
    readings at one per 10 s (simulated clock) go through the real outbox and uplink. Measured:
    MQTT bytes both ways and socket reads (lower bound on TCP segments). Month model (30 days):
    readings + hourly heartbeats + keep-alive pings (none when batches come more often than the
    keep-alive) + one reconnect a day (measured CONNECT..SUBACK..status bytes, TCP handshake, and
    ~5 kB TLS handshake), each TCP segment costing 52 B of IPv4+TCP headers. Goal <= 5 MB/month.
(2) Drain: 100,000 readings in the outbox, connect, measure readings/s acknowledged while live
    readings keep arriving at 10/s. Goal >= 5,000/s.
(3) Agent peak RSS (VmHWM) of ``edge-agent run`` for ~20 s, with a folder camera (720p JPEGs,
    like a real camera) and with the dev profile's synthetic scene simulator. Goal <= 150 MB.

Run ``python -m bench.edge_uplink``.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Final

from bench.edge_agent_rss import measure_rss
from bench.report import print_table, write_json
from bench.uplink_proxy import CountingProxy
from bench.wire_bytes import realistic_readings
from edge_agent.config_sections import HeartbeatConfig, MqttConfig, UplinkConfig
from edge_agent.heartbeat import Health, ModelInfo
from edge_agent.outbox import NewReading, Outbox
from edge_agent.uplink_stage import UplinkStage
from pm25 import topics
from pm25.wire import encode
from tests.support.mosquitto import MosquittoBroker

DEVICE: Final = "cam-0042"
PASSWORD: Final = "bench-pw"
MONTH_S: Final = 30 * 86400
TCP_IP_HEADER: Final = 52  # IPv4 20 + TCP 20 + timestamps option 12
TLS_HANDSHAKE: Final = 5000
RECONNECTS_PER_DAY: Final = 1
TCP_CONNECT_SEGMENTS: Final = 7  # SYN, SYN-ACK, ACK, and FIN/ACK both ways


def _readings(n: int, t0: int, step_s: int) -> list[NewReading]:
    return [
        NewReading(t0 + i * step_s, r.pm25, r.pm25_sd, int(r.aqi), int(r.flags), 4)
        for i, r in enumerate(realistic_readings(n))
    ]


def _broker(workdir: Path) -> MosquittoBroker:
    broker = MosquittoBroker(workdir=workdir, users={DEVICE: PASSWORD})
    broker.start()
    return broker


def _connect(stage: UplinkStage, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not stage.link.connected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"uplink did not connect: {stage.link.errors}")
        stage.link.poll(0.01)
    settle = time.monotonic() + 0.3
    while time.monotonic() < settle:
        stage.link.poll(0.01)


def _drain_acks(stage: UplinkStage, outbox: Outbox, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while (outbox.stats().depth or stage.sync.in_flight) and time.monotonic() < deadline:
        stage.link.poll(0.01)
        stage.sync.pump()
    time.sleep(0.2)


def bandwidth(workdir: Path, max_count: int, max_age_s: float, n: int = 600) -> dict[str, float]:
    """Wire bytes for ``n`` readings at 1 per 10 s with the given batching, and the month model."""
    broker = _broker(workdir / "broker")
    proxy = CountingProxy(broker.port)
    outbox = Outbox(workdir / "outbox.db")
    t0 = 1_750_000_000
    now = [float(t0)]
    mqtt = MqttConfig(port=proxy.port, password=PASSWORD)
    uplink = UplinkConfig(max_count=max_count, max_age_s=max_age_s)
    stage = UplinkStage(
        DEVICE, outbox, mqtt, uplink, HeartbeatConfig(), agent_version="0.1.0", clock=lambda: now[0]
    )
    try:
        _connect(stage)
        connect_up, connect_down, connect_segs = proxy.counts.snapshot()
        for i, r in enumerate(_readings(n, t0, 10)):
            now[0] = t0 + 10 * i
            outbox.append(r)
            stage.sync.pump()
            stage.link.poll(0.001)
        now[0] += max_age_s
        _drain_acks(stage, outbox)
        up, down, segs = proxy.counts.snapshot()
        r_bytes, r_segs = up + down - connect_up - connect_down, segs - connect_segs
        health = Health(
            "0.1.0", workdir, outbox, lambda: ModelInfo(4, "haze-cnn-int8", "onnxruntime_cpu")
        )
        stage.link.publish(topics.heartbeat(DEVICE), encode(health.heartbeat()))
        _drain_acks(stage, outbox)
        up2, down2, segs2 = proxy.counts.snapshot()
        hb_bytes, hb_segs = up2 + down2 - up - down, segs2 - segs
    finally:
        stage.link.close()
        proxy.close()
        broker.stop()
    per_reading = (r_bytes + r_segs * TCP_IP_HEADER) / n
    readings_month = MONTH_S / 10
    hb_month = (MONTH_S / 3600) * (hb_bytes + hb_segs * TCP_IP_HEADER)
    batch_interval = min(max_age_s, max_count * 10)
    pings = 0 if mqtt.keepalive_s > batch_interval else MONTH_S / mqtt.keepalive_s
    ping_month = pings * (4 + 2 * TCP_IP_HEADER)
    connect_cost = connect_up + connect_down + (connect_segs + TCP_CONNECT_SEGMENTS) * TCP_IP_HEADER
    reconnect_month = 30 * RECONNECTS_PER_DAY * (connect_cost + TLS_HANDSHAKE)
    total = readings_month * per_reading + hb_month + ping_month + reconnect_month
    return {
        "max_count": max_count,
        "max_age_s": max_age_s,
        "mqtt_bytes_per_reading": r_bytes / n,
        "all_in_bytes_per_reading": per_reading,
        "heartbeat_bytes": hb_bytes + hb_segs * TCP_IP_HEADER,
        "reconnect_bytes": connect_cost + TLS_HANDSHAKE,
        "readings_mb_month": readings_month * per_reading / 1e6,
        "mb_per_month": total / 1e6,
    }


def drain(workdir: Path, backlog: int = 100_000) -> dict[str, float]:
    """Readings/s acknowledged while draining ``backlog`` with live readings at 10/s."""
    broker = _broker(workdir / "broker")
    outbox = Outbox(workdir / "outbox.db")
    t0 = int(time.time()) - backlog
    fill = time.perf_counter()
    for start in range(0, backlog, 10_000):
        outbox.append_many(_readings(10_000, t0 + start, 1))
    fill_s = time.perf_counter() - fill
    mqtt = MqttConfig(port=broker.port, password=PASSWORD)
    stage = UplinkStage(
        DEVICE,
        outbox,
        mqtt,
        UplinkConfig(max_count=10, max_age_s=1),
        HeartbeatConfig(),
        agent_version="0.1.0",
    )
    stop = threading.Event()
    live = [0]

    def produce() -> None:
        while not stop.is_set():
            outbox.append(_readings(1, int(time.time()), 1)[0])
            live[0] += 1
            time.sleep(0.1)

    threads = [threading.Thread(target=stage.run, args=(stop,)), threading.Thread(target=produce)]
    try:
        for t in threads:
            t.start()
        while not stage.link.connected:
            time.sleep(0.01)
        started = time.perf_counter()
        while outbox.unsent(limit=1, upto_seq=backlog - 1):
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        live_acked = stage.sync.acked_readings - backlog
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        broker.stop()
    return {
        "backlog": backlog,
        "fill_readings_per_s": backlog / fill_s,
        "drain_s": elapsed,
        "drain_readings_per_s": backlog / elapsed,
        "live_readings_produced": live[0],
        "live_readings_acked_during_drain": max(0, live_acked),
    }


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-uplink-") as tmp:
        root = Path(tmp)
        defaults = UplinkConfig()
        default = bandwidth(root / "default", defaults.max_count, defaults.max_age_s)
        low_latency = bandwidth(root / "fast", max_count=1000, max_age_s=10)
        drained = drain(root / "drain")
        rss = measure_rss(root / "rss-folder", "folder")
        rss_sim = measure_rss(root / "rss-synthetic", "synthetic")
    rows = [
        [
            "default batching",
            default["max_count"],
            default["max_age_s"],
            default["all_in_bytes_per_reading"],
            default["mb_per_month"],
        ],
        [
            "low latency (10 s)",
            low_latency["max_count"],
            low_latency["max_age_s"],
            low_latency["all_in_bytes_per_reading"],
            low_latency["mb_per_month"],
        ],
    ]
    print_table(
        "uplink bandwidth at 1 reading / 10 s (goal <= 5 MB/month at defaults)",
        ["mode", "max_count", "max_age_s", "B/reading all-in", "MB/month"],
        rows,
    )
    print_table(
        "backlog drain (goal >= 5000 readings/s)",
        ["backlog", "seconds", "readings/s", "live acked"],
        [
            [
                drained["backlog"],
                drained["drain_s"],
                drained["drain_readings_per_s"],
                drained["live_readings_acked_during_drain"],
            ]
        ],
    )
    print_table(
        "agent peak RSS (goal <= 150 MB with a real camera)",
        ["camera", "seconds", "VmHWM MB"],
        [
            ["folder (720p JPEGs, like a camera)", rss["seconds"], rss["vmhwm_mb"]],
            ["synthetic (dev scene simulator)", rss_sim["seconds"], rss_sim["vmhwm_mb"]],
        ],
    )
    result: dict[str, object] = {
        "bandwidth_default": default,
        "bandwidth_low_latency": low_latency,
        "drain": drained,
        "rss_folder_camera": rss,
        "rss_synthetic_camera": rss_sim,
        "goals_met": {
            "mb_per_month_le_5": default["mb_per_month"] <= 5,
            "drain_ge_5000_per_s": drained["drain_readings_per_s"] >= 5000,
            "rss_le_150_mb": rss["vmhwm_mb"] <= 150,
        },
    }
    write_json("edge_uplink", result)
    return result


if __name__ == "__main__":
    run()
