"""A real InfluxDB 1.x server (Debian ``influxdb``) for tests, in a temp dir on free ports."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port, wait_for_port

INFLUXD = shutil.which("influxd") or "/usr/bin/influxd"


@dataclass
class InfluxServer:
    workdir: Path
    port: int = field(default_factory=free_port)
    bind_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "influxdb.conf"
        d = self.workdir
        conf.write_text(
            "reporting-disabled = true\n"
            f'bind-address = "127.0.0.1:{self.bind_port}"\n'
            f'[meta]\n  dir = "{d}/meta"\n'
            f'[data]\n  dir = "{d}/data"\n  wal-dir = "{d}/wal"\n  query-log-enabled = false\n'
            f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  log-enabled = false\n'
            "[monitor]\n  store-enabled = false\n"
            "[continuous_queries]\n  enabled = false\n"
        )
        log = (self.workdir / "influxd.log").open("ab")
        self.process = subprocess.Popen([INFLUXD, "-config", str(conf)], stdout=log, stderr=log)
        wait_for_port(self.port, timeout_s=30)
        self._wait_ping()

    def _wait_ping(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("influxd did not answer /ping")

    def create_database(self, name: str) -> None:
        """Create ``name`` and return once the server lists it.

        On a loaded machine a write right after CREATE DATABASE was once answered 404 (database
        not found), so wait until SHOW DATABASES sees it.
        """
        body = urllib.parse.urlencode({"q": f'CREATE DATABASE "{name}"'}).encode()
        with urllib.request.urlopen(f"{self.url}/query", data=body, timeout=10):
            pass
        deadline = time.monotonic() + 10
        query = urllib.parse.urlencode({"q": "SHOW DATABASES"})
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{self.url}/query?{query}", timeout=10) as response:
                if f'"{name}"' in response.read().decode():
                    return
            time.sleep(0.05)
        raise TimeoutError(f"influxd does not list database {name} after creating it")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
