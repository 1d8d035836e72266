"""Fleet simulator cost: devices vs the simulator's own CPU and messages per second.

N simulated units (``edge-agent simulate``'s :class:`Fleet`) against a local Mosquitto for a fixed
time at one reading per ``INTERVAL_S`` each, batches of ``BATCH`` readings, a heartbeat a minute.
Measured: CPU seconds of this process per wall second (100 % = one core), readings and MQTT
publishes acknowledged per second, and the ratio of CPU per device against the smallest fleet in
the same run. Mosquitto's own CPU is not counted.

Run ``python -m bench.fleet_sim`` (``FLEET_SIZES=100,1000`` to choose sizes).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Final

from bench.report import print_table, write_json
from edge_agent.simulate import Credentials, Fleet, SimConfig
from tests.support.mosquitto import MosquittoBroker

PASSWORD: Final = "bench-pw"
DURATION_S: Final = 30.0
INTERVAL_S: Final = 5.0
BATCH: Final = 6
SIZES: Final = tuple(int(n) for n in os.environ.get("FLEET_SIZES", "100,300,1000").split(","))


def _one(size: int, workdir: Path) -> dict[str, float | int]:
    creds = Credentials.numbered("sim-", size, PASSWORD)
    broker = MosquittoBroker(
        workdir=workdir / f"broker-{size}",
        users=dict.fromkeys((d for d, _ in creds.devices), PASSWORD),
    )
    broker.start()
    try:
        config = SimConfig(
            port=broker.port,
            interval_s=INTERVAL_S,
            duration_s=DURATION_S,
            batch=BATCH,
            batch_age_s=60.0,
            heartbeat_s=60.0,
            flush_s=30.0,
        )
        report = Fleet(config, creds, workdir / f"fleet-{size}").run(threading.Event())
    finally:
        broker.stop()
    publishes = report.acked / BATCH + report.heartbeats + 2 * report.devices
    return {
        "devices": size,
        "cpu_pct": round(100 * report.cpu_s / report.elapsed_s, 1),
        "readings_per_s": round(report.acked / report.elapsed_s, 1),
        "publishes_per_s": round(publishes / report.elapsed_s, 1),
        "produced": report.produced,
        "acked": report.acked,
        "unsent": report.unsent,
        "elapsed_s": report.elapsed_s,
    }


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        rows = [_one(n, Path(tmp)) for n in SIZES]
    base = float(rows[0]["cpu_pct"]) / int(rows[0]["devices"])
    for r in rows:
        per_device = float(r["cpu_pct"]) / int(r["devices"])
        r["cpu_per_device_vs_smallest"] = round(per_device / base, 2) if base else 0.0
    header = list(rows[0])
    print_table(
        f"Fleet simulator ({DURATION_S:.0f} s, reading every {INTERVAL_S:.0f} s, batch {BATCH})",
        header,
        [[r[h] for h in header] for r in rows],
    )
    result: dict[str, object] = {"duration_s": DURATION_S, "interval_s": INTERVAL_S, "rows": rows}
    write_json("fleet_sim", result)
    return result


if __name__ == "__main__":
    run()
