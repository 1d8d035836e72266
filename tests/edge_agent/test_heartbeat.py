"""Health collection: counters, latency percentiles, outbox figures, thermal zones, errors."""

from __future__ import annotations

from pathlib import Path

from edge_agent.heartbeat import Health, ModelInfo, cpu_temperature_c
from edge_agent.outbox import Outbox
from pm25.drift_bins import edges, histogram
from pm25.wire import Heartbeat, decode, encode
from tests.edge_agent.outbox_helpers import reading


def test_heartbeat_reports_counters_latency_outbox_and_errors(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.append_many([reading(0, t0=1_750_000_000), reading(1, t0=1_750_000_000)])
    now = 1_750_000_100.0
    health = Health(
        "0.1.0",
        tmp_path,
        box,
        lambda: ModelInfo(3, "haze", "onnxruntime_cpu", "cpu only"),
        clock=lambda: now,
    )
    for i in range(100):
        health.frame(accepted=True, latency_ms=float(i))
    health.frame(accepted=False, reason="blur")
    health.add_error_source(lambda: {"camera_unavailable": "no device /dev/video0"})
    hb = decode(Heartbeat, encode(health.heartbeat()))
    assert (hb.accepted, hb.rejected, hb.outbox, hb.outbox_age_s) == (100, {"blur": 1}, 2, 100)
    assert hb.lat_ms is not None and 49 <= hb.lat_ms.p50 <= 50 and hb.lat_ms.p95 >= 94
    assert [n.code for n in hb.errors] == ["camera_unavailable"]
    assert (hb.mv, hb.backend) == (3, "onnxruntime_cpu") and hb.disk_free_b > 0


def test_cpu_temperature_from_thermal_zones(tmp_path: Path) -> None:
    assert cpu_temperature_c(tmp_path) is None
    (tmp_path / "thermal_zone0").mkdir()
    (tmp_path / "thermal_zone0" / "temp").write_text("garbage\n")
    (tmp_path / "thermal_zone1").mkdir()
    (tmp_path / "thermal_zone1" / "temp").write_text("51234\n")
    assert cpu_temperature_c(tmp_path) == 51.2


def test_heartbeat_bins_haze_features_since_the_last_one(tmp_path: Path) -> None:
    info = ModelInfo(3, "haze", "onnxruntime_cpu")
    health = Health("0.1.0", tmp_path, Outbox(tmp_path / "o.db"), lambda: info)
    assert health.heartbeat().haze is None  # no frame yet: the section is left out
    for v in (0.0, 0.40, 0.40, 0.9):
        health.frame(accepted=True, haze={"edge_density": v, "dark_mean": 0.3})
    health.frame(accepted=False, reason="blur")
    hb = decode(Heartbeat, encode(health.heartbeat()))
    assert hb.haze == {"edge_density": histogram([0.0, 0.40, 0.40, 0.9], edges("edge_density"))}
    # 12 bins: below the training range, the deciles, above it (0.0 and 0.9 lie outside)
    assert hb.haze["edge_density"] == [1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]
    assert health.heartbeat().haze is None  # counted once: reset after each heartbeat
    off = Health("0.1.0", tmp_path, Outbox(tmp_path / "p.db"), lambda: info, haze=False)
    off.frame(accepted=True, haze={"edge_density": 0.4})
    assert off.heartbeat().haze is None  # for a hub that predates the section
