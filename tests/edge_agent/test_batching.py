"""The pure batching policy: due rule, stream alternation, wire form of a batch."""

from __future__ import annotations

import itertools

import pytest

from edge_agent.batching import (
    BatchPolicy,
    StreamScheduler,
    extras_batch,
    readings_batch,
    same_model_prefix,
)
from edge_agent.outbox import Extras, StoredAggregate, StoredGap, StoredReading
from pm25.wire import ReadingBatch, decode, encode

POLICY = BatchPolicy(max_count=3, max_age_s=60)


def _row(seq: int, t: int = 1000, mv: int = 1, flags: int = 0) -> StoredReading:
    return StoredReading(seq, t, 10.0 + seq, 2.0, 1, flags, mv)


@pytest.mark.parametrize(
    ("count", "oldest", "now", "due"),
    [
        (0, None, 10_000, False),
        (1, 1000, 1059, False),
        (1, 1000, 1060, True),
        (2, 1000, 1000, False),
        (3, 1000, 1000, True),
        (50, 1000, 900, True),  # clock went back: count still decides
    ],
)
def test_due(count: int, oldest: int | None, now: float, due: bool) -> None:
    assert POLICY.due(count, oldest, now) is due


def test_scheduler_alternates_backlog_and_live_and_puts_extras_first() -> None:
    s = StreamScheduler()
    picks = [s.choose(extras=False, backlog=True, live_due=True) for _ in range(4)]
    assert picks == ["backlog", "live", "backlog", "live"]
    assert s.choose(extras=True, backlog=True, live_due=True) == "extras"
    assert s.choose(extras=False, backlog=False, live_due=False) is None


@pytest.mark.parametrize(
    ("extras", "backlog", "live_due"), list(itertools.product([False, True], repeat=3))
)
def test_scheduler_never_idles_with_work(extras: bool, backlog: bool, live_due: bool) -> None:
    pick = StreamScheduler().choose(extras=extras, backlog=backlog, live_due=live_due)
    assert (pick is None) == (not (extras or backlog or live_due))


def test_live_is_never_starved_by_a_long_backlog() -> None:
    s = StreamScheduler()
    picks = [s.choose(extras=False, backlog=True, live_due=i % 3 == 0) for i in range(30)]
    live_turns = [i for i, p in enumerate(picks) if p == "live"]
    assert live_turns and all(b - a <= 3 for a, b in itertools.pairwise(live_turns))


def test_same_model_prefix_splits_at_a_model_swap() -> None:
    rows = [_row(0), _row(1), _row(2, mv=2), _row(3)]
    assert [r.seq for r in same_model_prefix(rows)] == [0, 1]
    assert same_model_prefix([]) == []


def test_readings_batch_round_trips_through_the_wire() -> None:
    rows = [_row(5, t=1010, flags=1), _row(6, t=1000), _row(9, t=1030)]
    batch = decode(ReadingBatch, encode(readings_batch("cam-1", rows)))
    assert [(r.seq, int(r.captured_at.timestamp()), r.pm25) for r in batch.readings()] == [
        (5, 1010, 15.0),
        (6, 1000, 16.0),
        (9, 1030, 19.0),
    ]
    assert batch.ds == (0, 1, 4)
    contiguous = readings_batch("cam-1", [_row(1), _row(2)])
    assert contiguous.ds == () and contiguous.fl == ()


def test_extras_batch_carries_aggregates_and_gaps() -> None:
    extras = Extras(
        aggregates=(StoredAggregate(40, 1000, 1500, 30, 12.0, 3.0, 20.0),),
        gaps=(
            StoredGap(1, "compacted", 0, 29, 1000, 1500),
            StoredGap(2, "outbox_corrupt", None, None, 2000, 2000),
        ),
    )
    batch = decode(ReadingBatch, encode(extras_batch("cam-1", 3, extras)))
    assert (batch.s0, batch.mv, len(batch.pm)) == (40, 3, 0)
    assert [a.n for a in batch.agg] == [30]
    assert [(g.reason, g.seq_from) for g in batch.gaps] == [
        ("compacted", 0),
        ("outbox_corrupt", None),
    ]
