"""A real VictoriaMetrics server (Debian ``victoria-metrics``) for tests, on a free port.

It accepts InfluxDB line protocol on ``/api/v2/write`` (what influxdb-client sends) and answers
``/api/v1/export`` with what it stored, so tests can verify the production write path.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.ports import free_port, wait_for_port

VICTORIA = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"


@dataclass
class VictoriaServer:
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / "victoria.log").open("ab")
        cmd = [
            VICTORIA, f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.workdir / 'data'}", "-retentionPeriod=100y",
            "-search.disableCache", "-loggerLevel=WARN", "-dedup.minScrapeInterval=1ms",
        ]  # fmt: skip
        self.process = subprocess.Popen(cmd, stdout=log, stderr=log)
        wait_for_port(self.port, timeout_s=30)

    def flush(self) -> None:
        """Make just-written samples searchable (VictoriaMetrics buffers them ~1 s)."""
        with urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10):
            pass

    def export(self, match: str) -> list[dict[str, Any]]:
        """Every stored series matching a selector, as JSON lines of /api/v1/export."""
        self.flush()
        params = urllib.parse.urlencode({"match[]": match, "start": "0"})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{params}", timeout=10) as r:
            return [json.loads(line) for line in r.read().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
