"""OutboxSync with a recording publisher in place of the link: window, acks, resend, extras."""

from __future__ import annotations

from pathlib import Path

from edge_agent.config_sections import UplinkConfig
from edge_agent.outbox import Outbox
from edge_agent.sync import OutboxSync
from pm25.wire import ReadingBatch, decode
from tests.edge_agent.outbox_helpers import reading


class Recorder:
    def __init__(self) -> None:
        self.sent: list[ReadingBatch] = []
        self.online = True

    def __call__(self, topic: str, payload: bytes) -> int | None:
        if not self.online:
            return None
        self.sent.append(decode(ReadingBatch, payload))
        return len(self.sent)


def _sync(tmp_path: Path, **cfg: int) -> tuple[Outbox, OutboxSync, Recorder]:
    box = Outbox(tmp_path / "outbox.db")
    rec = Recorder()
    config = UplinkConfig(
        max_count=cfg.get("max_count", 5),
        max_age_s=1e9,
        window=cfg.get("window", 2),
        backlog_batch=cfg.get("backlog", 4),
    )
    return box, OutboxSync("cam-1", box, config, rec, clock=lambda: 1_750_000_000.0), rec


def test_backlog_goes_out_oldest_first_within_the_window(tmp_path: Path) -> None:
    box, sync, rec = _sync(tmp_path)
    box.append_many([reading(i) for i in range(10)])
    sync.on_connected()
    assert sync.pump() == 2 and sync.in_flight == 2
    assert [b.s0 for b in rec.sent] == [0, 4]
    sync.on_acked(1, ok=True)
    assert [r.seq for r in box.unsent()] == list(range(4, 10))
    sync.pump(flush=True)
    assert [b.s0 for b in rec.sent] == [0, 4, 8]


def test_live_readings_wait_for_a_full_batch(tmp_path: Path) -> None:
    box, sync, rec = _sync(tmp_path, window=10)
    sync.on_connected()
    box.append_many([reading(i) for i in range(4)])
    assert sync.pump(flush=False) == 0
    box.append(reading(4))
    assert sync.pump() == 1 and len(rec.sent[0].pm) == 5


def test_refused_publish_keeps_readings_and_reconnect_resends(tmp_path: Path) -> None:
    box, sync, rec = _sync(tmp_path)
    box.append_many([reading(i) for i in range(3)])
    sync.on_connected()
    sync.pump()
    sync.on_acked(1, ok=False)
    sync.on_disconnected()
    assert box.stats().depth == 3
    sync.on_connected()
    sync.pump()
    assert [b.s0 for b in rec.sent] == [0, 0]
    sync.on_acked(2, ok=True)
    assert box.stats().depth == 0


def test_nothing_is_published_while_offline(tmp_path: Path) -> None:
    box, sync, rec = _sync(tmp_path)
    box.append_many([reading(i) for i in range(3)])
    assert sync.pump(flush=True) == 0
    sync.on_connected()
    rec.online = False
    assert sync.pump(flush=True) == 0 and box.stats().depth == 3


def test_gaps_travel_in_their_own_batch_and_are_acked(tmp_path: Path) -> None:
    box, sync, rec = _sync(tmp_path)
    box.add_gap("camera_unavailable", t_range=(10, 20))
    sync.on_connected()
    sync.pump()
    assert [g.reason for g in rec.sent[0].gaps] == ["camera_unavailable"]
    sync.on_acked(1, ok=True)
    assert not box.extras()
