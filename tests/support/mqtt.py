"""An independent MQTT subscriber for tests: it records what really reached the broker."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool


class Watcher:
    """Subscribes to ``topics`` (QoS 1) and keeps every message; ``start`` returns after SUBACK."""

    def __init__(self, port: int, user: str, password: str, topics: list[str]) -> None:
        self._topics = topics
        self._subscribed = threading.Event()
        self._lock = threading.Lock()
        self.messages: list[Received] = []
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._client.username_pw_set(user, password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.on_message = self._on_message
        self._port = port

    def _on_connect(self, client: mqtt.Client, *_args: object) -> None:
        client.subscribe([(t, 1) for t in self._topics])

    def _on_message(self, _client: mqtt.Client, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain)))

    def start(self, timeout_s: float = 10.0) -> Watcher:
        self._client.connect("127.0.0.1", self._port)
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            raise TimeoutError("watcher did not get its SUBACK")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` messages arrived; return what arrived either way."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    break
            time.sleep(0.02)
        with self._lock:
            return list(self.messages)
