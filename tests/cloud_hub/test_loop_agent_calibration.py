"""A real ``edge-agent run`` takes the calibration the hub fits: the hub pushes it as a config
patch, the agent acks, restarts its stages with it and flags its readings CALIBRATED."""

from __future__ import annotations

import signal
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from cloud_hub.registry import monitors
from cloud_hub.registry.models import CommandLogEntry
from cloud_hub.series import Selection
from pm25 import topics
from pm25.wire import QualityFlag, ReadingBatch, decode
from tests.cloud_hub.hub_support import running_hub
from tests.conftest import HUB_USER, WATCHER_USER
from tests.edge_agent.integration.agent_proc import agent_env, start_agent, wait_for_seq
from tests.edge_agent.model_factory import build_fixture_model
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher

LAT, LON = 6.25, -75.57


def _wait(check: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_agent_applies_pushed_calibration(tmp_path: Path, mosquitto: MosquittoBroker) -> None:  # noqa: PLR0915
    mosquitto.start()
    assert mosquitto.process is not None
    pid = tmp_path / "mosquitto.pid"
    pid.write_text(str(mosquitto.process.pid))
    model = tmp_path / "model"
    build_fixture_model(model)
    settings = {
        "mqtt": {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]},
        "ingest": {"enabled": True, "client_id": "hub-cal", "batch_linger_s": 0.01},
        "broker_files": {"password_file": str(mosquitto.workdir / "passwd"), "pid_file": str(pid)},
        "loop": {"labels": {"tolerance_s": 0.5}, "calibration": {"min_pairs": 5}},
    }
    with running_hub(tmp_path, **settings) as h:
        op = h.headers("operator")
        body = {"id": "cam-cal", "lat": LAT, "lon": LON}
        r = h.client.post("/api/v1/devices", json=body, headers=op)
        assert r.status_code == 201, r.text
        data = tmp_path / "agent"
        env = agent_env("cam-cal", mosquitto.port, r.json()["mqtt_password"], data, model,
                        EDGE_AGENT_CAPTURE__INTERVAL_S="0.2",
                        EDGE_AGENT_CAPTURE__SOURCE__SPEEDUP="1")  # fmt: skip
        watcher = Watcher(mosquitto.port, *WATCHER_USER, [topics.readings("cam-cal")]).start()
        agent = start_agent(env, tmp_path / "agent.log")
        try:
            start = int(time.time()) - 1

            def readings() -> list[tuple[int, float, int]]:
                sel = Selection(start, int(time.time()) + 2, device_ids=("cam-cal",))
                raw = h.hub.series.query_raw(sel, 100_000).readings
                return [(x.captured_at, x.pm25, x.flags) for x in raw]

            _wait(lambda: len({t for t, _, _ in readings()}) >= 8)
            # A monitor beside the camera that reads 0.5·camera + 4 each second.
            per_second: dict[int, list[float]] = defaultdict(list)
            for t, pm, _ in readings():
                per_second[t].append(pm)
            with h.hub.registry.session() as s:
                monitors.create_monitor(s, "test", "mon-1", name="m", lat=LAT, lon=LON)
            with h.hub.registry.session() as s:
                refs = [(float(t), 0.5 * statistics.fmean(v) + 4) for t, v in per_second.items()]
                monitors.add_readings(s, "test", "mon-1", refs)
            r = h.client.post("/api/v1/loop/devices/cam-cal/calibrations", headers=op)
            assert r.status_code == 201, r.text
            cal = r.json()
            assert abs(cal["slope"] - 0.5) < 0.01 and abs(cal["intercept"] - 4) < 0.5

            def acked() -> bool:
                with h.hub.registry.session() as s:
                    row = s.get(CommandLogEntry, cal["command_id"])
                    return row is not None and row.ok is True

            _wait(acked)
            _wait(lambda: any(f & QualityFlag.CALIBRATED for _, _, f in readings()))
            before = wait_for_seq(data, 0).next_seq
            wait_for_seq(data, before + 5)  # still producing after the restart
            agent.send_signal(signal.SIGTERM)
            assert agent.wait(30) == 0
        finally:
            if agent.poll() is None:
                agent.kill()
            watcher.stop()
        # On the wire, every calibrated batch names its calibration version; the others none.
        batches = [decode(ReadingBatch, m.payload) for m in watcher.wait_for(1)]
        cvs = {(b.cv, any(f & QualityFlag.CALIBRATED for f in b.fl)) for b in batches if b.pm}
        assert cvs == {(None, False), (cal["version"], True)}
        flagged = [pm for _, pm, f in readings() if f & QualityFlag.CALIBRATED]
        raw = [pm for _, pm, f in readings() if not f & QualityFlag.CALIBRATED]
        assert flagged and raw
        # The calibrated readings follow the monitor's scale (half the camera's, plus 4).
        expected = 0.5 * statistics.fmean(raw) + 4
        assert abs(statistics.fmean(flagged) - expected) < 0.5 * expected
        # An unknown device is a clear 404, not a crash.
        bad = h.client.post("/api/v1/loop/devices/nope/calibrations", headers=op)
        assert bad.status_code == 404
