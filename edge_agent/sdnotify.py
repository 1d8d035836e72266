"""systemd notifications (READY, WATCHDOG, STOPPING, STATUS) over $NOTIFY_SOCKET, no library.

Outside systemd (no ``NOTIFY_SOCKET``) every call is a no-op returning False.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def notify(state: str, env: Mapping[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``) to systemd; True if it was sent."""
    address = (env if env is not None else os.environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(state.encode(), address)
        except OSError:
            return False
    return True


def watchdog_interval_s(env: Mapping[str, str] | None = None) -> float | None:
    """How often to send WATCHDOG=1: half of ``WATCHDOG_USEC``, or None if no watchdog is set."""
    usec = (env if env is not None else os.environ).get("WATCHDOG_USEC")
    try:
        return int(usec) / 2e6 if usec else None
    except ValueError:
        return None
