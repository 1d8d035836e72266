"""The fleet admin web console: static ES modules served by the hub, talking to /api/v1.

``cloud_hub.console.mount.mount_console(app, settings)`` adds it to the app; this package
imports nothing heavy so the settings module can use :class:`ConsoleSettings`.
"""

from cloud_hub.console.settings import ConsoleSettings

__all__ = ["ConsoleSettings"]
