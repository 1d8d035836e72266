"""``python -m cloud_hub.ingest``: the ingest worker alone, with a fixed device list.

For tests and benchmarks (a process that can be SIGKILLed) and for a quick look at a broker's
traffic. It uses the SQLite series store and an in-memory device directory (quarantined messages
are logged, not kept). The hub proper runs the worker inside ``cloud-hub serve`` against the
registry.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Sequence

from pydantic import SecretStr

from cloud_hub.ingest.directory import DeviceAccess, InMemoryDirectory, QuarantineRecord
from cloud_hub.ingest.settings import IngestSettings
from cloud_hub.ingest.worker import IngestWorker
from cloud_hub.mqtt_client import MqttSettings
from cloud_hub.series.sqlite import SqliteSeriesStore


class _LoggingDirectory(InMemoryDirectory):
    def quarantine(self, record: QuarantineRecord) -> None:
        logging.getLogger("cloud_hub.ingest").warning(
            "quarantined %s from %s: %s", record.reason, record.topic, record.detail
        )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cloud_hub.ingest", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--username", default="hub")
    p.add_argument("--password-env", default="CLOUD_HUB_MQTT__PASSWORD",
                   help="environment variable holding the MQTT password")  # fmt: skip
    p.add_argument("--client-id", default="cloud-hub-ingest-0")
    p.add_argument("--group", default="hub")
    p.add_argument("--sqlite", required=True, help="SQLite series store file")
    p.add_argument("--device", action="append", default=[], metavar="ID[:ZONE]",
                   help="a registered device (repeat)")  # fmt: skip
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    devices = {
        d.split(":")[0]: DeviceAccess(registered=True, zone=d.partition(":")[2] or None)
        for d in args.device
    }
    mqtt_settings = MqttSettings(
        host=args.host,
        port=args.port,
        username=args.username,
        password=SecretStr(os.environ.get(args.password_env, "")),
    )
    settings = IngestSettings(enabled=True, group=args.group, client_id=args.client_id)
    store = SqliteSeriesStore(args.sqlite)
    worker = IngestWorker(mqtt_settings, settings, store, _LoggingDirectory(devices))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    worker.start()
    print("ingest: ready", flush=True)
    done.wait()
    worker.stop()
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
