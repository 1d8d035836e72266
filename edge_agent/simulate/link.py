"""A device link that never calls ``select()``, so one process can hold thousands of them.

paho's ``loop()`` waits in ``select()``, which cannot watch a file descriptor above 1023: a
fleet of a few hundred devices, each with a socket and an SQLite outbox (database, WAL and
shared-memory files), goes past that, and ``loop()`` then reports every connection as lost.
This link drives paho with its non-blocking primitives instead (``loop_read``, ``loop_write``,
``loop_misc`` on the already non-blocking socket); everything else is the agent's
:class:`MqttLink` (connect, backoff, last will, status, callbacks).
"""

from __future__ import annotations

import time

import paho.mqtt.client as mqtt

from edge_agent.uplink import MqttLink
from pm25 import topics

OK = mqtt.MQTT_ERR_SUCCESS


class NonBlockingLink(MqttLink):
    """:class:`MqttLink` whose ``poll`` and ``close`` never block on the socket."""

    def poll(self, timeout_s: float = 0.0) -> None:
        """Connect when due, then read, write and keep alive without waiting."""
        now = self._mono()
        if self.state == "disconnected":
            if now < self._next_attempt:
                return
            self._start_connect()
        elif (
            self.state == "connecting"
            and now - self._attempt_started > self.config.connect_timeout_s
        ):
            self._failed("broker_unreachable", "no CONNACK in time", self._backoff.next_delay())
        client = self._client
        if client is None or self.state == "disconnected":
            return
        rc = client.loop_read()
        if rc == OK and client.want_write():
            rc = client.loop_write()
        if rc == OK:
            rc = client.loop_misc()
        if rc != OK and self._client is client:
            self._failed("broker_unreachable", mqtt.error_string(rc), self._backoff.next_delay())

    def close(self, timeout_s: float = 2.0) -> None:
        """Publish the retained offline status, wait for its ack, disconnect (no last will)."""
        client = self._client
        if client is None:
            return
        if self.state == "connected":
            info = client.publish(topics.status(self.device_id), self._status("offline"), 1, True)
            deadline = self._mono() + timeout_s
            while not info.is_published() and self._mono() < deadline and self.connected:
                self.poll()
                time.sleep(0.002)
            if self._client is client:
                self.state = "disconnected"
                client.disconnect()
                client.loop_write()
        self.state = "disconnected"
        self._drop_client()
