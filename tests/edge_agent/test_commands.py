"""Command handling: each command acked once, bad ones refused with a reason, never a crash."""

from __future__ import annotations

import json
from typing import Any

import cv2
import numpy as np
import pytest

from edge_agent.commands import CommandHandler, SampleFrame
from pm25 import topics
from pm25.wire import CommandAck, Roi, Sample, decode

DEVICE = "cam-1"


class FakeConfig:
    def __init__(self) -> None:
        self.patches: list[dict[str, Any]] = []

    def apply_patch(self, patch: dict[str, Any]) -> str | None:
        if "bad" in patch:
            return "field 'bad': not a config field"
        self.patches.append(patch)
        return None


def _frame() -> SampleFrame:
    image = np.zeros((480, 640, 3), np.uint8)
    image[100:300, 200:600] = 200
    return SampleFrame(image, 1_750_000_000.0, Roi(x=200, y=100, w=400, h=200))


def _handler(frame: SampleFrame | None = None) -> tuple[CommandHandler, FakeConfig]:
    cfg = FakeConfig()
    return CommandHandler(DEVICE, cfg, lambda: frame, clock=lambda: 1_750_000_100.0), cfg


def _cmd(**fields: object) -> bytes:
    return json.dumps({"v": 1, "issued_at": 1_750_000_000, **fields}).encode()


def _acks(out: list[tuple[str, bytes]]) -> list[CommandAck]:
    return [decode(CommandAck, p) for t, p in out if t == topics.ack(DEVICE)]


def test_ping_is_acked() -> None:
    handler, _ = _handler()
    [ack] = _acks(handler.handle(topics.cmd(DEVICE), _cmd(id="c1", type="ping")))
    assert (ack.id, ack.ok) == ("c1", True)


def test_good_config_patch_is_applied_and_bad_one_refused() -> None:
    handler, cfg = _handler()
    ok = _acks(
        handler.handle("t", _cmd(id="c2", type="config", patch={"uplink": {"max_count": 10}}))
    )
    bad = _acks(handler.handle("t", _cmd(id="c3", type="config", patch={"bad": 1})))
    assert ok[0].ok and cfg.patches == [{"uplink": {"max_count": 10}}]
    assert not bad[0].ok and bad[0].reason is not None and "bad" in bad[0].reason


def test_capture_sample_sends_only_the_roi_downscaled() -> None:
    handler, _ = _handler(_frame())
    out = handler.handle("t", _cmd(id="c4", type="capture_sample", max_side=100))
    [sample] = [decode(Sample, p) for t, p in out if t == topics.sample(DEVICE)]
    assert (sample.width, sample.height) == (100, 50)
    img = cv2.imdecode(np.frombuffer(sample.jpeg_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape == (50, 100, 3)
    assert img.mean() > 150  # the bright ROI, not the dark frame
    assert _acks(out)[0].ok


def test_capture_sample_without_a_frame_is_refused() -> None:
    handler, _ = _handler(None)
    [ack] = _acks(handler.handle("t", _cmd(id="c5", type="capture_sample")))
    assert not ack.ok and ack.reason == "no frame captured yet"


def test_update_notice_is_accepted_for_later() -> None:
    handler, _ = _handler()
    payload = _cmd(
        id="c6",
        type="update_notice",
        release=7,
        target="m.onnx",
        repository="https://hub.example.org/u",
        rollout_id="r1",
    )
    [ack] = _acks(handler.handle("t", payload))
    assert ack.ok and ack.result["accepted"] is True


def test_duplicate_delivery_gets_the_same_ack_and_runs_once() -> None:
    handler, cfg = _handler()
    payload = _cmd(id="c7", type="config", patch={"uplink": {"max_count": 5}})
    first, second = handler.handle("t", payload), handler.handle("t", payload)
    assert first == second and len(cfg.patches) == 1


@pytest.mark.parametrize(
    "payload",
    [_cmd(id="c8", type="reboot"), _cmd(id="c8", type="ping", extra=1), _cmd(id="c8")],
)
def test_invalid_command_with_readable_id_is_refused(payload: bytes) -> None:
    handler, _ = _handler()
    [ack] = _acks(handler.handle("t", payload))
    assert (ack.id, ack.ok) == ("c8", False) and ack.reason


@pytest.mark.parametrize(
    "payload", [b"", b"\xff\xfe", b"[1,2]", b'{"id": 5}', b'{"id": "has space"}', b"{" * 5000]
)
def test_unreadable_command_is_counted_not_acked(payload: bytes) -> None:
    handler, _ = _handler()
    assert handler.handle("t", payload) == []
    assert handler.malformed == 1
