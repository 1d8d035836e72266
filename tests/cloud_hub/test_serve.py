"""`cloud-hub serve --config FILE` as a real process: answers /health, refuses placeholders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.ports import free_port

CLI = [sys.executable, "-c", "import sys; from cloud_hub.cli import main; sys.exit(main())"]


def test_serve_answers_and_logs_json(tmp_path: Path) -> None:
    port = free_port()
    cfg = tmp_path / "hub.yaml"
    cfg.write_text(f"data_dir: {tmp_path / 'hub'}\nhttp:\n  port: {port}\n")
    env = {**os.environ, "CLOUD_HUB_AUTH__ADMIN_PASSWORD": "first admin password"}
    proc = subprocess.Popen(
        [*CLI, "serve", "--config", str(cfg)], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    assert json.load(r) == {"status": "ok"}
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(d["msg"] == "bootstrap admin created" for d in lines)
    assert "first admin password" not in err


def test_serve_refuses_placeholder_secret_in_production(tmp_path: Path) -> None:
    cfg = tmp_path / "hub.yaml"
    cfg.write_text("mode: production\n")
    r = subprocess.run(
        [*CLI, "serve", "--config", str(cfg)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and "secret_key" in r.stderr
