"""End to end under faults: simulated devices -> TCP proxy -> real Mosquitto -> ``cloud-hub serve``
(ingest) -> SQLite series, while the hub is SIGKILLed and restarted, the devices' network is cut
for a minute, the broker restarts, a small outbox overflows and a malicious device sends spoofed
and garbage payloads. Faults overlap so the whole run takes about two and a half minutes.

Exact accounting: every reading a device produced is stored once, or (small outbox) is inside a
declared aggregate, or inside a declared gap; nothing else, no duplicates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pm25 import topics
from pm25.wire import encode
from tests.cloud_hub.ingest_support import Publisher, make_batch
from tests.e2e.stack import (
    Api,
    HubProcess,
    broker_with,
    fleet_report,
    outbox_high_water,
    start_fleet,
)
from tests.support.proxy import CuttableProxy

MAIN = [f"sim-{i:04d}" for i in range(4)]
SMALL = "tiny-0000"
EVIL = "evil-0000"
PRODUCE_S = 110
CUT_S = 60


def _at(t0: float, offset: float) -> None:
    time.sleep(max(0.0, t0 + offset - time.monotonic()))


def _seqs(series: dict[str, Any]) -> list[int]:
    return [r["seq"] for r in series["readings"]]


def _covered(series: dict[str, Any]) -> set[int]:
    """Seqs declared by gaps (compacted raw readings, dropped aggregates)."""
    out: set[int] = set()
    for g in series["gaps"]:
        if g["seq_from"] is not None:
            out.update(range(g["seq_from"], g["seq_to"] + 1))
    return out


def _wait(predicate: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not predicate():
        time.sleep(1)


@pytest.mark.timeout(360)
def test_exactly_once_through_hub_kill_network_cut_broker_restart_and_a_bad_device(
    tmp_path: Path,
) -> None:
    hub = HubProcess(tmp_path / "hub", broker_port=0)
    broker = broker_with(tmp_path / "mosquitto", {})
    hub.broker_port = broker.port
    creds = hub.register([*MAIN, SMALL, EVIL])
    broker.users.update(creds)
    broker.start()
    proxy = CuttableProxy(broker.port).start()
    hub.start()
    api = Api(hub.base)
    fleet = start_fleet(
        tmp_path / "fleet", {d: creds[d] for d in MAIN}, proxy.port,
        "--duration", str(PRODUCE_S), "--interval", "1", "--batch", "5", "--batch-age", "2",
        "--heartbeat", "20",
    )  # fmt: skip
    small = start_fleet(
        tmp_path / "small", {SMALL: creds[SMALL]}, proxy.port,
        "--duration", str(PRODUCE_S), "--interval", "0.02", "--batch", "200", "--batch-age", "1",
        "--heartbeat", "20", small_outbox=True,
    )  # fmt: skip
    t0 = time.monotonic()
    try:
        _at(t0, 8)
        hub.kill()  # devices keep publishing; the broker holds the hub's session
        _at(t0, 18)
        hub.start()
        _at(t0, 22)
        proxy.cut()  # the devices' network is gone for a minute
        _at(t0, 35)
        broker.restart()  # the hub reconnects; devices are still cut off
        _at(t0, 45)
        evil = Publisher(broker.port, EVIL, creds[EVIL], client_id=EVIL)
        spoofed = make_batch(MAIN[0], s0=10_000, n=3)  # claims to be sim-0000
        evil.publish([
            (topics.readings(EVIL), encode(spoofed)),
            (topics.readings(EVIL), b"\x00garbage{not json"),
            (topics.readings(EVIL), b'{"d": "evil-0000", "mv": "x"}'),
        ])  # fmt: skip
        evil.client.disconnect()
        _at(t0, 22 + CUT_S)
        proxy.restore()
        main_report = fleet_report(fleet, timeout_s=PRODUCE_S + 120)
        small_report = fleet_report(small, timeout_s=60)
    finally:
        for proc in (fleet, small):
            if proc.poll() is None:
                proc.kill()
        proxy.stop()

    _check_main(api, tmp_path / "fleet" / "data", main_report)
    _check_small(api, tmp_path / "small" / "data", small_report)
    quarantined = api.call("GET", f"/quarantine?device_id={EVIL}")
    print(f"quarantined from {EVIL}: {[q['reason'] for q in quarantined]}")
    assert sorted(q["reason"] for q in quarantined) == ["malformed", "malformed", "spoofed"]
    assert 10_000 not in _seqs(api.raw(MAIN[0]))


def _check_main(api: Api, data: Path, main_report: dict[str, Any]) -> None:
    """Every reading produced is stored exactly once: seqs contiguous up to the high-water mark."""
    expected = {d: outbox_high_water(data, d) for d in MAIN}
    _wait(lambda: all(max(_seqs(api.raw(d)), default=-1) >= expected[d] for d in MAIN), 60)
    series = {d: api.raw(d) for d in MAIN}
    stored = sum(len(s["readings"]) for s in series.values())
    print(f"\nmain fleet: produced {main_report['produced']}, acked {main_report['acked']}, "
          f"unsent {main_report['unsent']}, stored {stored}, "
          f"reconnects {main_report['connects']}")  # fmt: skip
    assert main_report["unsent"] == 0
    for d, s in series.items():
        seqs = _seqs(s)
        assert len(seqs) == len(set(seqs)), f"{d}: duplicates"
        assert seqs == list(range(seqs[0], expected[d] + 1)), f"{d}: missing seqs"
        assert s["aggregates"] == [] and s["gaps"] == []
    assert stored == main_report["produced"]


def _check_small(api: Api, data: Path, small_report: dict[str, Any]) -> None:
    """Raw, aggregated or declared lost: every seq exactly once, every reading accounted for."""
    hwm = outbox_high_water(data, SMALL)
    _wait(lambda: _small_done(api.raw(SMALL), hwm), 60)
    s = api.raw(SMALL)
    raw, aggs = _seqs(s), {a["seq"]: a["n"] for a in s["aggregates"]}
    declared = _covered(s)
    in_aggregates = sum(aggs.values())
    dropped = small_report["produced"] - len(raw) - in_aggregates
    print(f"small outbox: produced {small_report['produced']}, stored raw {len(raw)}, "
          f"aggregates {len(aggs)} covering {in_aggregates}, readings in dropped aggregates "
          f"{dropped}, gaps {len(s['gaps'])}, unsent {small_report['unsent']}")  # fmt: skip
    assert small_report["unsent"] == 0
    assert aggs, "the cut did not fill the small outbox: no compaction happened"
    assert len(raw) == len(set(raw))
    assert set(raw).isdisjoint(aggs) and set(raw).isdisjoint(declared)
    assert set(raw) | set(aggs) | declared == set(range(min(raw + list(aggs)), hwm + 1))
    full_gaps = [g for g in s["gaps"] if g["reason"] == "outbox_full"]
    assert (dropped > 0) == bool(full_gaps) and dropped >= 0


def _small_done(series: dict[str, Any], hwm: int) -> bool:
    seqs = set(_seqs(series)) | {a["seq"] for a in series["aggregates"]} | _covered(series)
    return hwm in seqs
