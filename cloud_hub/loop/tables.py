"""The closed loop's registry tables (created by migration 0004, on the registry's metadata;
drift results by kind and the fleet's drift: 0006)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud_hub.registry.models import Base


class SampleRequest(Base):
    """Why the loop asked a device for a sample (the capture_sample command id)."""

    __tablename__ = "loop_requests"
    command_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[float] = mapped_column(Float)


class LoopSample(Base):
    """A field sample kept for training: file, provenance and its reference label."""

    __tablename__ = "loop_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(Integer, unique=True)  # device_samples.id
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    command_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    captured_at: Mapped[float] = mapped_column(Float, index=True)
    received_at: Mapped[float] = mapped_column(Float)
    # stored (file kept), refused (bigger than the ROI: no file kept).
    state: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    roi: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    calibration_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)  # readings ± context_s
    # pending, joined, no_monitor, no_reading (labels.JoinStatus).
    label_status: Mapped[str] = mapped_column(String(16), index=True)
    monitor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    distance_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    ref_t: Mapped[float | None] = mapped_column(Float, nullable=True)
    ref_pm25: Mapped[float | None] = mapped_column(Float, nullable=True)
    ref_rh: Mapped[float | None] = mapped_column(Float, nullable=True)


class DeviceCalibration(Base):
    """One fitted linear correction y = slope·x + intercept; versions count up per device."""

    __tablename__ = "device_calibrations"
    __table_args__ = (UniqueConstraint("device_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    slope: Mapped[float] = mapped_column(Float)
    intercept: Mapped[float] = mapped_column(Float)
    pairs: Mapped[int] = mapped_column(Integer)
    mae_before: Mapped[float] = mapped_column(Float)
    mae_after: Mapped[float] = mapped_column(Float)
    monitor_id: Mapped[str] = mapped_column(String(64))
    fitted_at: Mapped[float] = mapped_column(Float)
    command_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class DriftReference(Base):
    """A reference histogram of one signal for one model version (stored at release time)."""

    __tablename__ = "drift_references"
    model_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    signal: Mapped[str] = mapped_column(String(32), primary_key=True)
    counts: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[float] = mapped_column(Float)


class DriftResult(Base):
    """The latest drift statistic of one signal on one device, per kind of check:
    ``change`` (PSI vs the device's own baseline window), ``training`` (PSI vs the model's
    training reference: information, never drifted), ``outside`` (share of frames outside the
    training data's support), ``error`` (vs a co-located monitor)."""

    __tablename__ = "drift_results"
    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    signal: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True, default="change")
    statistic: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[str] = mapped_column(String(32))  # "model:<v>", "device" or "reference"
    drifted: Mapped[bool] = mapped_column(default=False)
    at: Mapped[float] = mapped_column(Float)


class FleetDrift(Base):
    """The latest PSI of one signal over all devices running a model version (their summed
    histograms) against that version's training reference."""

    __tablename__ = "drift_fleet"
    model_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    signal: Mapped[str] = mapped_column(String(32), primary_key=True)
    statistic: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    devices: Mapped[int] = mapped_column(Integer)
    drifted: Mapped[bool] = mapped_column(default=False)
    at: Mapped[float] = mapped_column(Float)
