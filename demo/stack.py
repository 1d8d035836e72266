"""The demo's composition root: broker -> hub -> units -> reference monitor, stopped in reverse."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo import monitor
from demo.broker import start_mosquitto
from demo.errors import DemoError
from demo.fleet import ZONES, Unit, plan_units, provision, start_unit, unit_env
from demo.hub import ADMIN, HUB_USER, Api, HubSecrets, start_hub, write_config
from demo.processes import Children, exit_on_signals

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "manifest.json"
STATUS_EVERY_S = 15.0


class Stack:
    """Everything ``make demo`` runs, started in flow order; ``run`` blocks until the end."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run_dir: Path = args.run_dir.resolve()
        self.children = Children()
        self.stop = threading.Event()
        self.units: list[Unit] = plan_units(args.devices)
        # Hooks (the OTA story, demo.ota): before the hub starts, with the run dir fresh, and once
        # everything is up; extra hub config sections and unit environment they ask for.
        self.before_hub: list[Callable[[Stack], None]] = []
        self.after_start: list[Callable[[Stack, Api], None]] = []
        self.hub_sections: dict[str, Any] = {}
        self.unit_env: dict[str, str] = {}

    def run(self) -> int:
        exit_on_signals()
        try:
            api = self.start()
            for hook in self.after_start:
                hook(self, api)
            self.watch(api)
        except KeyboardInterrupt:
            print("\nstopping the demo ...")
        finally:
            self.stop.set()
            self.children.stop_all()
        print("demo stopped; everything it started has exited. Files: " + str(self.run_dir))
        return 0

    def start(self) -> Api:
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)
        self.run_dir.mkdir(parents=True)
        for hook in self.before_hub:
            hook(self)
        hub_secrets = HubSecrets.generate()
        broker = start_mosquitto(
            self.run_dir, self.children, HUB_USER, hub_secrets.mqtt_password, self.args.broker_port
        )
        print(
            f"broker: Mosquitto on 127.0.0.1:{broker.port} (auth + per-device ACL from "
            f"deploy/mosquitto; log {broker.log_file})"
        )
        config = write_config(
            self.run_dir, broker, hub_secrets, self.args.http_port, self.hub_sections
        )
        base = start_hub(config, self.run_dir, self.children)
        api = Api(base, ADMIN, hub_secrets.admin_password)
        print(f"hub: {base} (SQLite registry and series under {self.run_dir / 'hub'})")
        for zone in sorted({u.zone for u in self.units}):
            api.call("POST", "/zones", {"id": zone, "name": ZONES[zone]})
        self._start_units(config)
        reference = self.units[0]
        monitor.register(api, reference)
        threading.Thread(
            target=monitor.feed,
            args=(api, reference, self.args.monitor_interval, self.stop),
            name="reference-monitor",
            daemon=True,
        ).start()
        self._announce(base, hub_secrets.admin_password)
        return api

    def _start_units(self, hub_config: Path) -> None:
        if not MODEL.exists():
            print(
                f"no model at {MODEL.relative_to(REPO)}: the units run (heartbeats, status) "
                "but make no readings. Build the baseline with `.venv/bin/pm25-train baseline`."
            )
        units_dir = self.run_dir / "units"
        units_dir.mkdir()
        for unit in self.units:
            bundle = units_dir / f"{unit.device_id}.yaml"
            done = subprocess.run(
                provision(unit, hub_config, bundle), capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise DemoError(f"cloud-hub devices add {unit.device_id}: {done.stderr.strip()}")
            env = unit_env(unit, units_dir / unit.device_id, MODEL, self.args.interval)
            env.update(self.unit_env)
            start_unit(unit, bundle, env, self.run_dir, self.children)
            print(
                f"unit: {unit.device_id} street {unit.camera_seed}, {unit.profile} city "
                f"(pollution seed {unit.pollution_seed}), zone {unit.zone}, "
                f"{unit.lat}, {unit.lon}"
            )

    def _announce(self, base: str, admin_password: str) -> None:
        console = f"{base}/console/" if (REPO / "cloud_hub" / "console").is_dir() else None
        info = {
            "api": f"{base}/api/v1",
            "docs": f"{base}/docs",
            "console": console,
            "username": ADMIN,
            "password": admin_password,
            "devices": [u.device_id for u in self.units],
            "monitor": monitor.monitor_id(self.units[0]),
            "pids": self.children.pids,
        }
        path = self.run_dir / "demo.json"
        path.touch(mode=0o600)
        path.write_text(json.dumps(info, indent=2) + "\n")
        print(
            f"\n  console:  {console or '(not built yet)'}\n  API:      {info['api']} "
            f"(OpenAPI at {base}/docs)\n  login:    {ADMIN} / {admin_password}\n"
            f"  (also in {path}). Readings appear within seconds; Ctrl-C stops everything.\n"
        )

    def watch(self, api: Api) -> None:
        """Print a status line every 15 s until ``--duration`` or Ctrl-C."""
        end = time.monotonic() + self.args.duration if self.args.duration else None
        while end is None or time.monotonic() < end:
            wait = STATUS_EVERY_S if end is None else min(STATUS_EVERY_S, end - time.monotonic())
            if self.stop.wait(max(wait, 0.0)):
                return
            dead = self.children.dead()
            if dead:
                print(f"stopped on their own: {', '.join(dead)} (see their logs in {self.run_dir})")
            print(self.status_line(api))

    def status_line(self, api: Api) -> str:
        now = int(time.time())
        parts = []
        for unit in self.units:
            series = api.call(
                "GET", f"/devices/{unit.device_id}/readings?start={now - 3600}&end={now + 60}"
            )
            readings = series["readings"]
            last = f"{readings[-1]['pm25']:.1f}" if readings else "-"
            parts.append(f"{unit.device_id[-2:]}: {len(readings)} readings, last {last}")
        return "PM2.5 µg/m³  " + " | ".join(parts)
