"""A real Mosquitto broker for tests: own config, password file and ACL, on a free port.

Tests start it, may stop and restart it on the same port (to simulate an outage), and stop it at
the end. Authentication is on: every client needs a user from ``users``; the ACL confines a device
user to ``pm25/v1/<its id>/#`` exactly like the production config in ``deploy/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port, wait_for_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"

# Same rules as deploy/mosquitto/acl: a device may only touch its own subtree; "%u" is the username.
DEVICE_ACL = """\
pattern write pm25/v1/%u/readings
pattern write pm25/v1/%u/heartbeat
pattern write pm25/v1/%u/status
pattern write pm25/v1/%u/ack
pattern write pm25/v1/%u/sample
pattern read pm25/v1/%u/cmd
pattern read pm25/v1/%u/desired
"""


@dataclass
class MosquittoBroker:
    """One Mosquitto process with its own directory. ``users`` maps username to password."""

    workdir: Path
    users: dict[str, str] = field(default_factory=dict)
    # Users allowed everywhere (the hub, test subscribers).
    superusers: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "mosquitto.log"

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        passwd = self.workdir / "passwd"
        passwd.write_text("")
        for user, password in self.users.items():
            subprocess.run([MOSQUITTO_PASSWD, "-b", str(passwd), user, password], check=True)
        acl = self.workdir / "acl"
        acl.write_text(
            "".join(f"user {u}\ntopic readwrite #\n\n" for u in self.superusers) + DEVICE_ACL
        )
        persistence = self.workdir / "data"
        persistence.mkdir(exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            # As root, Mosquitto would switch to its own user, which cannot read pytest's tmp dir.
            f"{'user root' + chr(10) if os.geteuid() == 0 else ''}"
            "allow_anonymous false\n"
            f"password_file {passwd}\n"
            f"acl_file {acl}\n"
            "persistence true\n"
            f"persistence_location {persistence}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 100000\n"
            "max_inflight_messages 100\n"
            "log_dest stderr\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
        )
        return conf

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        conf = self.write_config()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=log, stderr=log)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
