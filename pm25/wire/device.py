"""Device health messages: :class:`Heartbeat`, the retained :class:`Status`, and :class:`Sample`."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, field_validator, model_validator

from pm25.drift_bins import HAZE_SIGNALS, check_counts
from pm25.wire.common import Code, Message, MessageId, ShortText, UtcTime, WireModel

__all__ = [
    "Heartbeat",
    "Latency",
    "Note",
    "Roi",
    "Sample",
    "ShadowAgreement",
    "Status",
    "UpdateProgress",
]

AgentVersion = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.+_-]{1,32}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Count = Annotated[int, Field(ge=0)]
Millis = Annotated[float, Field(ge=0, le=3_600_000)]
HazeSignal = Literal[
    "transmission_mean", "edge_density", "contrast_top_bottom_ratio", "airlight_blue_red"
]  # pm25.drift_bins.HAZE_SIGNALS (a test keeps the two equal)


class Note(WireModel):
    """A current problem or condition of the device, e.g. ``camera_unavailable``."""

    code: Code = Field(description="Machine-readable code, snake_case.")
    msg: ShortText = Field(default="", description="Human-readable detail.")


class Latency(WireModel):
    """Inference latency percentiles over the last heartbeat interval."""

    p50: Millis = Field(description="Median inference latency, milliseconds.")
    p95: Millis = Field(description="95th percentile inference latency, milliseconds.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.p50 > self.p95:
            raise ValueError("p50 must not exceed p95")
        return self


class ShadowAgreement(WireModel):
    """How well a candidate model agreed with the active one on the same frames (shadow run)."""

    n: Count = Field(description="Frames compared.")
    mad: float = Field(ge=0, le=2000, description="Mean absolute difference new - old, µg/m³.")
    bias: float = Field(ge=-2000, le=2000, description="Mean difference new - old, µg/m³.")
    r: float | None = Field(
        default=None, ge=-1, le=1, description="Pearson correlation; absent if undefined."
    )
    within: float = Field(ge=0, le=1, description="Fraction of frames within the tolerance.")


class UpdateProgress(WireModel):
    """Where the device's model updater stands, for the hub's rollout gates."""

    state: Code = Field(description="Updater phase or outcome, e.g. downloading, active, failed.")
    version: int | None = Field(default=None, ge=1, description="Release being installed.")
    rollout: MessageId | None = Field(default=None, description="Rollout that asked for it.")
    reason: ShortText | None = Field(default=None, description="Why it failed, if it did.")
    shadow: ShadowAgreement | None = Field(default=None, description="Shadow-run agreement.")


class Heartbeat(Message):
    """The ``heartbeat`` message: periodic device health. Keys are short but readable."""

    t: UtcTime = Field(description="When the heartbeat was made, unix seconds UTC.")
    agent: AgentVersion = Field(description="Edge agent version.")
    uptime_s: Count = Field(description="Seconds since the agent started.")
    cpu_temp_c: float | None = Field(
        default=None, ge=-60, le=150, description="CPU temperature, °C; absent if unknown."
    )
    disk_free_b: Count = Field(description="Free bytes on the data volume.")
    outbox: Count = Field(description="Readings waiting in the outbox (not yet acknowledged).")
    outbox_age_s: Count | None = Field(
        default=None, description="Age of the oldest unsent reading, seconds; absent if none."
    )
    mv: int = Field(ge=0, description="Version of the active model.")
    model: Label = Field(description="Label of the active model, e.g. 'haze-cnn-int8'.")
    backend: Code = Field(description="Inference backend in use, e.g. onnxruntime_cpu.")
    backend_why: ShortText = Field(default="", description="Why the backend was chosen (auto).")
    accepted: Count = Field(description="Frames accepted by the quality gate since start.")
    rejected: dict[Code, Count] = Field(
        default_factory=dict,
        max_length=64,
        description="Frames rejected since start, by reason code.",
    )
    lat_ms: Latency | None = Field(default=None, description="Inference latency percentiles.")
    errors: tuple[Note, ...] = Field(
        default=(), max_length=32, description="Current problems; absent when all is well."
    )
    update: UpdateProgress | None = Field(
        default=None, description="Model update progress; absent when no update is under way."
    )
    haze: dict[HazeSignal, list[Count]] | None = Field(
        default=None,
        max_length=len(HAZE_SIGNALS),
        description="Haze features of the frames accepted since the last heartbeat, binned per "
        "signal over pm25.drift_bins' edges (for the hub's drift watch): 12 counts (below the "
        "training range, its 10 deciles, above it), or 10 (deciles only) from older agents; "
        "absent when none.",
    )

    @field_validator("haze")
    @classmethod
    def _haze_bins(cls, v: dict[str, list[int]] | None) -> dict[str, list[int]] | None:
        for signal, counts in (v or {}).items():
            problem = check_counts(signal, counts)
            if problem is not None:
                raise ValueError(problem)
        return v


class Status(Message):
    """The retained ``status`` message: whether the device is connected.

    The ``offline`` status is registered as the MQTT last will at connect, so it is built then and
    its ``t`` is the connect time, not the time the broker noticed the device was gone.
    """

    state: Literal["online", "offline"] = Field(description="online or offline.")
    t: UtcTime = Field(description="When this status was made, unix seconds UTC.")
    agent: AgentVersion = Field(description="Edge agent version.")

    @classmethod
    def online(cls, agent: str, at: datetime) -> Status:
        """The status published right after connecting."""
        return cls(state="online", t=at, agent=agent)

    @classmethod
    def offline(cls, agent: str, at: datetime) -> Status:
        """The status for the last will (and for a clean disconnect)."""
        return cls(state="offline", t=at, agent=agent)


class Roi(WireModel):
    """A rectangle in full-frame pixel coordinates."""

    x: int = Field(ge=0, le=16384, description="Left edge, pixels.")
    y: int = Field(ge=0, le=16384, description="Top edge, pixels.")
    w: int = Field(ge=1, le=16384, description="Width, pixels.")
    h: int = Field(ge=1, le=16384, description="Height, pixels.")


class Sample(Message):
    """The ``sample`` message: a region-of-interest crop asked for by a capture_sample command."""

    id: MessageId = Field(description="Id of the capture_sample command this answers.")
    captured_at: UtcTime = Field(description="When the frame was captured, unix seconds UTC.")
    jpeg: str = Field(description="The crop as a JPEG file, standard base64 with padding.")
    width: int = Field(ge=1, le=4096, description="Width of the JPEG, pixels.")
    height: int = Field(ge=1, le=4096, description="Height of the JPEG, pixels.")
    roi: Roi = Field(description="Where the crop lies in the full frame.")

    @field_validator("jpeg")
    @classmethod
    def _is_jpeg(cls, value: str) -> str:
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as e:
            raise ValueError(f"not valid base64: {e}") from e
        if not data.startswith(b"\xff\xd8\xff"):
            raise ValueError("not a JPEG (missing the FF D8 FF start marker)")
        return value

    @classmethod
    def from_jpeg(
        cls, id: str, captured_at: datetime, jpeg: bytes, *, width: int, height: int, roi: Roi
    ) -> Sample:
        """Build a sample from raw JPEG bytes (encodes them as base64)."""
        encoded = base64.b64encode(jpeg).decode("ascii")
        return cls(
            id=id, captured_at=captured_at, jpeg=encoded, width=width, height=height, roi=roi
        )

    def jpeg_bytes(self) -> bytes:
        """The JPEG file."""
        return base64.b64decode(self.jpeg)
