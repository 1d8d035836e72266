"""Moves readings from the outbox to the link: batches, in-flight window, acks back to the outbox.

A reading leaves the outbox only when the broker acknowledged the message carrying it (QoS 1
PUBACK, ``on_acked(mid)``). On every (re)connect the readings still in the outbox are the backlog,
published again oldest first; the in-flight map starts empty, because the link uses a fresh client
per connection and whatever was in flight before is simply sent again (duplicates are harmless:
the cloud dedupes by device and seq).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from edge_agent.batching import (
    BatchPolicy,
    StreamScheduler,
    extras_batch,
    readings_batch,
    same_model_prefix,
)
from edge_agent.config_sections import UplinkConfig
from edge_agent.outbox import Extras, Outbox, StoredReading
from pm25 import topics
from pm25.wire import encode

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], int | None]


@dataclass(frozen=True, slots=True)
class InFlight:
    seqs: tuple[int, ...] = ()
    aggregates: tuple[int, ...] = ()
    gaps: tuple[int, ...] = ()


class OutboxSync:
    """The uplink's bookkeeping; called from the thread that owns the link."""

    def __init__(
        self,
        device_id: str,
        outbox: Outbox,
        config: UplinkConfig,
        publish: Publish,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.device_id = device_id
        self.outbox = outbox
        self.config = config
        self.policy = BatchPolicy(config.max_count, config.max_age_s)
        self._publish = publish
        self._clock = clock
        self._scheduler = StreamScheduler()
        self._inflight: dict[int, InFlight] = {}
        self._connected = False
        self._cursor = self._live_floor = self._live_cursor = -1
        self._seen = (-2, 0.0)  # (newest seq, time) at the last pump: skip pumps with no news
        self.acked_readings = 0

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    def on_connected(self) -> None:
        self._inflight.clear()
        self._connected = True
        self._cursor = -1
        self._live_floor = self._live_cursor = self.outbox.newest_seq()
        self._seen = (-2, 0.0)

    def on_disconnected(self) -> None:
        self._inflight.clear()
        self._connected = False

    def on_acked(self, mid: int, ok: bool) -> None:
        done = self._inflight.pop(mid, None)
        if done is None:
            return
        if ok:
            self.outbox.ack(done.seqs, done.aggregates, done.gaps)
            self.acked_readings += len(done.seqs)
        self._seen = (-2, 0.0)

    def pump(self, *, flush: bool = False) -> int:
        """Publish what is due, up to the in-flight window; return how many batches went out."""
        if not self._connected:
            return 0
        now = self._clock()
        newest = self.outbox.newest_seq()
        if not flush and self._seen[0] == newest and now - self._seen[1] < 1.0:
            return 0
        self._seen = (newest, now)
        sent = 0
        while len(self._inflight) < self.config.window and self._publish_next(now, flush):
            sent += 1
        return sent

    def _publish_next(self, now: float, flush: bool) -> bool:
        extras_busy = any(f.aggregates or f.gaps for f in self._inflight.values())
        extras = Extras() if extras_busy else self.outbox.extras(limit=500)
        backlog = same_model_prefix(
            self.outbox.unsent(self._cursor, self.config.backlog_batch, self._live_floor)
        )
        live_after = max(self._live_cursor, self._live_floor)
        live = same_model_prefix(self.outbox.unsent(live_after, self.config.max_count))
        oldest = live[0].t if live else None
        live_due = self.policy.due(len(live), oldest, now) or (flush and bool(live))
        choice = self._scheduler.choose(
            extras=bool(extras), backlog=bool(backlog), live_due=live_due
        )
        if choice == "extras":
            mv = backlog[0].model_version if backlog else 0
            payload = encode(extras_batch(self.device_id, mv, extras))
            flight = InFlight(
                aggregates=tuple(a.seq for a in extras.aggregates),
                gaps=tuple(g.id for g in extras.gaps),
            )
            return self._send(payload, flight)
        if choice == "backlog":
            if not self._send_rows(backlog):
                return False
            self._cursor = backlog[-1].seq
            return True
        if choice == "live":
            if not self._send_rows(live):
                return False
            self._live_cursor = live[-1].seq
            return True
        return False

    def _send_rows(self, rows: list[StoredReading]) -> bool:
        payload = encode(readings_batch(self.device_id, rows))
        return self._send(payload, InFlight(seqs=tuple(r.seq for r in rows)))

    def _send(self, payload: bytes, flight: InFlight) -> bool:
        mid = self._publish(topics.readings(self.device_id), payload)
        if mid is None:
            return False
        self._inflight[mid] = flight
        return True
