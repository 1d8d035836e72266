"""Reference RH end to end: monitor upload → sample label → dataset export → training loader."""

from __future__ import annotations

import base64
import csv
import time
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np

from cloud_hub.loop import harvest
from cloud_hub.loop.export import ExportFilter, export
from cloud_hub.loop.job import open_store
from cloud_hub.registry.models import DeviceSample
from tests.cloud_hub.hub_support import HubClient, running_hub
from training.loader import load_dataset

T0 = float(int(time.time()) // 3600 * 3600 - 3 * 3600)  # recent: inside the re-label window


def _sample(h: HubClient, captured_at: float) -> None:
    ok, buf = cv2.imencode(".jpg", np.full((16, 32, 3), 128, np.uint8))
    assert ok
    with h.hub.registry.session() as s:
        s.add(
            DeviceSample(
                device_id="cam-1", command_id="c", captured_at=captured_at,
                received_at=captured_at, width=32, height=16,
                jpeg_b64=base64.b64encode(buf.tobytes()).decode(),
                roi={"x": 0, "y": 0, "w": 32, "h": 16},
            )
        )  # fmt: skip


def test_rh_goes_from_monitor_to_sample_to_export_to_loader(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op = h.headers("operator")
        device = {"id": "cam-1", "lat": 48.1, "lon": 11.5}
        assert h.client.post("/api/v1/devices", json=device, headers=op).status_code == 201
        monitor = {"id": "ref-1", "lat": 48.101, "lon": 11.5}
        assert h.client.post("/api/v1/monitors", json=monitor, headers=op).status_code == 201
        # One reading with RH, one from a moment the monitor's humidity sensor was down.
        refs = [{"t": T0, "pm25": 20.0, "rh": 81.5}, {"t": T0 + 3600, "pm25": 30.0}]
        r = h.client.post("/api/v1/monitors/ref-1/readings", json=refs, headers=op)
        assert r.status_code == 200, r.text
        _sample(h, T0 + 60)
        _sample(h, T0 + 3600 + 60)
        _sample(h, T0 + 7200)  # no reading within 15 minutes: unjoined, still counted
        s = h.hub.settings
        store = open_store(s.loop, s.data_dir)
        assert harvest.harvest(h.hub.registry, h.hub.series, store, s.loop, time.time()) == 3

        got = h.client.get("/api/v1/loop/samples", headers=op).json()
        assert [(x["label_status"], x["ref_pm25"], x["ref_rh"]) for x in got] == [
            ("no_reading", None, None), ("joined", 30.0, None), ("joined", 20.0, 81.5),
        ]  # fmt: skip
        summary = h.client.get("/api/v1/loop/samples/summary", headers=op).json()
        assert summary["by_status"] == {"joined": 2, "no_reading": 1}

        out = tmp_path / "dataset"
        manifest = export(h.hub.registry, store, out, ExportFilter(), s.loop.labels.tolerance_s)
        assert (manifest["counts"]["exported"], manifest["unjoined"]) == (2, 1)

    with (out / "cam-1" / "reference.csv").open(newline="") as f:
        rows = [(row["pm25"], row["rh"]) for row in csv.DictReader(f)]
    assert rows == [("20", "0.815"), ("30", "")]  # rh as the fraction the loader reads exactly

    samples, report = load_dataset(out, tolerance=timedelta(seconds=s.loop.labels.tolerance_s))
    assert report.joined == 2
    assert [(x.pm25, x.rh) for x in sorted(samples, key=lambda x: x.time)] == [
        (20.0, 0.815), (30.0, None),
    ]  # fmt: skip


def test_rh_below_one_percent_is_not_read_as_a_fraction(tmp_path: Path) -> None:
    """0.5 % written as percent would reach training as 50 %; the fraction keeps it 0.5 %."""
    with running_hub(tmp_path) as h:
        op = h.headers("operator")
        h.client.post("/api/v1/devices", json={"id": "cam-1", "lat": 0, "lon": 0}, headers=op)
        h.client.post("/api/v1/monitors", json={"id": "ref-1", "lat": 0, "lon": 0}, headers=op)
        refs = [{"t": T0, "pm25": 5.0, "rh": 0.5}]
        assert h.client.post("/api/v1/monitors/ref-1/readings", json=refs, headers=op).is_success
        _sample(h, T0)
        s = h.hub.settings
        store = open_store(s.loop, s.data_dir)
        harvest.harvest(h.hub.registry, h.hub.series, store, s.loop, time.time())
        export(h.hub.registry, store, tmp_path / "ds", ExportFilter(), s.loop.labels.tolerance_s)
    [sample], _ = load_dataset(tmp_path / "ds")
    assert sample.rh == 0.005
