"""Cloud-to-device commands: decode, carry out, acknowledge. Never raises on a bad payload.

Every command gets exactly one ack on the ``ack`` topic (a duplicate delivery gets the same ack
again, from a small cache of recent ids). A payload that cannot be decoded is acked with
``ok: false`` when its id can be read, else logged and counted (``malformed`` in the heartbeat).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from pm25 import topics
from pm25.errors import WireError
from pm25.topics import Kind
from pm25.wire import (
    CaptureSampleCommand,
    CommandAck,
    ConfigCommand,
    PingCommand,
    Roi,
    Sample,
    UpdateNoticeCommand,
    decode,
    encode,
)

log = logging.getLogger(__name__)

Outgoing = tuple[str, bytes]
_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_RECENT = 256


@dataclass(frozen=True, slots=True)
class SampleFrame:
    """The latest frame, for capture_sample: BGR image, capture time, region of interest."""

    image: npt.NDArray[np.uint8]
    captured_at: float
    roi: Roi


class ConfigApplier(Protocol):
    """Validates, persists and applies a config merge patch; returns a refusal reason or None."""

    def apply_patch(self, patch: dict[str, Any]) -> str | None: ...


class UpdateNotices(Protocol):
    """Takes an update notice or a retained desired update (the updater runs in the background);
    a refusal reason or None."""

    def notice(self, cmd: UpdateNoticeCommand) -> str | None: ...
    def desired_payload(self, payload: bytes) -> str | None: ...


class CommandHandler:
    """Turns one ``cmd`` payload into the messages to publish (ack, and a sample if asked)."""

    def __init__(
        self,
        device_id: str,
        config: ConfigApplier,
        latest_frame: Callable[[], SampleFrame | None],
        *,
        clock: Callable[[], float] = time.time,
        updates: UpdateNotices | None = None,
    ) -> None:
        self.device_id = device_id
        self._updates = updates
        self._config = config
        self._latest_frame = latest_frame
        self._clock = clock
        self._recent: OrderedDict[str, bytes] = OrderedDict()
        self.malformed = 0
        self.handled = 0

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        if topic == topics.desired(self.device_id):  # retained state, not a command: no ack
            self._desired(payload)
            return []
        try:
            cmd = decode(Kind.CMD, payload)
        except WireError as e:
            return self._malformed(payload, str(e))
        if cmd.id in self._recent:
            return [(topics.ack(self.device_id), self._recent[cmd.id])]
        out: list[Outgoing] = []
        try:
            ack = self._run(cmd, out)
        except Exception as e:  # one bad command must not take the uplink down
            log.exception("command %s (%s) failed", cmd.id, cmd.type)
            ack = self._ack(cmd.id, reason=f"failed: {type(e).__name__}: {e}"[:200])
        data = encode(ack)
        self._remember(cmd.id, data)
        self.handled += 1
        return [(topics.ack(self.device_id), data), *out]

    def _run(self, cmd: object, out: list[Outgoing]) -> CommandAck:
        if isinstance(cmd, PingCommand):
            return self._ack(cmd.id, result={"pong": True})
        if isinstance(cmd, ConfigCommand):
            reason = self._config.apply_patch(dict(cmd.patch))
            return self._ack(cmd.id, reason=reason, result={} if reason else {"applied": True})
        if isinstance(cmd, CaptureSampleCommand):
            frame = self._latest_frame()
            if frame is None:
                return self._ack(cmd.id, reason="no frame captured yet")
            sample = make_sample(cmd.id, frame, cmd.max_side)
            out.append((topics.sample(self.device_id), encode(sample)))
            return self._ack(cmd.id, result={"width": sample.width, "height": sample.height})
        if isinstance(cmd, UpdateNoticeCommand) and self._updates is not None:
            reason = self._updates.notice(cmd)
            return self._ack(cmd.id, reason=reason, result={} if reason else {"accepted": True})
        if isinstance(cmd, UpdateNoticeCommand):
            return self._ack(
                cmd.id,
                result={"accepted": True, "note": "recorded; fetching is done by the OTA updater"},
            )
        raise WireError(f"unhandled command {cmd!r}")

    def _desired(self, payload: bytes) -> None:
        if self._updates is None:
            log.info("desired update ignored: model updates are not enabled")
            return
        why = self._updates.desired_payload(payload)
        if why is not None:
            log.info("desired update not taken: %s", why)

    def _ack(
        self, cmd_id: str, *, reason: str | None = None, result: dict[str, Any] | None = None
    ) -> CommandAck:
        return CommandAck(
            id=cmd_id,
            ok=reason is None,
            reason=reason,
            result=result or {},
            t=datetime.fromtimestamp(int(self._clock()), tz=UTC),
        )

    def _malformed(self, payload: bytes, why: str) -> list[Outgoing]:
        cmd_id = _recover_id(payload)
        if cmd_id is None:
            self.malformed += 1
            log.warning("dropped a malformed command without a readable id: %s", why)
            return []
        log.warning("refused malformed command %s: %s", cmd_id, why)
        data = encode(self._ack(cmd_id, reason=f"invalid command: {why}"[:200]))
        return [(topics.ack(self.device_id), data)]

    def _remember(self, cmd_id: str, ack: bytes) -> None:
        self._recent[cmd_id] = ack
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)


def _recover_id(payload: bytes) -> str | None:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    cmd_id = data.get("id") if isinstance(data, dict) else None
    return cmd_id if isinstance(cmd_id, str) and _ID_RE.fullmatch(cmd_id) else None


def make_sample(cmd_id: str, frame: SampleFrame, max_side: int) -> Sample:
    """Only the region of interest, downscaled so its longest side is at most ``max_side``."""
    roi = frame.roi
    crop = frame.image[roi.y : roi.y + roi.h, roi.x : roi.x + roi.w]
    h, w = crop.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise WireError("JPEG encoding failed")
    return Sample.from_jpeg(
        cmd_id,
        datetime.fromtimestamp(int(frame.captured_at), tz=UTC),
        jpeg.tobytes(),
        width=crop.shape[1],
        height=crop.shape[0],
        roi=roi,
    )
