"""Provisioning: register a device, issue, rotate and revoke its MQTT credentials.

The credential is a random password shown once. The registry keeps its Argon2 hash; the broker's
password file gets its ``$7$`` hash (when configured), and the broker is told to reload. The ACL
(``deploy/mosquitto/acl``) confines user ``<id>`` to ``pm25/v1/<id>/...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloud_hub.auth.hashing import hash_password, new_device_password
from cloud_hub.errors import Conflict, ValidationFailed
from cloud_hub.mqtt_client import MqttSettings
from cloud_hub.provisioning import mosquitto
from cloud_hub.provisioning.bundle import bundle_yaml, device_bundle
from cloud_hub.registry import Registry, devices, people
from cloud_hub.settings import BrokerFilesSettings
from pm25.errors import WireError
from pm25.topics import validate_device_id


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    device_id: str
    mqtt_username: str
    mqtt_password: str
    bundle_yaml: str


class Provisioner:
    def __init__(
        self, registry: Registry, broker_files: BrokerFilesSettings, mqtt: MqttSettings
    ) -> None:
        self._registry = registry
        self._files = broker_files
        self._mqtt = mqtt

    def add(self, actor: str, device_id: str, **fields: Any) -> IssuedCredentials:
        """Register ``device_id`` and issue its first credentials."""
        try:
            validate_device_id(device_id)
        except WireError as e:
            raise ValidationFailed(str(e)) from e
        with self._registry.session() as s:
            devices.create_device(s, actor, device_id, **fields)
        return self.rotate(actor, device_id)

    def rotate(self, actor: str, device_id: str) -> IssuedCredentials:
        """A new password for the device; the old one stops working at the broker's reload."""
        password = new_device_password()
        with self._registry.session() as s:
            device = devices.get_device(s, device_id)
            if device.status == "revoked":
                raise Conflict(f"device {device_id!r} is revoked; register a new id")
            people.set_device_credential(s, actor, device_id, device_id, hash_password(password))
        self._write_broker(device_id, password)
        bundle = device_bundle(device_id, password, self._mqtt)
        return IssuedCredentials(device_id, device_id, password, bundle_yaml(bundle))

    def revoke(self, actor: str, device_id: str) -> None:
        """Revoke the device: ingest refuses it, the broker forgets its login."""
        with self._registry.session() as s:
            devices.revoke_device(s, actor, device_id)
            people.revoke_device_credentials(s, device_id)
        self._write_broker(device_id, None)

    def _write_broker(self, username: str, password: str | None) -> None:
        if self._files.password_file is None:
            return
        mosquitto.set_user(self._files.password_file, username, password)
        mosquitto.reload_broker(self._files.pid_file)
