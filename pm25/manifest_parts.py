"""The parts of a model manifest: artifacts, inputs, outputs, runtime, metrics, golden tests.

Split from `pm25.manifest` (which re-exports all of this) to keep each file short. Golden
tensors are base64 of zlib-compressed little-endian float32 (`encode_f32`): exact and
self-contained, yet a 3×96×160 tensor of 8-bit-derived values takes tens of kB, not 245 kB.
"""

from __future__ import annotations

import base64
import math
import zlib
from enum import StrEnum
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pm25.errors import ManifestError

Role = Literal["fp32", "int8"]
MAX_TENSOR_BYTES: Final = 16 * 1024 * 1024
_Z90: Final = 1.2815515655446004  # standard normal 90th percentile: q90 − q10 = 2·z90·sd


class Frozen(BaseModel):
    """Base of every manifest model: closed, immutable, no NaN or infinity."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Artifact(Frozen):
    """One model file of the release."""

    role: Role = Field(description="Which variant: full-precision or INT8-quantised.")
    filename: str = Field(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
        description="Plain file name next to the manifest; no path separators, no '..'.",
    )
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="Lower-case hex SHA-256 of the file."
    )
    length: int = Field(gt=0, description="Exact file size in bytes; checked before hashing.")
    format: Literal["onnx"] = Field("onnx", description="File format.")

    @field_validator("filename")
    @classmethod
    def _no_dotdot(cls, v: str) -> str:
        if ".." in v:
            raise ValueError(f"filename must not contain '..': {v!r}")
        return v


class ImageInput(Frozen):
    """The image tensor: (1, channels, height, width) float32, NCHW."""

    name: str = Field("image", min_length=1, description="ONNX input name.")
    height: int = Field(gt=0, description="Tensor height; equals preprocessing.height.")
    width: int = Field(gt=0, description="Tensor width; equals preprocessing.width.")
    channels: Literal[3] = Field(3, description="RGB channels.")
    layout: Literal["NCHW"] = Field("NCHW", description="Memory layout.")
    dtype: Literal["float32"] = Field("float32", description="Element type.")


class FeaturesInput(Frozen):
    """The handcrafted feature vector input, (1, length) float32."""

    name: str = Field("features", min_length=1, description="ONNX input name.")
    names: tuple[str, ...] = Field(min_length=1, description="Feature names, in vector order.")

    @property
    def length(self) -> int:
        """Number of features."""
        return len(self.names)


class HumidityInput(Frozen):
    """Relative humidity input, (1, 1) float32 in 0..1 (hygroscopic growth changes extinction)."""

    name: str = Field("humidity", min_length=1, description="ONNX input name.")


class InputSpec(Frozen):
    """All model inputs."""

    image: ImageInput = Field(description="The preprocessed camera image.")
    features: FeaturesInput | None = Field(None, description="Haze feature vector, if used.")
    humidity: HumidityInput | None = Field(None, description="Relative humidity, if used.")


class OutputKind(StrEnum):
    """How the raw output vector becomes (pm25, sd), both µg/m³."""

    MEAN_LOGVAR = "mean_logvar"  # [mean, log variance] → sd = exp(logvar / 2)
    MEAN_SD = "mean_sd"  # [mean, sd]
    QUANTILES = "quantiles"  # values at quantile_levels → median, (q90 − q10) / (2·z0.9)


class OutputSpec(Frozen):
    """The output tensor and its interpretation."""

    name: str = Field("pm25", min_length=1, description="ONNX output name, shape (1, K).")
    kind: OutputKind = Field(description="How to turn the K raw values into pm25 and sd.")
    units: Literal["ug/m3"] = Field("ug/m3", description="Units of pm25 and sd.")
    quantile_levels: tuple[float, ...] | None = Field(
        None, description="For QUANTILES: increasing levels, including 0.1, 0.5 and 0.9."
    )

    @model_validator(mode="after")
    def _levels_match_kind(self) -> OutputSpec:
        levels = self.quantile_levels
        if self.kind is OutputKind.QUANTILES:
            if not levels or not {0.1, 0.5, 0.9} <= set(levels) or list(levels) != sorted(levels):
                raise ValueError("QUANTILES needs increasing quantile_levels with 0.1, 0.5, 0.9")
        elif levels is not None:
            raise ValueError(f"quantile_levels only apply to {OutputKind.QUANTILES.value}")
        return self

    @property
    def size(self) -> int:
        """Number of raw output values K."""
        return len(self.quantile_levels) if self.quantile_levels else 2

    def to_estimate(self, raw: npt.ArrayLike) -> tuple[float, float]:
        """(pm25, sd) from the raw output; pm25 is clamped at 0 (a concentration)."""
        v = np.asarray(raw, dtype=np.float64).ravel()
        if v.size != self.size or not np.all(np.isfinite(v)):
            raise ManifestError(f"output {self.name!r}: expected {self.size} finite values")
        if self.kind is OutputKind.MEAN_LOGVAR:
            mean, sd = v[0], math.exp(0.5 * float(np.clip(v[1], -40.0, 40.0)))
        elif self.kind is OutputKind.MEAN_SD:
            mean, sd = v[0], abs(v[1])
        else:
            at = dict(zip(self.quantile_levels or (), v.tolist(), strict=True))
            mean, sd = at[0.5], max(at[0.9] - at[0.1], 0.0) / (2 * _Z90)
        return max(float(mean), 0.0), float(sd)


class RuntimeRequirements(Frozen):
    """What the device runtime must provide."""

    min_opset: int = Field(ge=7, description="Minimum ONNX opset the runtime must support.")
    onnxruntime_min: str = Field(pattern=r"^\d+\.\d+(\.\d+)?$", description="e.g. '1.17'.")
    openvino_min: str | None = Field(
        None, pattern=r"^\d+\.\d+(\.\d+)?$", description="If OpenVINO is supported, its minimum."
    )


class TrainingMetrics(Frozen):
    """Evaluation figures on the held-out set."""

    overall: dict[str, float] = Field(default_factory=dict, description="e.g. mae, rmse, r2.")
    by_band: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Per PM band (e.g. '0-9') metric name → value."
    )


class GoldenTest(Frozen):
    """A fixed input and the output every artifact must reproduce within tolerance."""

    name: str = Field(min_length=1, description="What this golden exercises.")
    image: str = Field(description="encode_f32 of the (1, 3, H, W) preprocessed tensor.")
    features: str | None = Field(None, description="encode_f32 of the (F,) feature vector.")
    humidity: float | None = Field(None, ge=0.0, le=1.0, description="Relative humidity 0..1.")
    expected_pm25: float = Field(ge=0.0, description="Expected pm25 after OutputKind, µg/m³.")
    tolerance: dict[Role, float] = Field(
        description="Allowed |pm25 − expected| per artifact role, µg/m³ (INT8 needs more)."
    )

    @field_validator("image", "features")
    @classmethod
    def _decodable(cls, v: str | None) -> str | None:
        if v is not None:
            decode_f32(v)
        return v

    @field_validator("tolerance")
    @classmethod
    def _positive(cls, v: dict[Role, float]) -> dict[Role, float]:
        if any(t <= 0.0 for t in v.values()):
            raise ValueError(f"tolerances must be positive, got {v}")
        return v

    def image_array(self, spec: ImageInput) -> npt.NDArray[np.float32]:
        """The image tensor shaped by the input spec."""
        return decode_f32(self.image).reshape(1, spec.channels, spec.height, spec.width)

    def features_array(self) -> npt.NDArray[np.float32] | None:
        """The feature vector, if any."""
        return None if self.features is None else decode_f32(self.features)


def encode_f32(array: npt.ArrayLike) -> str:
    """Base64 text of zlib-compressed little-endian float32 values (shape is the spec's job)."""
    raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def decode_f32(text: str) -> npt.NDArray[np.float32]:
    """Inverse of `encode_f32`; ValueError on anything that is not such an encoding."""
    try:
        inflater = zlib.decompressobj()
        # Bounded: a few bytes of a hostile manifest must not inflate to gigabytes.
        raw = inflater.decompress(base64.b64decode(text, validate=True), MAX_TENSOR_BYTES + 1)
    except (ValueError, zlib.error) as e:
        raise ValueError(f"not base64 zlib float32 data: {e}") from e
    if len(raw) > MAX_TENSOR_BYTES or not inflater.eof:
        raise ValueError(f"float32 data is truncated or larger than {MAX_TENSOR_BYTES} bytes")
    if len(raw) % 4:
        raise ValueError(f"float32 data length {len(raw)} is not a multiple of 4")
    values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if not np.all(np.isfinite(values)):
        raise ValueError("float32 data contains NaN or infinity")
    return values
