"""The fleet registry: devices, zones, people, tokens, quarantine, audit and command logs."""

from cloud_hub.registry.db import Registry, make_engine, upgrade

__all__ = ["Registry", "make_engine", "upgrade"]
