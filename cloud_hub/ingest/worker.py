"""The ingest worker: MQTT in (shared subscription, manual ack), series store and registry out.

Flow: paho's network thread puts each message into a bounded queue; one processing thread takes
up to ``batch_max_messages`` at a time, validates them (``validate``, pure), stores all their
readings in one series write, updates the registry, quarantines the rest, and only then
acknowledges each message to the broker. Until the PUBACK the broker keeps the message in our
persistent session (fixed client id, ``clean_start=False``, session expiry) and redelivers it
after a crash; the store's idempotent write makes the redelivery harmless.

Backpressure: the broker sends at most ``receive_maximum`` unacknowledged messages (MQTT 5
Receive Maximum); the queue holds exactly that many, so when the store is slow or down nothing is
acked, the broker stops sending and keeps the rest queued: memory stays bounded.

One processing thread, not a pool: validation is CPU-bound Python under the GIL and SQLite takes
one writer, so more threads would add contention, not speed. Scale out with more replicas in
the same shared-subscription group (or processes), each with its own client id.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from cloud_hub.errors import StoreUnavailable
from cloud_hub.ingest.directory import DeviceAccess, DeviceDirectory, QuarantineReason
from cloud_hub.ingest.metrics import IngestMetrics
from cloud_hub.ingest.settings import IngestSettings
from cloud_hub.ingest.validate import (
    DEVICE_KINDS,
    Accepted,
    Rejected,
    StoredBatch,
    admit,
    parse,
    quarantine_record,
    to_stored,
)
from cloud_hub.mqtt_client import MqttSettings, make_client
from cloud_hub.series.base import SeriesStore
from pm25 import topics
from pm25.wire import CommandAck, Heartbeat, ReadingBatch, Sample, Status

__all__ = ["IngestWorker", "subscriptions"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Inbound:
    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: float


def subscriptions(group: str) -> list[str]:
    """The shared-subscription filters of a hub replica group, one per device-to-cloud kind."""
    return [topics.shared(group, topics.all_devices(kind)) for kind in DEVICE_KINDS]


class IngestWorker:
    """Start with :meth:`start`, stop with :meth:`stop`; metrics in ``metrics.registry``."""

    def __init__(
        self,
        mqtt_settings: MqttSettings,
        settings: IngestSettings,
        store: SeriesStore,
        directory: DeviceDirectory,
        *,
        metrics: IngestMetrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._mqtt_settings = mqtt_settings
        self._settings = settings
        self._store = store
        self._directory = directory
        self.metrics = metrics or IngestMetrics()
        self._clock = clock
        self._queue: queue.Queue[_Inbound] = queue.Queue(maxsize=settings.receive_maximum)
        self.metrics.queue_depth.set_function(self._queue.qsize)
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = make_client(mqtt_settings, settings.client_id, manual_ack=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe

    @property
    def connected(self) -> bool:
        """Whether the worker holds a subscribed broker connection (for ``/ready``)."""
        return self._connected.is_set()

    def start(self, wait_s: float = 10.0) -> None:
        """Connect, subscribe and start processing; raise ``TimeoutError`` if not subscribed."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self._settings.session_expiry_s
        props.ReceiveMaximum = self._settings.receive_maximum
        self._client.reconnect_delay_set(1, 30)
        self._client.connect_async(
            self._mqtt_settings.host,
            self._mqtt_settings.port,
            self._mqtt_settings.keepalive_s,
            clean_start=False,
            properties=props,
        )
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hub-ingest", daemon=True)
        self._thread.start()
        self._client.loop_start()
        if not self._connected.wait(wait_s):
            raise TimeoutError(
                f"ingest could not subscribe at {self._mqtt_settings.host}:"
                f"{self._mqtt_settings.port} within {wait_s} s"
            )

    def stop(self, timeout_s: float = 10.0) -> None:
        """Finish the batch in hand, then disconnect; unacked messages stay with the broker."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()

    # paho callbacks (network thread) -------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, rc: Any, _p: object) -> None:
        if rc.is_failure:
            log.error("ingest: broker refused connection: %s", rc)
            return
        options = SubscribeOptions(qos=1)
        client.subscribe([(f, options) for f in subscriptions(self._settings.group)])

    def _on_subscribe(self, _c: object, _u: object, _mid: int, codes: Any, _p: object) -> None:
        # Ready only once the broker has acknowledged the subscriptions: a message published
        # between our SUBSCRIBE and its SUBACK would otherwise not reach a fresh session.
        refused = [str(c) for c in codes if c.is_failure]
        if refused:
            log.error("ingest: broker refused subscriptions: %s", ", ".join(refused))
            return
        self._connected.set()
        log.info("ingest: connected and subscribed as %s", self._settings.client_id)

    def _on_disconnect(self, _c: object, _u: object, _f: object, rc: Any, _p: object) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            log.warning("ingest: disconnected from broker (%s); reconnecting", rc)

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        # Never blocks in practice: the queue holds receive_maximum, the broker's in-flight bound.
        self._queue.put(_Inbound(msg.topic, bytes(msg.payload), msg.mid, msg.qos, self._clock()))

    # processing thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._take()
            if batch:
                self._process_until_done(batch)

    def _take(self) -> list[_Inbound]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self._settings.batch_linger_s
        while len(batch) < self._settings.batch_max_messages:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    batch.append(self._queue.get(timeout=left))
                except queue.Empty:
                    break
        return batch

    def _process_until_done(self, batch: list[_Inbound]) -> None:
        """The outer loop of the stage: retry the whole batch with backoff until it is handled."""
        decisions = [parse(m.topic, m.payload) for m in batch]
        delay = self._settings.retry_backoff_s
        while True:
            try:
                self._handle(batch, decisions)
            except Exception as e:  # the stage's outer loop: log, back off, carry on
                self.metrics.write_failures.inc()
                level = logging.WARNING if isinstance(e, StoreUnavailable) else logging.ERROR
                log.log(level, "ingest: batch of %d not stored, retry in %.1f s: %s",
                        len(batch), delay, e, exc_info=level == logging.ERROR)  # fmt: skip
                if self._stop.wait(delay):
                    return  # unacked: the broker redelivers to our session later
                delay = min(delay * 2, self._settings.retry_backoff_max_s)
            else:
                for m in batch:
                    self._client.ack(m.mid, m.qos)
                return

    def _handle(self, batch: list[_Inbound], decisions: list[Accepted | Rejected]) -> None:
        access: dict[str, DeviceAccess] = {}
        final: list[Accepted | Rejected] = []
        for d in decisions:
            if isinstance(d, Accepted):
                if d.device_id not in access:
                    access[d.device_id] = self._directory.authorize(d.device_id)
                final.append(admit(d, access[d.device_id]) or d)
            else:
                final.append(d)
        stored = StoredBatch()
        for m, d in zip(batch, final, strict=True):
            if isinstance(d, Accepted) and isinstance(d.message, ReadingBatch):
                part = to_stored(d.message, access[d.device_id].zone, int(m.received_at))
                stored.readings += part.readings
                stored.gaps += part.gaps
                stored.aggregates += part.aggregates
        started = time.perf_counter()
        new = self._store.write(stored.readings, stored.gaps, stored.aggregates)
        self.metrics.write_latency.observe(time.perf_counter() - started)
        for m, d in zip(batch, final, strict=True):
            self._record(m, d)
        self._count(final, stored, new)

    def _record(self, m: _Inbound, d: Accepted | Rejected) -> None:
        at = datetime.fromtimestamp(m.received_at, tz=UTC)
        if isinstance(d, Rejected):
            self._directory.quarantine(quarantine_record(m.topic, m.payload, d, at))
            return
        msg = d.message
        if d.dropped:
            note = Rejected(QuarantineReason.MALFORMED, d.dropped, d.device_id)
            self._directory.quarantine(quarantine_record(m.topic, m.payload, note, at))
        if isinstance(msg, Heartbeat):
            self._directory.record_heartbeat(d.device_id, msg, at)
        elif isinstance(msg, Status):
            self._directory.record_status(d.device_id, msg, at)
        elif isinstance(msg, CommandAck):
            self._directory.record_ack(d.device_id, msg, at)
        elif isinstance(msg, Sample):
            self._directory.record_sample(d.device_id, msg, at)

    def _count(self, final: list[Accepted | Rejected], stored: StoredBatch, new: int) -> None:
        # Counted after the whole batch succeeded, so a retried batch is counted once.
        for d in final:
            if isinstance(d, Rejected):
                self.metrics.quarantined.labels(d.reason.value).inc()
                self.metrics.messages.labels("any", "quarantined").inc()
            else:
                self.metrics.messages.labels(d.kind.value, "accepted").inc()
                if d.dropped:
                    self.metrics.quarantined.labels(QuarantineReason.MALFORMED.value).inc()
        now = self._clock()
        for r in stored.readings:
            self.metrics.lag.observe(max(0.0, now - r.captured_at))
        self.metrics.readings.labels("stored").inc(new)
        self.metrics.readings.labels("duplicate").inc(len(stored.readings) - new)
