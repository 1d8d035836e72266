"""The codec: any bytes in, a message or a WireError out. Never any other exception."""

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pm25.errors import WireError
from pm25.topics import Kind
from pm25.wire import MAX_PAYLOAD_BYTES, AlertNotice, ReadingBatch, decode, encode
from tests.pm25.wire_examples import messages

GOOD = {name: encode(msg) for name, msg in messages().items()}
KIND_OF: dict[str, Kind | type[AlertNotice]] = {
    name: Kind.CMD if name.startswith("command") else Kind(name) for name in GOOD if name != "alert"
}
KIND_OF["alert"] = AlertNotice  # not a device topic kind: decoded by its model class


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{", "not valid JSON"),
        (b"[1]", "JSON object"),
        (b'"x"', "JSON object"),
        (b'{"d":"cam-1"}', "missing field 'v'"),
        (b'{"v":2}', "unsupported schema version 2"),
        (b'{"v":"1"}', "unsupported schema version"),
        (b'{"v":true}', "unsupported schema version"),
        (b'{"v":1,"pm":[NaN]}', "NaN"),
        (b'{"v":1,"pm":[Infinity]}', "Infinity"),
        (b'{"v":1,"x":' + b"[" * 50 + b"]" * 50 + b"}", "nested deeper"),
        (b'{"v":1,"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
        (b'{"v":1,"d":"cam-1","mv":1,"s0":0,"t0":' + b"9" * 5000 + b"}", "JSON"),
        (b'{"v":1,"d":"cam-1","mv":1,"s0":0}', "field 't0'"),
        (b'{"v":1,"d":"cam-1","mv":"1","s0":0,"t0":0,"gaps":[]}', "field 'mv'"),
    ],
)
def test_bad_payloads_raise_wire_error_with_a_reason(payload, message):
    with pytest.raises(WireError, match=message):
        decode("readings", payload)


def test_oversized_payload_is_refused_before_parsing():
    with pytest.raises(WireError, match="limit"):
        decode("readings", b" " * (MAX_PAYLOAD_BYTES + 1))


def test_unknown_kind_and_non_bytes_payloads_are_wire_errors():
    with pytest.raises(WireError, match="kind"):
        decode("telemetry", GOOD["status"])
    with pytest.raises(WireError, match="bytes"):
        decode("status", "{}")  # type: ignore[call-overload]


def test_decode_accepts_a_model_class():
    assert isinstance(decode(ReadingBatch, GOOD["readings"]), ReadingBatch)


def _decode_any(kind: Kind | type[AlertNotice], payload: bytes) -> None:
    with contextlib.suppress(WireError):
        decode(kind, payload)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(list(Kind)), payload=st.binary(max_size=300))
def test_random_bytes_only_ever_raise_wire_error(kind, payload):
    _decode_any(kind, payload)


def _json_values() -> st.SearchStrategy[object]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=8,
    )


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(GOOD)), data=st.data())
def test_mutated_valid_payloads_only_ever_raise_wire_error(name, data):
    obj = json.loads(GOOD[name])
    key = data.draw(st.sampled_from([*sorted(obj), "zz"]))
    action = data.draw(st.sampled_from(["replace", "delete"]))
    if action == "delete":
        obj.pop(key, None)
    else:
        obj[key] = data.draw(_json_values())
    _decode_any(KIND_OF[name], json.dumps(obj).encode())


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(GOOD)), data=st.data())
def test_byte_flipped_valid_payloads_only_ever_raise_wire_error(name, data):
    raw = bytearray(GOOD[name])
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    _decode_any(KIND_OF[name], bytes(raw))
