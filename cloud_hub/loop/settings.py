"""Settings of the closed loop (``loop:`` in the hub config); validated once at start."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoiLimit(_Section):
    """The region of interest configured on one device: a sample may not show more."""

    x: int = Field(ge=0, description="Left edge, pixels.")
    y: int = Field(ge=0, description="Top edge, pixels.")
    w: int = Field(ge=1, description="Width, pixels.")
    h: int = Field(ge=1, description="Height, pixels.")


class S3Settings(_Section):
    """An S3-compatible object store for sample files (AWS S3, MinIO, Ceph RGW, ...)."""

    endpoint_url: str | None = Field(
        default=None, description="Endpoint, e.g. http://minio:9000; none: AWS S3 of the region."
    )
    bucket: str = Field(
        default="",
        pattern=r"^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Bucket of the sample files (required when samples.store is s3).",
    )
    region: str = Field(default="us-east-1", description="Region the bucket is in.")
    prefix: str = Field(
        default="samples",
        pattern=r"^$|^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$",
        description="Key prefix of every object (no leading or trailing slash).",
    )
    access_key_id: SecretStr | None = Field(
        default=None, description="Access key id; none: boto3's chain (AWS_* env, IAM role)."
    )
    secret_access_key: SecretStr | None = Field(
        default=None, description="Secret access key; none: boto3's credential chain."
    )
    path_style: bool = Field(
        default=False, description="Path-style addressing (endpoint/bucket/key): MinIO, Ceph."
    )
    create_bucket: bool = Field(
        default=False, description="Create the bucket at first use if it is missing."
    )
    timeout_s: float = Field(
        default=10.0, gt=0, description="Connect and read timeout of one request, s."
    )
    max_attempts: int = Field(
        default=3, ge=1, le=10, description="Tries of one request before the store is down."
    )


class SampleSettings(_Section):
    every_s: float = Field(
        default=6 * 3600, gt=0, description="Scheduled sample per device at most this often."
    )
    event_min_gap_s: float = Field(
        default=1800, gt=0, description="Event-triggered samples at most this often per device."
    )
    budget_bytes_month: int = Field(
        default=50_000_000, ge=0, description="Sample bytes a device may send per 30 days."
    )
    expected_bytes: int = Field(
        default=60_000, ge=1, description="Bytes one sample is assumed to cost before it arrives."
    )
    max_side: int = Field(default=512, ge=32, le=4096, description="Longest side of a sample.")
    disagreement_ratio: float = Field(
        default=0.5, gt=0, description="Event: |device - reference| / reference above this."
    )
    disagreement_min_ugm3: float = Field(
        default=10.0, ge=0, description="... and the absolute difference above this, µg/m³."
    )
    borderline_reject_ratio: float = Field(
        default=0.2, gt=0, lt=1, description="Event: quality gate rejects this share of frames."
    )
    borderline_flagged_ratio: float = Field(
        default=0.3, gt=0, lt=1, description="Event: this share of recent readings is flagged."
    )
    roi: dict[str, RoiLimit] = Field(
        default_factory=dict, description="Configured ROI per device id (checked on arrival)."
    )
    max_pixels: int = Field(
        default=1024 * 1024, ge=1, description="Largest ROI area for devices without one above."
    )
    store: Literal["local", "s3"] = Field(
        default="local", description="Where sample files go: local folder or S3-compatible."
    )
    store_dir: Path | None = Field(
        default=None, description="Folder of sample files; default: samples/ under data_dir."
    )
    s3: S3Settings = Field(default_factory=S3Settings, description="S3 store (store: s3).")
    context_s: int = Field(
        default=600, ge=0, le=86400, description="Readings kept as provenance: ± this many s."
    )

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> SampleSettings:
        if self.store == "s3" and not self.s3.bucket:
            raise ValueError("samples.store is s3 but samples.s3.bucket is empty")
        if (self.s3.access_key_id is None) != (self.s3.secret_access_key is None):
            raise ValueError("samples.s3: set both access_key_id and secret_access_key, or none")
        return self


class LabelSettings(_Section):
    max_km: float = Field(default=2.0, gt=0, description="Monitor at most this far, km.")
    tolerance_s: float = Field(
        default=900, gt=0, description="Reference reading at most this far in time, s."
    )


class CalibrationSettings(_Section):
    every_s: float = Field(default=86400, gt=0, description="Refit a device at most this often.")
    window_days: float = Field(default=30, gt=0, description="Paired readings from this window.")
    min_pairs: int = Field(default=24, ge=3, description="Fewer pairs: no fit.")
    slope_min: float = Field(default=0.2, gt=0, description="Refuse fits with a smaller slope.")
    slope_max: float = Field(default=5.0, gt=0, description="Refuse fits with a larger slope.")
    intercept_max: float = Field(default=50.0, ge=0, description="Refuse |intercept| above this.")
    push: bool = Field(default=True, description="Send each new calibration to the device.")


class DriftSettings(_Section):
    every_s: float = Field(default=3600, gt=0, description="Evaluate a device at most this often.")
    window_s: int = Field(default=7 * 86400, ge=3600, description="Recent window compared, s.")
    baseline_s: int = Field(
        default=28 * 86400, ge=3600, description="Device baseline window before it, s."
    )
    min_n: int = Field(default=200, ge=10, description="Readings needed in each distribution.")
    psi_alert: float = Field(
        default=0.25,
        gt=0,
        description="PSI vs the device's own baseline at or above this is drift.",
    )
    outside_alert: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="Share of a device's frames outside the training data's support (per haze "
        "feature) at or above this is drift.",
    )
    support_min_share: float = Field(
        default=0.01,
        gt=0,
        lt=0.1,
        description="A bin holding less than this share of the training frames is outside the "
        "training support (the baseline's: its two tail bins, 0.5 % each).",
    )
    fleet_psi_alert: float = Field(
        default=0.25, gt=0, description="PSI of the fleet vs the training data at or above this."
    )
    fleet_min_devices: int = Field(
        default=50,
        ge=1,
        description="Devices on a model version needed before its fleet is compared with the "
        "training data (fewer cameras see too few scenes to be comparable).",
    )
    mae_alert: float = Field(
        default=25.0, gt=0, description="Error vs a co-located reference above this is drift."
    )


class LoopSettings(_Section):
    enabled: bool = Field(default=False, description="Run the periodic closed-loop job.")
    interval_s: float = Field(default=300.0, gt=0, description="Seconds between rounds.")
    samples: SampleSettings = Field(default_factory=SampleSettings, description="Samples.")
    labels: LabelSettings = Field(default_factory=LabelSettings, description="Reference join.")
    calibration: CalibrationSettings = Field(
        default_factory=CalibrationSettings, description="Per-device calibration."
    )
    drift: DriftSettings = Field(default_factory=DriftSettings, description="Drift watch.")
