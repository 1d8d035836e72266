"""Why the demo cannot start (said plainly, exit code non-zero)."""

from __future__ import annotations


class DemoError(Exception):
    """The demo cannot run as asked; the message says why and what to do."""


class BrokerMissingError(DemoError):
    """No MQTT broker that can carry the hub's ingest is available."""
