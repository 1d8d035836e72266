"""Device provisioning: registry entry, MQTT credentials, broker files, config bundle."""

from cloud_hub.provisioning.service import IssuedCredentials, Provisioner

__all__ = ["IssuedCredentials", "Provisioner"]
