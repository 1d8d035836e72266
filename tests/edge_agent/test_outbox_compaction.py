"""The byte cap: compaction into aggregates, gap records, nothing silently lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.outbox import Outbox, StoredReading
from edge_agent.outbox.compaction import compaction_share, plan_aggregates
from tests.edge_agent.outbox_helpers import reading


def _row(seq: int, t: int, pm: float, mv: int = 1) -> StoredReading:
    return StoredReading(seq, t, pm, 1.0, 1, 0, mv)


def test_plan_groups_by_interval_and_model() -> None:
    rows = [_row(0, 0, 10), _row(1, 30, 20), _row(2, 60, 30), _row(3, 70, 5, mv=2)]
    plans = plan_aggregates(rows, 60)
    assert [(p.seqs, p.t_from, p.t_to, p.mean, p.min, p.max) for p in plans] == [
        ((0, 1), 0, 30, 15.0, 10.0, 20.0),
        ((2,), 60, 60, 30.0, 30.0, 30.0),
        ((3,), 70, 70, 5.0, 5.0, 5.0),
    ]


def test_plan_mean_stays_between_rounded_min_and_max() -> None:
    plan = plan_aggregates([_row(0, 0, 0.04), _row(1, 1, 0.04), _row(2, 2, 0.06)], 60)[0]
    assert plan.min <= plan.mean <= plan.max


def test_plan_refuses_zero_interval() -> None:
    with pytest.raises(ValueError, match="interval_s"):
        plan_aggregates([_row(0, 0, 1)], 0)


@pytest.mark.parametrize(("depth", "share"), [(0, 0), (5, 5), (100, 25), (1000, 250)])
def test_compaction_share(depth: int, share: int) -> None:
    assert compaction_share(depth) == share


def test_cap_compacts_and_accounts_for_every_seq(tmp_path: Path) -> None:
    cap = 96 * 1024
    box = Outbox(tmp_path / "outbox.db", max_bytes=cap, compaction_interval_s=600)
    produced: list[int] = []
    for start in range(0, 6000, 200):
        produced += box.append_many([reading(i) for i in range(start, start + 200)])
        assert box.stats().used_bytes <= cap
    raw = {r.seq for r in box.unsent(limit=100_000)}
    extras = box.extras(limit=100_000)
    assert extras.aggregates, "a full outbox should have compacted into aggregates"
    covered = {
        s
        for g in extras.gaps
        if g.seq_from is not None and g.seq_to is not None
        for s in range(g.seq_from, g.seq_to + 1)
    }
    assert set(produced) <= raw | covered, "a seq was neither kept nor covered by a gap"
    agg_seqs = {a.seq for a in extras.aggregates}
    assert not agg_seqs & set(produced), "an aggregate reused a reading's seq"
    total = sum(a.n for a in extras.aggregates)
    assert total + len(raw) == len(produced)
