"""The MQTT link: the only module that imports paho. Connects, reconnects, publishes, receives.

One thread owns the link and calls :meth:`MqttLink.poll` in a loop; every callback runs in that
thread. A fresh paho client is built for each connection attempt (same client id, persistent
session), so paho's in-memory queue never holds readings: durability belongs to the outbox, and
whatever was in flight when a connection dropped is simply published again from the outbox.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge_agent.backoff import Backoff
from edge_agent.config_sections import MqttConfig
from pm25 import topics
from pm25.wire import Status, encode

log = logging.getLogger(__name__)

UNSUPPORTED_PROTOCOL = 132
AUTH_REFUSED = frozenset({134, 135})  # bad user name or password; not authorized
State = Literal["disconnected", "connecting", "connected"]


class LinkEvents(Protocol):
    """What the uplink stage hears from the link (called in the polling thread)."""

    def on_connected(self, session_present: bool) -> None: ...
    def on_disconnected(self) -> None: ...
    def on_acked(self, mid: int, ok: bool) -> None: ...
    def on_message(self, topic: str, payload: bytes) -> None: ...


class MqttLink:
    """A persistent-session MQTT 5 (or 3.1.1) connection for one device."""

    def __init__(
        self,
        device_id: str,
        config: MqttConfig,
        agent_version: str,
        events: LinkEvents,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device_id = device_id
        self.config = config
        self.agent_version = agent_version
        self.events = events
        self._clock, self._mono = clock, monotonic
        self._backoff = Backoff.from_config(config.backoff)
        self._v5 = config.protocol != "3.1.1"
        self._client: mqtt.Client | None = None
        self.state: State = "disconnected"
        self._next_attempt = 0.0
        self._attempt_started = 0.0
        self.errors: dict[str, str] = {}
        self.connects = 0  # successful connections
        self.attempts = 0  # connection attempts, successful or not

    @property
    def connected(self) -> bool:
        return self.state == "connected"

    @property
    def protocol(self) -> str:
        return "5" if self._v5 else "3.1.1"

    def poll(self, timeout_s: float = 0.05) -> None:
        """Connect when due, give paho time to send and receive, notice a stalled connect."""
        now = self._mono()
        if self.state == "disconnected":
            if now < self._next_attempt:
                time.sleep(min(timeout_s, self._next_attempt - now))
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
        rc = self._service(client, timeout_s)
        if rc != mqtt.MQTT_ERR_SUCCESS and self._client is client:
            self._failed("broker_unreachable", mqtt.error_string(rc), self._backoff.next_delay())

    def _service(self, client: mqtt.Client, timeout_s: float) -> int:
        """Let paho read, write and keep alive once, waiting at most ``timeout_s`` for the socket.

        The one place the link drives paho's network I/O, so a subclass can drive it differently
        without touching the connection logic: the fleet simulator overrides it to never call
        ``select()`` (``edge_agent.simulate.link``). Returns paho's code (``MQTT_ERR_SUCCESS``
        when the connection is fine); anything else makes :meth:`poll` reconnect with backoff.
        """
        return int(client.loop(timeout_s))

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Publish at QoS 1; the mid whose ack will come to ``on_acked``, or None if offline."""
        if self._client is None or self.state != "connected":
            return None
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return None
        return int(info.mid)

    def close(self, timeout_s: float = 2.0) -> None:
        """Publish the retained offline status and disconnect cleanly (no last will)."""
        client = self._client
        if client is None:
            return
        if self.state == "connected":
            info = client.publish(topics.status(self.device_id), self._status("offline"), 1, True)
            deadline = self._mono() + timeout_s
            while not info.is_published() and self._mono() < deadline and self.connected:
                self._service(client, 0.05)
            if self._client is client:  # not dropped by a connection lost while waiting
                self.state = "disconnected"
                client.disconnect()
                self._service(client, 0.05)
        self.state = "disconnected"
        self._drop_client()

    # -- connection handling -----------------------------------------------------------------

    def _status(self, state: Literal["online", "offline"]) -> bytes:
        at = Status.online if state == "online" else Status.offline
        return encode(at(self.agent_version, _utc(self._clock())))

    def _build_client(self) -> mqtt.Client:
        proto = mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.device_id,
            protocol=proto,
            clean_session=None if self._v5 else False,
        )
        client.username_pw_set(self.config.username or self.device_id, self.config.secret())
        tls = self.config.tls
        if tls is not None:
            client.tls_set(
                ca_certs=str(tls.ca) if tls.ca else None,
                certfile=str(tls.cert) if tls.cert else None,
                keyfile=str(tls.key) if tls.key else None,
                cert_reqs=ssl.CERT_REQUIRED if tls.verify else ssl.CERT_NONE,
            )
            client.tls_insecure_set(not tls.verify)
        client.will_set(topics.status(self.device_id), self._status("offline"), 1, True)
        client.max_inflight_messages_set(100)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def _start_connect(self) -> None:
        self._drop_client()
        self._client = client = self._build_client()
        self.attempts += 1
        self.state, self._attempt_started = "connecting", self._mono()
        try:
            if self._v5:
                props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = self.config.session_expiry_s
                client.connect(
                    self.config.host,
                    self.config.port,
                    self.config.keepalive_s,
                    clean_start=False,
                    properties=props,
                )
            else:
                client.connect(self.config.host, self.config.port, self.config.keepalive_s)
        except (OSError, ValueError) as e:
            self._failed("broker_unreachable", f"{self.config.host}:{self.config.port}: {e}", None)

    def _failed(self, code: str, msg: str, delay: float | None) -> None:
        wait = self._backoff.next_delay() if delay is None else delay
        if code not in self.errors or self.state == "connected":
            log.warning("MQTT %s (%s); retrying in %.1f s", code, msg, wait)
        self.errors[code] = msg
        was = self.state
        self.state = "disconnected"
        self._next_attempt = self._mono() + wait
        self._drop_client()
        if was == "connected":
            self.events.on_disconnected()

    def _drop_client(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.on_disconnect = None
            with contextlib.suppress(OSError):
                if client.socket() is not None:
                    client.disconnect()

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            code = int(rc.value)
            if code == UNSUPPORTED_PROTOCOL and self._v5 and self.config.protocol == "auto":
                log.warning("broker refused MQTT 5; falling back to 3.1.1")
                self._v5 = False
                self._failed("broker_protocol", "MQTT 5 refused, using 3.1.1", 0.0)
            elif code in AUTH_REFUSED:
                self._failed(
                    "broker_auth_failed",
                    f"broker refused credentials: {rc}",
                    self.config.auth_retry_s,
                )
            else:
                self._failed("broker_refused", f"broker refused connection: {rc}", None)
            return
        self.state = "connected"
        self.connects += 1
        self._backoff.reset()
        for stale in ("broker_unreachable", "broker_auth_failed", "broker_refused"):
            self.errors.pop(stale, None)
        log.info("connected to %s:%s (MQTT %s)", self.config.host, self.config.port, self.protocol)
        # Commands, and the retained desired update the broker re-sends on every subscribe.
        client.subscribe([(topics.cmd(self.device_id), 1), (topics.desired(self.device_id), 1)])
        client.publish(topics.status(self.device_id), self._status("online"), 1, True)
        self.events.on_connected(bool(getattr(flags, "session_present", False)))

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if self.state != "disconnected":
            self._failed("broker_unreachable", f"connection lost: {rc}", None)

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        ok = not rc.is_failure
        if not ok:
            self.errors["broker_publish_refused"] = f"broker refused a publish: {rc}"
        self.events.on_acked(mid, ok)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.events.on_message(msg.topic, bytes(msg.payload))


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(int(t), tz=UTC)
