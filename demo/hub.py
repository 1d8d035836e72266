"""The hub as the demo runs it: a generated config, ``cloud-hub serve`` and a small API client."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from demo.broker import Broker, free_port
from demo.errors import DemoError
from demo.fleet import CLOUD_HUB
from demo.processes import Children

HUB_USER = "hub"
ADMIN = "admin"


@dataclass(frozen=True)
class HubSecrets:
    """Random per run (development mode would accept placeholders; the demo never uses them)."""

    mqtt_password: str
    secret_key: str
    admin_password: str

    @classmethod
    def generate(cls) -> HubSecrets:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(48), secrets.token_urlsafe(12))


def write_config(
    run_dir: Path,
    broker: Broker,
    hub_secrets: HubSecrets,
    http_port: int,
    sections: dict[str, Any] | None = None,
) -> Path:
    """The hub's YAML: embedded SQLite registry and series, ingest on, broker files to maintain.

    `sections` add or replace top-level sections (the OTA story's ``updates`` and ``rollouts``).
    """
    config = {
        "mode": "development",
        "data_dir": str(run_dir / "hub"),
        "http": {"host": "127.0.0.1", "port": http_port or free_port()},
        "mqtt": {
            "host": "127.0.0.1",
            "port": broker.port,
            "username": HUB_USER,
            "password": hub_secrets.mqtt_password,
            "keepalive_s": 30,
        },
        "ingest": {"enabled": True, "client_id": "cloud-hub-demo"},
        "auth": {
            "secret_key": hub_secrets.secret_key,
            "admin_username": ADMIN,
            "admin_password": hub_secrets.admin_password,
        },
        "alerts": {"enabled": True, "interval_s": 30},
        "broker_files": {
            "password_file": str(broker.password_file),
            "acl_file": str(broker.acl_file),
            "pid_file": str(broker.pid_file),
        },
    }
    config.update(sections or {})
    path = run_dir / "hub.yaml"
    path.touch(mode=0o600)
    path.write_text("# Written by the demo; contains secrets.\n" + yaml.safe_dump(config))
    return path


def start_hub(config: Path, run_dir: Path, children: Children) -> str:
    """Run ``cloud-hub serve``; return its base URL once /health answers."""
    port = yaml.safe_load(config.read_text())["http"]["port"]
    proc = children.start(
        "hub", [*CLOUD_HUB, "serve", "--config", str(config)], run_dir / "hub.log"
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DemoError(f"the hub exited with code {proc.returncode}; see {run_dir}/hub.log")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=1):
                return base
        except OSError:
            time.sleep(0.3)
    raise DemoError(f"the hub did not answer /health within 60 s; see {run_dir}/hub.log")


class Api:
    """Just enough of the hub's REST API for the demo, as an admin."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self._token = ""
        login = self.call("POST", "/auth/login", {"username": username, "password": password})
        self._token = str(login["access_token"])

    def call(self, method: str, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}/api/v1{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            raise DemoError(f"{method} {path}: HTTP {e.code} {e.read()[:300]!r}") from e
