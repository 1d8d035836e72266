"""The hub's MQTT connection settings and client factory (paho-mqtt 2.x, MQTT 5).

The ingest worker and the alert notifier build their clients here, so TLS, credentials and the
protocol version are decided once. Only this module, ``cloud_hub.ingest.worker`` and a notifier
import paho.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Sequence
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["Message", "MqttSettings", "make_client", "publish_batch", "publish_once"]

# One outgoing message: topic, payload, retain.
Message = tuple[str, bytes, bool]


class MqttSettings(BaseModel):
    """Where the broker is and how the hub logs in (the hub user is a broker superuser)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="Broker host name.")
    port: int = Field(default=1883, ge=1, le=65535, description="Broker port (8883 for TLS).")
    username: str = Field(default="hub", description="The hub's MQTT user (a broker superuser).")
    password: SecretStr = Field(default=SecretStr(""), description="The hub's MQTT password.")
    tls: bool = Field(default=False, description="Connect with TLS.")
    ca_file: Path | None = Field(default=None, description="CA bundle that signed the broker.")
    keepalive_s: int = Field(default=30, ge=5, le=3600, description="MQTT keepalive, seconds.")


def make_client(settings: MqttSettings, client_id: str, *, manual_ack: bool = False) -> mqtt.Client:
    """An MQTT 5 client with credentials and TLS set, not yet connected."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    client.username_pw_set(settings.username, settings.password.get_secret_value())
    if settings.tls:
        ca = str(settings.ca_file) if settings.ca_file else None
        client.tls_set(ca_certs=ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    return client


def publish_once(
    settings: MqttSettings,
    client_id: str,
    topic: str,
    payload: bytes,
    *,
    qos: int = 1,
    retain: bool = False,
    timeout_s: float = 10.0,
) -> None:
    """Connect, publish one message, wait until the broker has it (QoS 1 PUBACK), disconnect.

    For rare messages (alert notifications). Raises ``TimeoutError`` or ``OSError`` on failure.
    """
    publish_batch(settings, client_id, [(topic, payload, retain)], qos=qos, timeout_s=timeout_s)


def publish_batch(
    settings: MqttSettings,
    client_id: str,
    messages: Sequence[Message],
    *,
    qos: int = 1,
    timeout_s: float = 10.0,
) -> None:
    """Connect once, publish every ``(topic, payload, retain)``, wait for each PUBACK, disconnect.

    Why one connection: a fleet-wide hold is one message per device, and a connection per
    message (TCP + TLS + MQTT login) costs far more than the message. paho keeps at most 20
    messages in flight (Mosquitto's default receive maximum) and queues the rest.
    ``timeout_s`` bounds the wait for the broker's CONNACK and for each next PUBACK, so a broker
    that stops answering fails the batch within ``timeout_s`` whatever its length. Raises
    ``TimeoutError`` or ``OSError`` (``ConnectionRefusedError`` when the broker refuses the login);
    messages confirmed before the failure stay on the broker.
    """
    if not messages:
        return
    client = make_client(settings, client_id)
    answered = threading.Event()
    refused: list[str] = []

    def on_connect(_c: object, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        if reason.is_failure:
            refused.append(str(reason))
        answered.set()

    client.on_connect = on_connect
    client.connect(settings.host, settings.port, settings.keepalive_s)
    client.loop_start()
    try:
        if not answered.wait(timeout_s):
            raise TimeoutError(f"broker did not answer the connection within {timeout_s} s")
        if refused:
            raise ConnectionRefusedError(f"broker refused the hub's login: {refused[0]}")
        sent = [(t, client.publish(t, p, qos=qos, retain=r)) for t, p, r in messages]
        for topic, info in sent:
            try:
                info.wait_for_publish(timeout_s)
                done = info.is_published()
            except (RuntimeError, ValueError) as e:  # paho's "not queued" / "not connected"
                raise ConnectionError(f"{topic} not sent: {e}") from e
            if not done:
                raise TimeoutError(f"broker did not confirm {topic} within {timeout_s} s")
    finally:
        client.disconnect()
        client.loop_stop()
