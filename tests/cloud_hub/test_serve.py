"""`cloud-hub serve --config FILE` as a real process: answers /health, refuses placeholders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
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


def _serve_and_fail_a_login(tmp_path: Path, trusted: str) -> str:
    """The address the hub logs for a wrong password sent with X-Forwarded-For 203.0.113.7."""
    tmp_path.mkdir()
    port = free_port()
    cfg = tmp_path / "hub.yaml"
    cfg.write_text(
        f"data_dir: {tmp_path / 'hub'}\nhttp:\n  port: {port}\n  forwarded_allow_ips: '{trusted}'\n"
    )
    env = {**os.environ, "CLOUD_HUB_AUTH__ADMIN_PASSWORD": "first admin password"}
    env.pop("FORWARDED_ALLOW_IPS", None)
    proc = subprocess.Popen(
        [*CLI, "serve", "--config", str(cfg)], env=env, stderr=subprocess.PIPE, text=True
    )
    body = json.dumps({"username": "admin", "password": "wrong"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.7"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(request, timeout=2)
                raise AssertionError("a wrong password was accepted")
            except urllib.error.HTTPError as e:
                assert e.code == 401
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    (failed,) = [d for d in lines if d["msg"] == "login failed"]
    address: str = failed["address"]
    return address


def test_serve_takes_the_client_address_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    """The login throttle's per-address counter sees the client behind the proxy (here the test
    itself, on 127.0.0.1, plays the proxy), and a peer that is not trusted cannot pose as one."""
    assert _serve_and_fail_a_login(tmp_path / "a", "127.0.0.1") == "203.0.113.7"
    assert _serve_and_fail_a_login(tmp_path / "b", "10.9.9.9") == "127.0.0.1"
