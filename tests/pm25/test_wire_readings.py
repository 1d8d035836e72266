"""Readings: the columnar batch round-trips, compacts what it can, and refuses broken columns."""

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pm25.aqi import AqiCategory
from pm25.errors import WireError
from pm25.wire import Gap, QualityFlag, Reading, ReadingBatch, decode, encode
from tests.pm25.wire_examples import T, batch, readings

BASE = {"v": 1, "d": "cam-1", "mv": 1, "s0": 5, "t0": 1_700_000_000}


def _decode(obj: dict[str, object]) -> ReadingBatch:
    return decode(ReadingBatch, json.dumps(obj).encode())


def test_contiguous_batch_omits_seq_offsets_and_zero_flags():
    rows = [r.model_copy(update={"flags": QualityFlag.NONE}) for r in readings(4)]
    wire = json.loads(encode(ReadingBatch.from_readings("cam-1", 4, rows)))
    assert "ds" not in wire and "fl" not in wire and "agg" not in wire and "gaps" not in wire
    assert wire["s0"] == 100 and wire["dt"] == [0, 10, 20, 30]
    assert wire["t0"] == int(T.timestamp())


def test_non_contiguous_batch_carries_seq_offsets():
    rows = readings(3)
    rows[2] = rows[2].model_copy(update={"seq": 150})
    b = ReadingBatch.from_readings("cam-1", 4, rows)
    assert b.ds == (0, 1, 50)
    assert [r.seq for r in b.readings()] == [100, 101, 150]


def test_batch_round_trips_through_the_wire_with_aggregates_and_gaps():
    original = batch()
    again = decode("readings", encode(original))
    assert again == original
    assert again.readings() == sorted(readings(), key=lambda r: r.seq)
    assert again.gaps[0].reason == "outbox_full"


def test_from_readings_sorts_by_seq_and_takes_earliest_time_as_t0():
    rows = readings(3)
    late_first = [rows[2], rows[0], rows[1].model_copy(update={"captured_at": T - timedelta(5)})]
    b = ReadingBatch.from_readings("cam-1", 4, late_first)
    assert b.t0 == T - timedelta(5)
    assert [r.seq for r in b.readings()] == [100, 101, 102]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"device_id": "cam-2"}, "cam-2"),
        ({"model_version": 5}, "model swap"),
        ({"seq": 100}, "duplicate"),
    ],
)
def test_from_readings_refuses_mixed_batches(change, message):
    rows = readings(2)
    rows[1] = rows[1].model_copy(update=change)
    with pytest.raises(WireError, match=message):
        ReadingBatch.from_readings("cam-1", 4, rows)


def test_readings_round_to_wire_precision():
    r = Reading(
        device_id="a",
        seq=1,
        captured_at=datetime(2025, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC),
        pm25=12.349,
        pm25_sd=0.04,
        aqi=1,
        model_version=0,
    )
    assert (r.pm25, r.pm25_sd, r.captured_at.microsecond) == (12.3, 0.0, 0)


def test_aware_non_utc_times_are_converted_and_naive_refused():
    plus2 = datetime(2025, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    fields = {"device_id": "a", "seq": 1, "pm25": 1, "pm25_sd": 1, "aqi": 0, "model_version": 0}
    assert Reading(captured_at=plus2, **fields).captured_at == datetime(2025, 1, 1, 12, tzinfo=UTC)
    with pytest.raises(ValidationError, match="naive"):
        Reading(captured_at=datetime(2025, 1, 1), **fields)


def _columns(n: int, **over: object) -> dict[str, object]:
    cols = {"dt": [0] * n, "pm": [1.0] * n, "sd": [0.5] * n, "aqi": [0] * n}
    return {**BASE, **cols, **over}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (_columns(2, sd=[0.5]), "sd"),
        (_columns(2, fl=[0]), "fl"),
        (_columns(2, ds=[0, 0]), "ds"),
        (_columns(1, pm=[2000.1]), "pm[0]"),
        (_columns(1, pm=[-0.1]), "pm[0]"),
        (_columns(1, sd=[-1]), "sd[0]"),
        (_columns(1, aqi=[6]), "aqi[0]"),
        (_columns(1, dt=[-1]), "dt[0]"),
        (_columns(1, fl=[65536]), "fl[0]"),
        (_columns(1, pm=["1"]), "pm[0]"),
        (_columns(1, aqi=[True]), "aqi[0]"),
        (_columns(1001), "dt"),
        (_columns(0), "at least one"),
        (_columns(1, extra=1), "extra"),
        ({**_columns(1), "t0": 1.5}, "t0"),
        ({**_columns(1), "d": "Cam/1"}, "d"),
    ],
)
def test_invalid_batches_name_the_field(payload, field):
    with pytest.raises(WireError, match=field.replace("[", r"\[").replace("]", r"\]")):
        _decode(payload)


def test_batch_of_only_a_gap_is_valid():
    b = ReadingBatch.from_readings(
        "cam-1", 1, [], gaps=[Gap(t_from=T, t_to=T + timedelta(1), reason="camera_unavailable")]
    )
    assert decode("readings", encode(b)).readings() == []
    assert b.t0 == T


@pytest.mark.parametrize(
    "gap",
    [{"reason": "x"}, {"seq_from": 1, "reason": "x"}, {"seq_from": 2, "seq_to": 1, "reason": "x"}],
)
def test_invalid_gaps_are_refused(gap):
    with pytest.raises(WireError, match="gaps"):
        _decode({**BASE, "gaps": [gap]})


def test_unknown_flag_bits_are_kept_for_forward_compatibility():
    b = _decode(_columns(1, fl=[1 << 12 | 1]))
    flags = b.readings()[0].flags
    assert QualityFlag.CALIBRATED in flags and int(flags) == 1 << 12 | 1


_reading: st.SearchStrategy[dict[str, Any]] = st.builds(
    dict,
    gap=st.integers(1, 1000),
    dt=st.integers(0, 3600),
    pm25=st.floats(0, 2000, allow_nan=False),
    sd=st.floats(0, 2000, allow_nan=False),
    aqi=st.sampled_from(list(AqiCategory)),
    flags=st.integers(0, 0xFFFF),
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(_reading, min_size=1, max_size=60), seq0=st.integers(0, 2**40))
def test_any_valid_readings_round_trip(rows, seq0):
    seq, out = seq0, []
    for row in rows:
        out.append(
            Reading(
                device_id="dev_1",
                seq=seq,
                captured_at=T + timedelta(seconds=row["dt"]),
                pm25=row["pm25"],
                pm25_sd=row["sd"],
                aqi=row["aqi"],
                flags=QualityFlag(row["flags"]),
                model_version=9,
            )
        )
        seq += row["gap"]
    wire = encode(ReadingBatch.from_readings("dev_1", 9, out))
    assert decode("readings", wire).readings() == out
