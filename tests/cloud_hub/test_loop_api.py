"""The closed loop's API and CLI on bad input: clear errors, nothing lost or half-written."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from cloud_hub.cli import main
from cloud_hub.loop import drift, harvest
from cloud_hub.loop.job import open_store
from cloud_hub.loop.tables import DriftReference, LoopSample
from cloud_hub.registry.models import DeviceSample
from tests.cloud_hub.hub_support import HubClient, running_hub


def _jpeg(w: int, h: int) -> str:
    ok, buf = cv2.imencode(".jpg", np.full((h, w, 3), 128, np.uint8))
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


def _add_sample(h: HubClient, **over: object) -> None:
    row: dict[str, object] = {
        "device_id": "cam-1", "command_id": "c", "captured_at": time.time(),
        "received_at": time.time(), "width": 32, "height": 16, "jpeg_b64": _jpeg(32, 16),
        "roi": {"x": 0, "y": 0, "w": 32, "h": 16},
    }  # fmt: skip
    with h.hub.registry.session() as s:
        s.add(DeviceSample(**{**row, **over}))


def test_bad_samples_are_refused_and_kept_as_records(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op = h.headers("operator")
        h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=op)
        _add_sample(h)  # good, but the device has no location: kept, status no_location
        _add_sample(h, roi=None)
        _add_sample(h, jpeg_b64="!!not base64!!")
        _add_sample(h, jpeg_b64=base64.b64encode(b"not a jpeg").decode())
        _add_sample(h, width=30)  # declares 30 px, the JPEG has 32
        s = h.hub.settings
        store = open_store(s.loop, s.data_dir)
        assert harvest.harvest(h.hub.registry, h.hub.series, store, s.loop, time.time()) == 5
        with h.hub.registry.session() as db:
            got = [
                (r.state, r.label_status, r.detail)
                for r in db.query(LoopSample).order_by(LoopSample.id)
            ]
        assert got == [
            ("stored", "no_location", ""),
            ("refused", "pending", "sample declares no roi"),
            ("refused", "pending", "jpeg is not valid base64"),
            ("refused", "pending", "jpeg does not decode"),
            ("refused", "pending", "jpeg is 32x16, the sample declares 30x16"),
        ]
        files = list((s.data_dir / "samples" / "cam-1").rglob("*.jpg"))
        assert len(files) == 1
        # A second harvest takes nothing twice.
        assert harvest.harvest(h.hub.registry, h.hub.series, store, s.loop, time.time()) == 0
        summary = h.client.get("/api/v1/loop/samples/summary", headers=op).json()
        assert summary["by_status"] == {"no_location": 1, "refused": 4}
        assert summary["bytes_30d"]["cam-1"] > 0


def test_calibration_and_drift_reference_errors(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op = h.headers("operator")
        h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=op)
        r = h.client.post("/api/v1/loop/devices/cam-1/calibrations", headers=op)
        assert r.status_code == 422 and "no reference monitor" in r.text
        assert h.client.get("/api/v1/loop/devices/nope/drift", headers=op).status_code == 404
        url = "/api/v1/loop/drift/references/3"
        bad = {"counts": {"pm25": [1, 2]}}
        r = h.client.put(url, json=bad, headers=op)
        assert r.status_code == 422 and "2 counts, need 10" in r.text
        r = h.client.put(url, json={"counts": {"haze": [1]}}, headers=op)
        assert r.status_code == 422 and "unknown signal 'haze'" in r.text
        for bad_counts in ([0] * 10, [-1] + [1] * 9):
            r = h.client.put(url, json={"counts": {"transmission_mean": bad_counts}}, headers=op)
            assert r.status_code == 422 and "transmission_mean" in r.text
        good = {"counts": {"pm25": [1] * (len(drift.PM25_EDGES) + 1), "edge_density": [2] * 10}}
        assert h.client.put(url, json=good, headers=h.headers("viewer")).status_code == 403
        assert h.client.put(url, json=good, headers=op).status_code == 204
        with h.hub.registry.session() as s:
            stored = {
                r.signal: r.counts for r in s.query(DriftReference).filter_by(model_version=3)
            }
        assert stored == good["counts"]


def test_cli_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_hub(tmp_path) as h:
        h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=h.headers("operator"))
        _add_sample(h)
        s = h.hub.settings
        harvest.harvest(
            h.hub.registry, h.hub.series, open_store(s.loop, s.data_dir), s.loop, time.time()
        )
    config = tmp_path / "hub.yaml"
    config.write_text(f"data_dir: {tmp_path / 'hub'}\n")
    out = tmp_path / "ds"
    assert (
        main(
            [
                "--config",
                str(config),
                "dataset",
                "export",
                "--out",
                str(out),
                "--since",
                "2020-01-01T00:00:00Z",
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert (printed["samples"], printed["exported"]) == (1, 0)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["by_status"] == {"no_location": 1} and manifest["unjoined"] == 1
    # Into a folder that is not empty: refused, nothing overwritten.
    assert main(["--config", str(config), "dataset", "export", "--out", str(out)]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    assert (
        main(
            [
                "--config",
                str(config),
                "dataset",
                "export",
                "--out",
                str(tmp_path / "x"),
                "--devices",
                "a",
                "--zone",
                "z",
            ]
        )
        == 1
    )
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["dataset", "export", "--out", str(tmp_path / "y"), "--since", "2024-01-01T00:00:00"])
    assert "needs a timezone" in capsys.readouterr().err


def test_enabled_loop_runs_in_the_hub(tmp_path: Path) -> None:
    with running_hub(tmp_path, loop={"enabled": True, "interval_s": 0.2}) as h:
        h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=h.headers("operator"))
        _add_sample(h)
        deadline = time.monotonic() + 10
        while not h.client.get("/api/v1/loop/samples", headers=h.headers("viewer")).json():
            assert time.monotonic() < deadline, "the loop job did not take the sample in"
            time.sleep(0.1)
