"""Pure ingest decisions: every input ends accepted or rejected with the right reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud_hub.ingest.directory import DeviceAccess, QuarantineReason
from cloud_hub.ingest.validate import Accepted, Rejected, admit, parse, quarantine_record, to_stored
from pm25 import topics
from pm25.wire import (
    MAX_PAYLOAD_BYTES,
    Aggregate,
    Gap,
    Heartbeat,
    ReadingBatch,
    Status,
    encode,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def batch(device: str = "cam-1", n: int = 3) -> ReadingBatch:
    return ReadingBatch(
        d=device, mv=2, s0=100, t0=T0, dt=tuple(range(0, 10 * n, 10)),
        pm=(12.5,) * n, sd=(1.0,) * n, aqi=(1,) * n, fl=(0, 2, 0)[:n] if n == 3 else (),
        gaps=(Gap(seq_from=90, seq_to=99, reason="outbox_full"),),
        agg=(Aggregate(seq=50, t_from=T0, t_to=T0, n=4, mean=5.0, min=1.0, max=9.0),),
    )  # fmt: skip


def test_valid_batch_is_accepted() -> None:
    got = parse(topics.readings("cam-1"), encode(batch()))
    assert isinstance(got, Accepted)
    assert got.device_id == "cam-1" and got.kind == topics.Kind.READINGS


def test_heartbeat_and_status_accepted() -> None:
    status = Status.online("1.0", T0)
    assert isinstance(parse(topics.status("cam-1"), encode(status)), Accepted)
    hb = Heartbeat(
        t=T0, agent="1.0", uptime_s=5, disk_free_b=1, outbox=0, mv=1, model="m",
        backend="onnxruntime_cpu", accepted=3,
    )  # fmt: skip
    assert isinstance(parse(topics.heartbeat("cam-1"), encode(hb)), Accepted)


def _hb(**haze: object) -> bytes:
    hb = Heartbeat(
        t=T0, agent="1.0", uptime_s=5, disk_free_b=1, outbox=0, mv=1, model="m",
        backend="onnxruntime_cpu", accepted=3,
    )  # fmt: skip
    return json.dumps(json.loads(encode(hb)) | {"haze": haze}).encode()


def test_heartbeat_haze_histograms() -> None:
    good = parse(topics.heartbeat("cam-1"), _hb(edge_density=[0, 1, 2, 3, 0, 0, 0, 0, 0, 4]))
    assert isinstance(good, Accepted) and not good.dropped
    assert isinstance(good.message, Heartbeat)
    assert good.message.haze == {"edge_density": [0, 1, 2, 3, 0, 0, 0, 0, 0, 4]}


@pytest.mark.parametrize(
    ("haze", "why"),
    [
        ({"edge_density": [1, 2]}, "signal 'edge_density': 2 counts, need 12"),
        ({"dark_mean": [1] * 10}, "field 'haze.dark_mean.[key]'"),
        ({"edge_density": [-1] + [0] * 9}, "field 'haze.edge_density[0]'"),
        ({"edge_density": "many"}, "field 'haze.edge_density': Input should be a valid array"),
    ],
)
def test_a_malformed_haze_section_is_left_out_and_the_rest_kept(
    haze: dict[str, object], why: str
) -> None:
    got = parse(topics.heartbeat("cam-1"), _hb(**haze))
    assert isinstance(got, Accepted) and isinstance(got.message, Heartbeat)
    assert got.message.haze is None and got.message.accepted == 3
    assert got.dropped.startswith("haze section left out, rest stored: heartbeat: ")
    assert why in got.dropped


def test_a_heartbeat_bad_elsewhere_is_still_refused() -> None:
    obj = json.loads(_hb(edge_density=[1, 2])) | {"outbox": -1}
    got = parse(topics.heartbeat("cam-1"), json.dumps(obj).encode())
    assert isinstance(got, Rejected) and got.reason is QuarantineReason.MALFORMED
    deep = b'{"v":1,"haze":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    got = parse(topics.heartbeat("cam-1"), deep)
    assert isinstance(got, Rejected) and "nested" in got.detail


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("pm25/v1/cam-1/bogus", b"{}", QuarantineReason.TOPIC_INVALID),
        ("pm25/v1/CAM/readings", b"{}", QuarantineReason.TOPIC_INVALID),
        ("other/cam-1/readings", b"{}", QuarantineReason.TOPIC_INVALID),
        ("pm25/v1/cam-1/cmd", b"{}", QuarantineReason.TOPIC_INVALID),
        ("pm25/v1/cam-1/readings", b"\xff\xfe", QuarantineReason.MALFORMED),
        ("pm25/v1/cam-1/readings", b"not json", QuarantineReason.MALFORMED),
        ("pm25/v1/cam-1/readings", b"[]", QuarantineReason.MALFORMED),
        ("pm25/v1/cam-1/readings", b'{"d": "cam-1"}', QuarantineReason.MALFORMED),
        (
            "pm25/v1/cam-1/readings",
            b'{"v": 2, "d": "cam-1"}',
            QuarantineReason.WRONG_SCHEMA_VERSION,
        ),
        ("pm25/v1/cam-1/readings", b'{"v": "1"}', QuarantineReason.WRONG_SCHEMA_VERSION),
        ("pm25/v1/cam-1/readings", b" " * (MAX_PAYLOAD_BYTES + 1), QuarantineReason.OVERSIZED),
    ],
)
def test_refusals(topic: str, payload: bytes, reason: QuarantineReason) -> None:
    got = parse(topic, payload)
    assert isinstance(got, Rejected)
    assert got.reason == reason and got.detail


def test_payload_device_differing_from_topic_is_spoofed() -> None:
    got = parse(topics.readings("cam-1"), encode(batch("cam-2")))
    assert isinstance(got, Rejected) and got.reason == QuarantineReason.SPOOFED
    assert got.device_id == "cam-1" and "cam-2" in got.detail


def test_registry_decides_admission() -> None:
    ok = parse(topics.readings("cam-1"), encode(batch()))
    assert isinstance(ok, Accepted)
    assert admit(ok, DeviceAccess(registered=True)) is None
    unknown = admit(ok, DeviceAccess(registered=False))
    revoked = admit(ok, DeviceAccess(registered=True, revoked=True))
    assert unknown is not None and unknown.reason == QuarantineReason.UNKNOWN_DEVICE
    assert revoked is not None and revoked.reason == QuarantineReason.REVOKED_DEVICE


def test_to_stored_expands_columns_like_the_wire_model() -> None:
    b = batch()
    out = to_stored(b, "north", received_at=123)
    expected = b.readings()
    assert [(r.seq, r.captured_at, r.pm25, r.flags) for r in out.readings] == [
        (e.seq, int(e.captured_at.timestamp()), e.pm25, int(e.flags)) for e in expected
    ]
    assert {r.zone for r in out.readings} == {"north"}
    assert out.gaps[0].seq_from == 90 and out.gaps[0].t_from is None
    assert out.aggregates[0].n == 4 and out.aggregates[0].t_from == int(T0.timestamp())


def test_quarantine_record_truncates_payload() -> None:
    payload = b"x" * 5000
    rec = quarantine_record(
        "pm25/v1/a/readings", payload, Rejected(QuarantineReason.MALFORMED, "bad", "a"), T0
    )
    assert len(rec.payload_excerpt) == 1024 and rec.payload_size == 5000
    assert rec.device_id == "a" and rec.reason == QuarantineReason.MALFORMED


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_end_accepted_or_rejected(payload: bytes) -> None:
    got = parse(topics.readings("cam-1"), payload)
    assert isinstance(got, Accepted | Rejected)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_valid_payloads_never_raise(data: st.DataObject) -> None:
    obj = json.loads(encode(batch()))
    key = data.draw(st.sampled_from(sorted(obj)))
    obj[key] = data.draw(
        st.one_of(
            st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3)
        )
    )
    got = parse(topics.readings("cam-1"), json.dumps(obj).encode())
    assert isinstance(got, Accepted | Rejected)
