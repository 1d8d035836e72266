"""The end-to-end stack for fault tests and the e2e benchmark: a real Mosquitto, a devices-side
TCP proxy, ``cloud-hub serve`` (ingest on, SQLite series) as a process, devices registered through
the hub's own provisioning service, and ``edge-agent simulate`` fleets as processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cloud_hub.provisioning import Provisioner
from cloud_hub.registry import Registry
from cloud_hub.settings import HubSettings
from tests.support.mosquitto import MosquittoBroker
from tests.support.ports import free_port

BIN = Path(sys.executable).parent
HUB_PASSWORD = "e2e-hub-mqtt-password"
ADMIN_PASSWORD = "e2e-admin-password"


@dataclass
class HubProcess:
    """``cloud-hub serve`` on a generated config; can be SIGKILLed and started again."""

    workdir: Path
    broker_port: int
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.workdir / "hub.yaml"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/api/v1"

    def write_config(self) -> HubSettings:
        data: dict[str, Any] = {
            "data_dir": str(self.workdir / "hub"),
            "log_level": "WARNING",
            "http": {"port": self.http_port},
            "mqtt": {"port": self.broker_port, "username": "hub", "password": HUB_PASSWORD},
            "ingest": {"enabled": True, "retry_backoff_max_s": 2.0},
            "auth": {"secret_key": "e2e-" + "k" * 40, "admin_password": ADMIN_PASSWORD},
        }
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(yaml.safe_dump(data))
        return HubSettings(**data)

    def register(self, device_ids: list[str]) -> dict[str, str]:
        """Register devices in the hub's registry (its own service); their MQTT passwords."""
        settings = self.write_config()
        registry = Registry.open(settings.registry_url)
        try:
            prov = Provisioner(registry, settings.broker_files, settings.mqtt)
            return {d: prov.add("e2e", d).mqtt_password for d in device_ids}
        finally:
            registry.close()

    def start(self) -> None:
        log = (self.workdir / "hub.log").open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "cloud-hub"), "serve", "--config", str(self.config)],
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/health", timeout=1):
                    return
            except OSError:
                assert self.process.poll() is None, (self.workdir / "hub.log").read_text()[-2000:]
                time.sleep(0.2)
        raise TimeoutError("hub did not come up")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no flush."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Api:
    """The hub's REST API as the admin."""

    def __init__(self, base: str) -> None:
        self.base = base
        login = self.call("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
        self.token = login["access_token"]

    def call(self, method: str, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def raw(self, device_id: str) -> dict[str, Any]:
        series = self.call("GET", f"/devices/{device_id}/readings?start=0&end={2**40}&limit=100000")
        assert not series["truncated"]
        return dict(series)


def broker_with(workdir: Path, devices: dict[str, str]) -> MosquittoBroker:
    """Mosquitto with the hub as superuser and ``devices`` (id -> password) under the device ACL."""
    return MosquittoBroker(
        workdir=workdir, users={"hub": HUB_PASSWORD, **devices}, superusers=("hub",)
    )


def start_fleet(
    workdir: Path, creds: dict[str, str], port: int, *args: str, small_outbox: bool = False
) -> subprocess.Popen[str]:
    """``edge-agent simulate`` for ``creds`` against ``127.0.0.1:port``; JSON report on stdout."""
    workdir.mkdir(parents=True, exist_ok=True)
    cred_file = workdir / "credentials"
    cred_file.write_text("".join(f"{d}:{p}\n" for d, p in creds.items()))
    if small_outbox:
        argv = [sys.executable, "-m", "tests.e2e.small_outbox_fleet"]
    else:
        argv = [str(BIN / "edge-agent"), "simulate"]
    argv += ["--devices", str(len(creds)), "--credentials-file", str(cred_file)]
    argv += ["--broker", f"127.0.0.1:{port}", "--data-dir", str(workdir / "data"), *args]
    log = (workdir / "fleet.log").open("a")
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=log, text=True, cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )  # fmt: skip


def fleet_report(proc: subprocess.Popen[str], timeout_s: float) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=timeout_s)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"fleet printed no report (exit {proc.returncode})"
    return dict(json.loads(lines[-1]))


def outbox_high_water(data_dir: Path, device_id: str) -> int:
    """The last seq the device's outbox assigned (its producer counter on disk)."""
    from edge_agent.outbox import Outbox

    outbox = Outbox(data_dir / device_id / "outbox.db")
    try:
        return outbox.newest_seq()
    finally:
        outbox.close()
