"""A device link that never calls ``select()``, so one process can hold thousands of them.

paho's ``loop()`` waits in ``select()``, which cannot watch a file descriptor above 1023: a
fleet of a few hundred devices, each with a socket and an SQLite outbox (database, WAL and
shared-memory files), goes past that, and ``loop()`` then reports every connection as lost.
This link overrides only :meth:`MqttLink._service`, the agent link's hook for driving paho's
network I/O, with paho's non-blocking primitives (``loop_read``, ``loop_write``, ``loop_misc``
on the already non-blocking socket); everything else is the agent's :class:`MqttLink`
(connect, backoff, last will, status, callbacks, clean close).
"""

from __future__ import annotations

import time

import paho.mqtt.client as mqtt

from edge_agent.uplink import MqttLink

OK = mqtt.MQTT_ERR_SUCCESS
CLOSE_PAUSE_S = 0.002  # while close() waits for its ack: yield the CPU instead of spinning


class NonBlockingLink(MqttLink):
    """:class:`MqttLink` whose socket servicing never blocks (the simulator polls with 0 s)."""

    def _service(self, client: mqtt.Client, timeout_s: float) -> int:
        """Read, write and keep alive without waiting in ``select()``.

        ``timeout_s`` is honoured only as a short pause (at most :data:`CLOSE_PAUSE_S`): the
        fleet polls every link with 0 s, and ``close`` passes a timeout while it waits for the
        offline status's ack.
        """
        rc = client.loop_read()
        if rc == OK and client.want_write():
            rc = client.loop_write()
        if rc == OK:
            rc = client.loop_misc()
        if timeout_s > 0:
            time.sleep(min(timeout_s, CLOSE_PAUSE_S))
        return int(rc)
