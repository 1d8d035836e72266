"""Heartbeat, status, commands, acks and samples: round trips and the rules each one enforces."""

import json
from datetime import timedelta

import pytest

from pm25.errors import WireError
from pm25.wire import (
    CaptureSampleCommand,
    CommandAck,
    ConfigCommand,
    Heartbeat,
    PingCommand,
    Sample,
    Status,
    UpdateNoticeCommand,
    decode,
    encode,
)
from tests.pm25.wire_examples import JPEG, T, messages

KIND = {"readings": "readings", "heartbeat": "heartbeat", "status": "status", "ack": "ack"}


@pytest.mark.parametrize("name", sorted(messages()))
def test_every_example_round_trips_by_kind(name):
    msg = messages()[name]
    if name == "alert":  # not a device topic kind: decoded by its model class
        again = decode(type(msg), encode(msg))
    else:
        kind = "cmd" if name.startswith("command") else KIND.get(name, name)
        again = decode(kind, encode(msg))
    assert again == msg and type(again) is type(msg)


@pytest.mark.parametrize("name", sorted(messages()))
def test_encoding_is_compact_and_versioned(name):
    raw = encode(messages()[name])
    obj = json.loads(raw)
    assert raw == json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    assert b":null" not in raw and b":[]" not in raw and b":{}" not in raw
    assert obj["v"] == 1


def test_commands_decode_to_their_class_by_type():
    expected = {
        "ping": PingCommand,
        "config": ConfigCommand,
        "capture_sample": CaptureSampleCommand,
        "update_notice": UpdateNoticeCommand,
    }
    for name, msg in messages().items():
        if name.startswith("command."):
            assert type(decode("cmd", encode(msg))) is expected[name.split(".")[1]]


def test_command_without_type_or_with_unknown_type_is_refused():
    with pytest.raises(WireError, match="type"):
        decode("cmd", b'{"v":1,"id":"x","issued_at":1}')
    with pytest.raises(WireError, match="reboot"):
        decode("cmd", b'{"v":1,"type":"reboot","id":"x","issued_at":1}')


def test_update_window_must_be_ordered_and_repository_a_url():
    base = messages()["command.update_notice"].model_dump()
    with pytest.raises(ValueError, match="not_before"):
        UpdateNoticeCommand(**{**base, "not_after": T - timedelta(1)})
    with pytest.raises(ValueError, match="URL"):
        UpdateNoticeCommand(**{**base, "repository": "file:///etc/passwd"})


def test_refusal_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        CommandAck(id="c1", ok=False, t=T)
    assert CommandAck(id="c1", ok=False, reason="busy", t=T).reason == "busy"


def test_offline_will_is_a_valid_retained_status():
    will = encode(Status.offline("0.1.0", T))
    assert decode("status", will).state == "offline"
    assert json.loads(will) == {
        "v": 1,
        "state": "offline",
        "t": int(T.timestamp()),
        "agent": "0.1.0",
    }


def test_heartbeat_omits_what_is_unknown():
    hb = messages()["heartbeat"].model_copy(
        update={"cpu_temp_c": None, "lat_ms": None, "errors": (), "rejected": {}}
    )
    wire = json.loads(encode(hb))
    assert not {"cpu_temp_c", "lat_ms", "errors", "rejected"} & set(wire)
    assert decode(Heartbeat, encode(hb)) == hb


def test_sample_carries_the_jpeg_and_refuses_other_data():
    sample = messages()["sample"]
    assert isinstance(sample, Sample)
    assert decode("sample", encode(sample)).jpeg_bytes() == JPEG
    with pytest.raises(ValueError, match="JPEG"):
        Sample.from_jpeg("c3", T, b"\x89PNG....", width=1, height=1, roi=sample.roi)
    with pytest.raises(WireError, match="jpeg"):
        decode("sample", encode(sample).replace(b'"jpeg":"', b'"jpeg":"!'))


def test_sample_may_exceed_the_general_cap_but_not_its_own():
    sample = messages()["sample"]
    assert isinstance(sample, Sample)
    big = Sample.from_jpeg("c3", T, JPEG + b"\0" * 400_000, width=1, height=1, roi=sample.roi)
    assert decode("sample", encode(big)) == big
    huge = Sample.from_jpeg("c3", T, JPEG + b"\0" * 900_000, width=1, height=1, roi=sample.roi)
    with pytest.raises(WireError, match="limit"):
        encode(huge)
