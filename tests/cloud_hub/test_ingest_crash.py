"""The ingest worker SIGKILLed mid-ingest and restarted: no reading lost, none stored twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from pm25 import topics
from pm25.wire import encode
from tests.cloud_hub.ingest_support import Publisher, make_batch, wait_until
from tests.conftest import HUB_USER
from tests.support.mosquitto import MosquittoBroker

MESSAGES, PER_MESSAGE = 1500, 20


def start_worker(broker: MosquittoBroker, db: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CLOUD_HUB_MQTT__PASSWORD": HUB_USER[1]}
    cmd = [
        sys.executable, "-m", "cloud_hub.ingest", "--port", str(broker.port),
        "--username", HUB_USER[0], "--client-id", "crash-test-0", "--sqlite", str(db),
        "--device", "cam-1:north",
    ]  # fmt: skip
    out = log.open("ab")
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out)
    assert wait_until(lambda: b"ingest: ready" in log.read_bytes(), 30), log.read_text()
    return proc


def stored(db: Path) -> tuple[int, int]:
    """(rows, distinct seqs) in the readings table, 0 while the store does not exist yet."""
    if not db.exists():
        return 0, 0
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            row = conn.execute("SELECT count(*), count(DISTINCT seq) FROM readings").fetchone()
        except sqlite3.OperationalError:
            return 0, 0
    return int(row[0]), int(row[1])


def test_sigkill_mid_ingest_loses_nothing_and_stores_nothing_twice(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    mosquitto.users["cam-1"] = "pw-1"
    mosquitto.start()
    db, log = tmp_path / "series.db", tmp_path / "worker.log"
    worker = start_worker(mosquitto, db, log)
    cam = Publisher(mosquitto.port, "cam-1", "pw-1")
    items = [
        (topics.readings("cam-1"), encode(make_batch("cam-1", i * PER_MESSAGE, PER_MESSAGE)))
        for i in range(MESSAGES)
    ]
    cam.publish(items)  # the broker has them all now (PUBACKed)
    total = MESSAGES * PER_MESSAGE
    assert wait_until(lambda: stored(db)[0] > 0, 30)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    at_kill = stored(db)[0]
    assert at_kill < total, "the worker finished before the kill; make the test bigger"
    # While the worker is dead the broker keeps queuing for its persistent session.
    cam.publish([(topics.readings("cam-1"), encode(make_batch("cam-1", total, PER_MESSAGE)))])
    worker = start_worker(mosquitto, db, log)
    try:
        assert wait_until(lambda: stored(db)[0] >= total + PER_MESSAGE, 60), stored(db)
        rows, distinct = stored(db)
        assert rows == distinct == total + PER_MESSAGE
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
        cam.close()
