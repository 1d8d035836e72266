"""Helpers for the ingest tests: device publishers on a real broker, batches, waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from pm25.wire import ReadingBatch

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_batch(device: str, s0: int, n: int = 10, t0: datetime = T0) -> ReadingBatch:
    return ReadingBatch(
        d=device, mv=1, s0=s0, t0=t0 + timedelta(seconds=s0 * 10), dt=tuple(range(0, 10 * n, 10)),
        pm=tuple(float(i % 50) for i in range(n)), sd=(1.5,) * n, aqi=(1,) * n,
    )  # fmt: skip


class Publisher:
    """A connected MQTT 5 client publishing QoS 1 as one user; ``publish`` waits for PUBACKs."""

    def __init__(self, port: int, user: str, password: str, client_id: str = "") -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or f"pub-{user}", protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(user, password)
        self.client.max_inflight_messages_set(200)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_until(self.client.is_connected, 10)

    def publish(self, items: list[tuple[str, bytes]], timeout_s: float = 60.0) -> None:
        infos = [self.client.publish(t, p, qos=1) for t, p in items]
        for info in infos:
            info.wait_for_publish(timeout_s)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(cond: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()
