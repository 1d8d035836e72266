"""The fleet simulator against a real Mosquitto: every reading arrives, counted independently."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from edge_agent.cli import main
from edge_agent.errors import ConfigError
from edge_agent.simulate import Credentials, Fleet, FleetReport, ReadingSource, SimConfig
from pm25 import topics
from pm25.topics import Kind
from pm25.wire import ReadingBatch, Status, decode
from tests.conftest import WATCHER_USER
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher

N = 50
PASSWORD = "sim-test-password"


def _broker(broker: MosquittoBroker, creds: Credentials) -> MosquittoBroker:
    for device, _ in creds.devices:
        broker.users[device] = PASSWORD
    broker.start()
    return broker


def _watch(broker: MosquittoBroker) -> Watcher:
    wanted = [topics.all_devices(k) for k in (Kind.READINGS, Kind.HEARTBEAT, Kind.STATUS)]
    return Watcher(broker.port, *WATCHER_USER, wanted).start()


def _seqs(watcher: Watcher) -> dict[str, list[int]]:
    """Every reading seq the watcher saw, per device, duplicates kept."""
    out: dict[str, list[int]] = {}
    for m in watcher.messages:
        if m.topic.endswith("/readings"):
            b = decode(Kind.READINGS, m.payload)
            assert isinstance(b, ReadingBatch)
            offsets = b.ds or range(len(b.pm))
            out.setdefault(b.d, []).extend(b.s0 + o for o in offsets)
    return out


def _config(broker: MosquittoBroker, duration_s: float) -> SimConfig:
    return SimConfig(
        port=broker.port,
        interval_s=0.25,
        duration_s=duration_s,
        batch=4,
        batch_age_s=1.0,
        heartbeat_s=1.5,
        reconnect_max_s=1.0,
    )


def _run_in_thread(fleet: Fleet) -> tuple[threading.Thread, list[FleetReport]]:
    result: list[FleetReport] = []
    thread = threading.Thread(target=lambda: result.append(fleet.run(threading.Event())))
    thread.start()
    return thread, result


def test_fifty_devices_deliver_every_reading_exactly_once_after_dedupe(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    creds = Credentials.numbered("sim-", N, PASSWORD)
    broker = _broker(mosquitto, creds)
    watcher = _watch(broker)
    fleet = Fleet(_config(broker, 4.0), creds, tmp_path / "fleet")
    report = fleet.run(threading.Event())
    time.sleep(0.5)
    watcher.stop()

    seqs = _seqs(watcher)
    assert report.unsent == 0 and report.devices == N
    assert report.produced == report.acked > N * 10
    assert sorted(seqs) == sorted(d for d, _ in creds.devices)
    for device in fleet.devices:  # seqs start at 0 per fresh outbox, none missing
        assert sorted(set(seqs[device.device_id])) == list(range(device.produced))
    assert sum(len(set(s)) for s in seqs.values()) == report.produced
    beats = Counter(m.topic.split("/")[2] for m in watcher.messages if "/heartbeat" in m.topic)
    assert set(beats) == set(seqs) and min(beats.values()) >= 2
    last_status = {m.topic.split("/")[2]: m for m in watcher.messages if "/status" in m.topic}
    for m in last_status.values():  # a clean stop ends with the retained offline status
        status = decode(Kind.STATUS, m.payload)
        assert isinstance(status, Status) and status.state == "offline"


def test_broker_restart_mid_run_loses_nothing(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    creds = Credentials.numbered("sim-", 20, PASSWORD)
    broker = _broker(mosquitto, creds)
    watcher = _watch(broker)
    fleet = Fleet(_config(broker, 6.0), creds, tmp_path / "fleet")
    thread, result = _run_in_thread(fleet)
    time.sleep(2.0)
    broker.stop()  # readings keep being produced into the outboxes
    time.sleep(1.5)
    broker.start()
    watcher.stop()
    watcher = _watch(broker)  # the first watcher saw the start, this one the rest
    thread.join(timeout=60)
    time.sleep(0.5)
    watcher.stop()
    (report,) = result
    assert report.unsent == 0
    produced = {d.device_id: d.produced for d in fleet.devices}
    assert sum(d.uplink.link.connects for d in fleet.devices) >= 2 * len(creds.devices)
    # Everything produced after the outage reached the broker: the seqs the second watcher saw
    # include each device's last seq, and the outboxes acked every reading.
    seqs = _seqs(watcher)
    for device, count in produced.items():
        assert max(seqs[device]) == count - 1
    assert report.acked == sum(produced.values())


def test_readings_are_deterministic_per_device_and_differ_between_devices() -> None:
    t = 1_748_779_200
    a = [ReadingSource(7, 1).reading(t + 10 * i) for i in range(20)]
    b = [ReadingSource(7, 1).reading(t + 10 * i) for i in range(20)]
    c = [ReadingSource(7, 2).reading(t + 10 * i) for i in range(20)]
    assert a == b and a != c
    assert all(0 <= r.pm25 <= 2000 and r.sd > 0 and r.t == t + 10 * i for i, r in enumerate(a))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no devices"),
        ("cam-1\n", "expected 'device_id:password'"),
        ("Cam-1:pw\n", "must match"),
        ("cam-1:pw\ncam-1:pw2\n", "appears twice"),
    ],
)
def test_bad_credentials_files_are_refused_with_the_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "creds"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        Credentials.from_file(path)


def test_credentials_file_gives_the_first_n_devices(tmp_path: Path) -> None:
    path = tmp_path / "creds"
    path.write_text("# fleet\ncam-1:a\n\ncam-2:b:c\n")
    creds = Credentials.from_file(path, 2)
    assert [(d, p.get_secret_value()) for d, p in creds.devices] == [
        ("cam-1", "a"),
        ("cam-2", "b:c"),
    ]
    with pytest.raises(ConfigError, match="has 2 devices, 3 asked for"):
        Credentials.from_file(path, 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--devices", "2", "--broker", "nohost"], "HOST:PORT"),
        (["--devices", "2"], "--password-file"),
        (["--devices", "0", "--password-file", "/dev/null"], "at least 1"),
        (["--devices", "2", "--password-file", "/nonexistent"], "cannot read"),
        (["--devices", "2", "--password-file", "/dev/null", "--interval", "0"], "interval_s"),
    ],
)
def test_simulate_cli_refuses_bad_arguments(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", *args]) == 2
    assert message in capsys.readouterr().err


def test_simulate_cli_runs_a_small_fleet(
    mosquitto: MosquittoBroker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    creds = Credentials.numbered("sim-", 3, PASSWORD)
    broker = _broker(mosquitto, creds)
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    argv = ["simulate", "--devices", "3", "--broker", f"127.0.0.1:{broker.port}"]
    argv += ["--password-file", str(tmp_path / "pw"), "--duration", "1.5", "--interval", "0.3"]
    assert main([*argv, "--batch", "2", "--batch-age", "0.5"]) == 0
    out = capsys.readouterr().out
    assert '"unsent": 0' in out and '"devices": 3' in out


def test_devices_work_with_file_descriptors_above_select_limit(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """A big fleet puts sockets above fd 1023, where select() fails: the link must not use it."""
    creds = Credentials.numbered("sim-", 3, PASSWORD)
    broker = _broker(mosquitto, creds)
    filler = [(tmp_path / "filler").open("w") for _ in range(1100)]
    try:
        report = Fleet(_config(broker, 1.5), creds, tmp_path / "fleet").run(threading.Event())
    finally:
        for f in filler:
            f.close()
    assert report.connects == report.connect_attempts == 3
    assert report.produced == report.acked > 0 and report.unsent == 0
