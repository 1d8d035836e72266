"""The console's serving (page, config, missing-assets page, disabled) and its API reads."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from cloud_hub.console import routes
from cloud_hub.console.mount import STATIC, mount_console
from cloud_hub.console.settings import ConsoleSettings
from cloud_hub.registry import logs
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.series import StoredReading
from cloud_hub.settings import HubSettings
from pm25 import aqi
from pm25.wire import Heartbeat
from tests.cloud_hub.hub_support import running_hub


def _app(static: Path, settings: ConsoleSettings | None = None) -> TestClient:
    app = FastAPI()
    mount_console(app, settings or ConsoleSettings(), api_prefix="/api/v1", static=static)
    return TestClient(app)


def _static_copy(tmp_path: Path, *, vendor: bool) -> Path:
    static = tmp_path / "static"
    shutil.copytree(STATIC, static, ignore=shutil.ignore_patterns("vendor"))
    if vendor:
        (static / "vendor").mkdir()
        for name in ("uPlot.esm.js", "uPlot.min.css"):
            (static / "vendor" / name).write_text("/* stand-in */")
    return static


def test_missing_assets_get_a_page_that_says_what_to_run(tmp_path: Path) -> None:
    client = _app(_static_copy(tmp_path, vendor=False))
    r = client.get("/console/")
    assert r.status_code == 503
    assert "console assets not built" in r.text.lower()
    assert "make console-assets" in r.text
    assert "uPlot.esm.js" in r.text


def test_page_config_and_modules_are_served(tmp_path: Path) -> None:
    tiles = "http://tiles.local/{z}/{x}/{y}.png"
    client = _app(_static_copy(tmp_path, vendor=True), ConsoleSettings(tile_url=tiles, poll_s=3))
    page = client.get("/console/")
    assert page.status_code == 200
    assert '<script type="module" src="/console/static/js/app.js">' in page.text
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/"
    config = client.get("/console/config.json").json()
    assert config["tile_url"] == tiles and config["poll_s"] == 3
    assert [b["label"] for b in config["aqi_bands"]][:2] == ["Good", "Moderate"]
    assert config["aqi_bands"][1]["colour"] == "#FFFF00"
    js = client.get("/console/static/js/pages/device.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert client.get("/console/static/../mount.py").status_code == 404


def test_disabled_console_serves_nothing(tmp_path: Path) -> None:
    client = _app(_static_copy(tmp_path, vendor=True), ConsoleSettings(enabled=False))
    assert client.get("/console/").status_code == 404


@pytest.mark.parametrize(
    "url", ["tiles.local/{z}/{x}/{y}", "http://tiles.local/x.png", "javascript:x"]
)
def test_bad_tile_url_is_refused_at_start(url: str) -> None:
    with pytest.raises(ValidationError, match="tile_url"):
        HubSettings.model_validate({"console": {"tile_url": url}})


def _beat(outbox: int) -> Heartbeat:
    return Heartbeat(
        t=int(time.time()), agent="0.1.0", uptime_s=1, disk_free_b=1, outbox=outbox, mv=1,
        model="m", backend="onnxruntime_cpu", accepted=1, rejected={"blur": outbox},
    )  # fmt: skip


def test_heartbeat_history_samples_and_overview(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op, viewer = h.headers("operator"), h.headers("viewer")
        assert h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=op).status_code == 201
        directory = RegistryDirectory(h.hub.registry)
        old = datetime.fromtimestamp(time.time() - logs.HEARTBEAT_KEEP_S - 60, UTC)
        directory.record_heartbeat("cam-1", _beat(9), old)
        for k in range(3):
            directory.record_heartbeat(
                "cam-1", _beat(k), datetime.fromtimestamp(time.time() + k, UTC)
            )
        beats = h.client.get(
            "/api/v1/devices/cam-1/heartbeats", params={"start": 0, "end": 2**40}, headers=viewer
        ).json()
        # The old one was pruned when the new ones came; the rest arrive oldest first.
        assert [b["heartbeat"]["outbox"] for b in beats] == [0, 1, 2]
        r = h.client.get(
            "/api/v1/devices/nope/heartbeats", params={"start": 0, "end": 1}, headers=viewer
        )
        assert r.status_code == 404
        latest = h.client.get("/api/v1/devices/cam-1/samples/latest", headers=viewer)
        assert latest.status_code == 200 and latest.json() is None
        [row] = h.client.get("/api/v1/fleet/overview", headers=viewer).json()
        assert row["id"] == "cam-1" and row["health"] == "online" and row["pm25"] is None


def test_overview_shows_the_newest_reading_even_when_the_window_is_too_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "MAX_OVERVIEW_READINGS", 50)
    with running_hub(tmp_path) as h:
        op, viewer = h.headers("operator"), h.headers("viewer")
        assert h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=op).status_code == 201
        now = int(time.time())
        readings = [
            StoredReading("cam-1", seq, now - 600 + seq, float(seq % 40), 1.0, 1, 0, 1)
            for seq in range(500)  # 500 readings in the last 10 minutes, 10x the limit
        ]
        h.hub.series.write(readings)
        [row] = h.client.get("/api/v1/fleet/overview", headers=viewer).json()
        assert row["captured_at"] == now - 600 + 499
        assert row["pm25"] == 499 % 40
        assert row["aqi"] == aqi.aqi(499 % 40)
