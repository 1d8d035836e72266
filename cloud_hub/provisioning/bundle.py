"""The device config bundle: the YAML a new camera unit runs with (``edge-agent run --config``)."""

from __future__ import annotations

from typing import Any

import yaml

from cloud_hub.mqtt_client import MqttSettings


def device_bundle(
    device_id: str,
    password: str,
    broker: MqttSettings,
    *,
    public_host: str | None = None,
    data_dir: str = "/var/lib/edge-agent",
) -> dict[str, Any]:
    """The fields the edge agent needs to reach the hub as ``device_id``."""
    mqtt: dict[str, Any] = {
        "host": public_host or broker.host,
        "port": broker.port,
        "username": device_id,
        "password": password,
    }
    if broker.tls:  # the agent verifies the broker against the system CAs unless told otherwise
        mqtt["tls"] = {"verify": True}
    return {"device_id": device_id, "data_dir": data_dir, "mqtt": mqtt}


def bundle_yaml(bundle: dict[str, Any]) -> str:
    return "# 2.5Vision Edge device config; contains a secret.\n" + yaml.safe_dump(
        bundle, sort_keys=False
    )
