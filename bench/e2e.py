"""End to end at fleet scale: ``edge-agent simulate`` (N devices) -> real Mosquitto ->
``cloud-hub serve`` (ingest, SQLite series) for a fixed time.

Reports readings produced vs stored, capture-to-stored latency p50/p99 (the hub stamps
``received_at`` when the reading is written, so it is queryable from then; whole seconds, as the
wire), and the hub process's CPU per 1,000 devices from ``/proc/<pid>/stat``. The baseline, measured
in the same run, is the same hub idle (connected, no devices) over the same length of time.

``BENCH_E2E_DEVICES`` (default 100), ``BENCH_E2E_SECONDS`` (default 30) and
``BENCH_E2E_INTERVAL`` (seconds between readings, default 1) change the load.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.report import print_table, write_json
from tests.e2e.stack import Api, HubProcess, broker_with, fleet_report, start_fleet

TICKS = os.sysconf("SC_CLK_TCK")
BATCH, BATCH_AGE_S = 10, 2.0


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def run() -> dict[str, object]:
    devices = int(os.environ.get("BENCH_E2E_DEVICES", "100"))
    seconds = float(os.environ.get("BENCH_E2E_SECONDS", "30"))
    interval = float(os.environ.get("BENCH_E2E_INTERVAL", "1"))
    ids = [f"bench-{i:05d}" for i in range(devices)]
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        work = Path(tmp)
        broker = broker_with(work / "mosquitto", {})
        hub = HubProcess(work / "hub", broker_port=broker.port)
        creds = hub.register(ids)
        broker.users.update(creds)
        broker.start()
        try:
            hub.start()
            assert hub.process is not None
            pid = hub.process.pid
            time.sleep(2)
            idle0 = _cpu_s(pid)
            time.sleep(seconds)
            idle_cpu = _cpu_s(pid) - idle0
            busy0 = _cpu_s(pid)
            fleet = start_fleet(
                work / "fleet", creds, broker.port, "--duration", str(seconds),
                "--interval", str(interval), "--batch", str(BATCH),
                "--batch-age", str(BATCH_AGE_S), "--heartbeat", "600",
            )  # fmt: skip
            report = fleet_report(fleet, timeout_s=seconds + 300)
            busy_cpu = _cpu_s(pid) - busy0  # before our own API queries add to it
            stored, latencies = _stored(Api(hub.base), ids, report["produced"])
            busy_s = float(report["elapsed_s"])
        finally:
            hub.stop()
            broker.stop()
    per_1000 = 1000 / devices
    result: dict[str, object] = {
        "devices": devices,
        "interval_s": interval,
        "batch": BATCH,
        "batch_age_s": BATCH_AGE_S,
        "produced": report["produced"],
        "stored": stored,
        "unsent": report["unsent"],
        "latency_p50_s": float(np.percentile(latencies, 50)) if latencies else None,
        "latency_p99_s": float(np.percentile(latencies, 99)) if latencies else None,
        "hub_cpu_pct_idle": round(100 * idle_cpu / seconds, 2),
        "hub_cpu_pct_loaded": round(100 * busy_cpu / busy_s, 2),
        "hub_cpu_pct_per_1000_devices": round(100 * busy_cpu / busy_s * per_1000, 1),
        "loaded_vs_idle": round(busy_cpu / busy_s / max(idle_cpu / seconds, 1e-9), 1),
    }
    print_table(
        f"e2e: {devices} simulated devices, one reading each {interval:g} s, {seconds:g} s",
        ["figure", "value"],
        [[k, v] for k, v in result.items()],
    )
    write_json("e2e", result)
    return result


def _stored(api: Api, ids: list[str], produced: int) -> tuple[int, list[int]]:
    """Wait (up to 60 s) until the hub holds what was produced; count it and the latencies."""
    deadline = time.monotonic() + 60
    while True:
        series = [api.raw(d)["readings"] for d in ids]
        stored = sum(len(s) for s in series)
        if stored >= produced or time.monotonic() > deadline:
            break
        time.sleep(2)
    latencies = [r["received_at"] - r["captured_at"] for s in series for r in s]
    return stored, latencies


if __name__ == "__main__":
    run()
