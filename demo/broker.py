"""The demo's broker: Mosquitto with its own config, password file and ACL in the run dir.

Only Mosquitto qualifies. The hub's ingest needs MQTT 5 (shared subscriptions, session expiry);
the one maintained pure-Python broker on PyPI, amqtt, speaks MQTT 3.1.1 only, so it cannot carry
the hub's ingest and the demo does not pretend it can: without Mosquitto it says so and stops.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from demo.errors import BrokerMissingError
from demo.processes import Children

REPO = Path(__file__).resolve().parent.parent
DEPLOY_ACL = REPO / "deploy" / "mosquitto" / "acl"
INSTALL_SCRIPT = REPO / "scripts" / "install-system-deps.sh"
WHY_NOT_AMQTT = (
    "amqtt (the maintained pure-Python broker on PyPI) speaks MQTT 3.1.1 only, and the hub's "
    "ingest needs MQTT 5 shared subscriptions, so there is no in-process fallback."
)


def find_mosquitto() -> tuple[str, str] | None:
    """Paths of ``mosquitto`` and ``mosquitto_passwd``, or None when not installed."""
    broker = shutil.which("mosquitto") or _exists("/usr/sbin/mosquitto")
    passwd = shutil.which("mosquitto_passwd") or _exists("/usr/bin/mosquitto_passwd")
    return (broker, passwd) if broker and passwd else None


def _exists(path: str) -> str | None:
    return path if os.access(path, os.X_OK) else None


def require_mosquitto(interactive: bool) -> tuple[str, str]:
    """Mosquitto's paths; offers to install it (as root, at a terminal), else raises."""
    found = find_mosquitto()
    if found:
        return found
    print(f"Mosquitto is not installed. {WHY_NOT_AMQTT}", file=sys.stderr)
    if interactive and os.geteuid() == 0:
        answer = input(f"Install it now with {INSTALL_SCRIPT.relative_to(REPO)}? [y/N] ")
        if answer.strip().lower() in {"y", "yes"}:
            subprocess.run(["bash", str(INSTALL_SCRIPT)], check=False)
            found = find_mosquitto()
            if found:
                return found
    raise BrokerMissingError(
        "no MQTT 5 broker: install Mosquitto (as root: bash scripts/install-system-deps.sh, "
        "or apt-get install mosquitto) and run make demo again"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


@dataclass(frozen=True)
class Broker:
    """A running Mosquitto: its port and the files the hub's provisioning maintains."""

    port: int
    password_file: Path
    acl_file: Path
    pid_file: Path
    log_file: Path


def start_mosquitto(
    run_dir: Path, children: Children, hub_user: str, hub_password: str, port: int = 0
) -> Broker:
    """Write config, passwords (the hub's) and the production ACL under ``run_dir``; start it."""
    mosquitto, mosquitto_passwd = require_mosquitto(interactive=sys.stdin.isatty())
    home = run_dir / "mosquitto"
    (home / "data").mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    broker = Broker(
        port, home / "passwd", home / "acl", home / "mosquitto.pid", home / "mosquitto.log"
    )
    broker.password_file.touch(mode=0o600)
    subprocess.run(
        [mosquitto_passwd, "-b", str(broker.password_file), hub_user, hub_password], check=True
    )
    broker.acl_file.write_text(DEPLOY_ACL.read_text())
    conf = home / "mosquitto.conf"
    conf.write_text(
        f"# Written by the demo from deploy/mosquitto; auth and ACL as in production.\n"
        f"listener {port} 127.0.0.1\n"
        f"{'user root' + chr(10) if os.geteuid() == 0 else ''}"
        "per_listener_settings false\nallow_anonymous false\n"
        f"password_file {broker.password_file}\nacl_file {broker.acl_file}\n"
        f"pid_file {broker.pid_file}\n"
        f"persistence true\npersistence_location {home / 'data'}/\nautosave_interval 10\n"
        "max_queued_messages 100000\nmax_inflight_messages 100\n"
        f"log_dest file {broker.log_file}\n"
        "log_type error\nlog_type warning\nlog_type notice\n"
    )
    children.start("mosquitto", [mosquitto, "-c", str(conf)], home / "stdout.log")
    wait_for_port(port)
    return broker
