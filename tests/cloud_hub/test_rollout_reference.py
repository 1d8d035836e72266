"""The reference-monitor gate: pairing camera and monitor readings (pure), and a rollout stopped
because updated cameras read far from the co-located monitor (registry + SQLite series store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud_hub.registry import Registry, devices, monitors
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.rollouts import service
from cloud_hub.rollouts.evaluator import RolloutEvaluator
from cloud_hub.rollouts.fleet_sim import SimFleet
from cloud_hub.rollouts.reference import paired_mae
from cloud_hub.rollouts.spec import RolloutSettings, RolloutSpec
from cloud_hub.series import StoredReading
from cloud_hub.series.sqlite import SqliteSeriesStore

T0 = 1_800_000_000.0


def test_pairs_with_the_nearest_reference_in_time() -> None:
    camera = [(T0, 20.0), (T0 + 600, 30.0), (T0 + 1200, 10.0)]
    ref = [(T0 - 100, 10.0), (T0 + 650, 25.0), (T0 + 1250, 10.0), (T0 + 9000, 99.0)]
    assert paired_mae(camera, ref) == pytest.approx((10 + 5 + 0) / 3)


def test_too_few_pairs_or_too_far_in_time_gives_no_error() -> None:
    assert paired_mae([(T0, 20.0)], [(T0, 10.0)]) is None
    far = [(T0 + i * 60, 20.0) for i in range(5)]
    assert paired_mae(far, [(T0 + 7200, 10.0)]) is None
    assert paired_mae([], []) is None


@given(
    pm=st.lists(st.floats(0, 500), min_size=3, max_size=30),
    offset=st.floats(-100, 100),
)
def test_a_constant_offset_is_the_error(pm: list[float], offset: float) -> None:
    camera = [(T0 + 60 * i, p + offset) for i, p in enumerate(pm)]
    ref = [(T0 + 60 * i + 5, p) for i, p in enumerate(pm)]
    got = paired_mae(camera, ref)
    assert got is not None and got == pytest.approx(abs(offset), abs=1e-6)


def test_updated_cameras_far_from_their_monitor_stop_the_rollout(tmp_path: Path) -> None:
    reg = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    series = SqliteSeriesStore(tmp_path / "series.db")
    with reg.session() as s:
        devices.create_device(s, "t", "cam-near", lat=52.5200, lon=13.4050)
        devices.create_device(s, "t", "cam-far", lat=48.1351, lon=11.5820)
        monitors.create_monitor(s, "t", "ref-1", name="ref", lat=52.5210, lon=13.4060)
        spec = RolloutSpec.model_validate(
            {"stages": {"fractions": [1.0]}, "gates": {"max_reference_mae": 8.0, "soak_s": 600}}
        )
        rid = service.create(s, "alice", model_name="m", version=2, target="m/manifest.json",
                             spec=spec).id  # fmt: skip
        service.act(s, "alice", rid, "start")
    now = [T0]
    fleet = SimFleet(RegistryDirectory(reg))
    ev = RolloutEvaluator(reg, fleet.publish, RolloutSettings(), series=series,
                          clock=lambda: now[0])  # fmt: skip
    assert ev.evaluate(rid) == "hold"  # notices out
    fleet.deliver(now[0])
    now[0] += 60
    updated_at = now[0]
    assert ev.evaluate(rid) == "hold"  # both updated, soaking; no readings yet: no error
    minutes = range(1, 11)
    series.write([StoredReading(d, i, int(updated_at) + 60 * i, 40.0, 2.0, 3, 0, 3, None,
                                int(updated_at) + 60 * i)
                  for d in ("cam-near", "cam-far") for i in minutes])  # fmt: skip
    with reg.session() as s:
        monitors.add_readings(s, "t", "ref-1", [(updated_at + 60 * i + 10, 12.0) for i in minutes])
    now[0] = updated_at + 700
    assert ev.evaluate(rid) == "fail"
    with reg.session() as s:
        rollout = service.get(s, rid)
        rows = {r.device_id: r for r in service.devices(s, rid)}
    assert rollout.state == "paused"
    assert rollout.gate is not None and rollout.gate["reference_mae"] == pytest.approx(28.0)
    assert rows["cam-near"].reference_mae == pytest.approx(28.0)
    assert rows["cam-far"].reference_mae is None  # no monitor within reach
    reg.close()
