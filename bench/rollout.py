"""A staged rollout to 1,000 simulated devices: policy + state machine + evaluator at scale.

Devices are in-process (``cloud_hub.rollouts.fleet_sim``) and report through the registry's
ingest path (``RegistryDirectory``: acks and heartbeats with an ``update`` section), on a SQLite
registry file. Faults injected: 1 % of devices never answer (they time out and count as failed)
and 0.5 % report a failed self-test. The simulated clock moves 60 s per round; wall time is what
the hub spends. Baseline in the same run: one plain read of every device and rollout row, the
least any evaluation round must do.

``python -m bench.rollout``
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from bench.report import print_table, write_json
from cloud_hub.mqtt_client import MqttSettings, publish_batch, publish_once
from cloud_hub.registry import Registry, devices
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.registry.models import Device, Rollout, RolloutDevice
from cloud_hub.rollouts import desired, service
from cloud_hub.rollouts.evaluator import RolloutEvaluator
from cloud_hub.rollouts.fleet_sim import Behaviour, SimFleet
from cloud_hub.rollouts.spec import RolloutSettings, RolloutSpec
from pm25 import topics
from tests.support.mosquitto import MosquittoBroker

DEVICES = 1000
HUB = ("hub", "bench-hub-password")
ZONES = 50
STEP_S = 60.0
SPEC = {
    "stages": {"fractions": [0.05, 0.25, 1.0]},
    "budget": {"max_fraction": 0.34, "max_devices": 5},
    "gates": {"min_reported": 5, "max_failure_rate": 0.05, "silent_timeout_s": 600},
}


def _fleet(reg: Registry, rng: random.Random) -> dict[str, Behaviour]:
    behaviour: dict[str, Behaviour] = {}
    with reg.session() as s:
        for z in range(ZONES):
            devices.create_zone(s, "bench", f"z{z:02d}", f"zone {z}", [])
        for i in range(DEVICES):
            device_id = f"cam-{i:04d}"
            devices.create_device(s, "bench", device_id, zone_id=f"z{i % ZONES:02d}")
            roll = rng.random()
            if roll < 0.01:
                behaviour[device_id] = "silent"
            elif roll < 0.015:
                behaviour[device_id] = "fails"
    return behaviour


def _baseline(reg: Registry) -> float:
    started = time.perf_counter()
    with reg.session() as s:
        list(s.scalars(select(Device)))
        list(s.scalars(select(RolloutDevice)))
    return time.perf_counter() - started


def hold_publish(work: Path) -> dict[str, float]:
    """Seconds to publish a retained hold to every device: batched vs a connection each."""
    broker = MosquittoBroker(workdir=work / "mq", users={HUB[0]: HUB[1]}, superusers=(HUB[0],))
    broker.start()
    try:
        mqtt = MqttSettings(port=broker.port, username=HUB[0], password=SecretStr(HUB[1]))
        rollout = Rollout(id="r-bench", version=2, target="pm25-haze/manifest.json", state="paused")
        payload = desired.message(rollout, "hold", time.time(), "rollout paused")
        batch = [(topics.desired(f"cam-{i:04d}"), payload, True) for i in range(DEVICES)]
        t = time.perf_counter()
        publish_batch(mqtt, "bench-batch", batch)
        batched = time.perf_counter() - t
        t = time.perf_counter()
        for n, (topic, payload, retain) in enumerate(batch):
            publish_once(mqtt, f"bench-one-{n}", topic, payload, retain=retain)
        each = time.perf_counter() - t
    finally:
        broker.stop()
    return {"batched_s": round(batched, 3), "connection_each_s": round(each, 3),
            "speed_up": round(each / batched, 1), "payload_bytes": len(payload)}  # fmt: skip


def run() -> dict[str, object]:
    rng = random.Random(25)
    with tempfile.TemporaryDirectory(prefix="bench-rollout-") as tmp:
        reg = Registry.open(f"sqlite:///{Path(tmp) / 'registry.db'}")
        behaviour = _fleet(reg, rng)
        with reg.session() as s:
            rid = service.create(s, "bench", model_name="pm25-haze", version=2,
                                 target="pm25-haze/manifest.json", rollout_id="r-bench",
                                 spec=RolloutSpec.model_validate(SPEC)).id  # fmt: skip
            service.act(s, "bench", rid, "start")
        now = [1_800_000_000.0]
        fleet = SimFleet(RegistryDirectory(reg), behaviour)
        ev = RolloutEvaluator(reg, fleet.publish, RolloutSettings(), clock=lambda: now[0])
        stages: list[dict[str, Any]] = []
        current: dict[str, Any] = {"stage": 0, "rounds": 0, "wall_s": 0.0, "notices": 0}
        state, total_wall, rounds = "running", 0.0, 0
        while state == "running" and rounds < 500:
            before = ev.notices_sent
            t = time.perf_counter()
            ev.run_once()
            wall = time.perf_counter() - t
            total_wall += wall
            rounds += 1
            with reg.session() as s:
                r = service.get(s, rid)
                state, stage = r.state, r.stage
            if stage != current["stage"]:  # this round's notices already belong to the new stage
                stages.append(current)
                current = {"stage": stage, "rounds": 0, "wall_s": 0.0, "notices": 0}
            current["rounds"] += 1
            current["wall_s"] += wall
            current["notices"] += ev.notices_sent - before
            fleet.deliver(now[0])
            now[0] += STEP_S
            fleet.tick(now[0])
        stages.append(current)
        baseline = _baseline(reg)
        with reg.session() as s:
            rows = service.devices(s, rid)
            failed = [r for r in rows if r.state == "failed"]
            updated = sum(1 for r in rows if r.state == "updated")
        reg.close()
        hold = hold_publish(Path(tmp))
    per_round = total_wall / rounds
    results: dict[str, object] = {
        "devices": DEVICES,
        "zones": ZONES,
        "final_state": state,
        "rounds": rounds,
        "simulated_minutes": rounds * STEP_S / 60,
        "total_wall_s": round(total_wall, 3),
        "per_round_wall_ms": round(per_round * 1000, 1),
        "baseline_scan_ms": round(baseline * 1000, 2),
        "round_vs_scan": round(per_round / baseline, 1) if baseline else None,
        "notices_sent": ev.notices_sent,
        "notice_payload_bytes": fleet.notice_bytes,
        "devices_updated": updated,
        "devices_failed": len(failed),
        "injected_silent": sum(1 for b in behaviour.values() if b == "silent"),
        "injected_failing": sum(1 for b in behaviour.values() if b == "fails"),
        "stages": stages,
        "hold_publish": hold,
    }
    print_table(
        f"rollout to {DEVICES} simulated devices ({ZONES} zones), final state {state}",
        ["stage", "rounds", "simulated min", "hub wall s", "notices"],
        [[s["stage"], s["rounds"], s["rounds"] * STEP_S / 60, round(s["wall_s"], 3), s["notices"]]
         for s in stages],
    )  # fmt: skip
    print_table(
        "totals",
        ["notices", "updated", "failed", "hub wall s", "ms/round", "round / plain scan"],
        [[ev.notices_sent, updated, len(failed), round(total_wall, 2),
          results["per_round_wall_ms"], results["round_vs_scan"]]],
    )  # fmt: skip
    print_table(
        f"retained hold to {DEVICES} devices on a real Mosquitto (QoS 1, every PUBACK awaited)",
        ["one connection s", "connection per message s", "ratio"],
        [[hold["batched_s"], hold["connection_each_s"], hold["speed_up"]]],
    )
    write_json("rollout", results)
    return results


if __name__ == "__main__":
    run()
