"""The one function that turns a camera frame into model input; the agent and training both call it.

Pipeline: validate → crop the region of interest (a view, no copy) → shrink in two steps
(INTER_NEAREST to about twice the target, then INTER_AREA; a one-step INTER_AREA from 720p is
roughly ten times slower) → BGR→RGB, normalise, NCHW → haze features on the same small image.

Default input size 160×96 (W×H): a 5:3 landscape close to the 16:9 of roadside cameras, so
the ROI is barely distorted; 96 rows keep the horizon band and distant targets several pixels
tall (where haze shows at low PM, see docs/architecture.md), and 15 k pixels keep a CNN within
a few ms on a Raspberry Pi.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pm25.errors import PreprocessError
from pm25.features import DEFAULT_DARK_PATCH, FEATURE_NAMES, haze_features

__all__ = [
    "DEFAULT_SPEC",
    "FEATURE_NAMES",
    "PREPROCESS_VERSION",
    "ModelInput",
    "PreprocessSpec",
    "Roi",
    "preprocess",
]

# Bump whenever the output of `preprocess` changes for the same input; a model records the
# version it was trained with, and `preprocess` refuses a spec from another version.
PREPROCESS_VERSION: Final = 1

# The defaults of PreprocessSpec, in one place.
DEFAULT_WIDTH: Final = 160
DEFAULT_HEIGHT: Final = 96
DEFAULT_MEAN: Final = (0.485, 0.456, 0.406)  # ImageNet RGB: lets a pretrained backbone be used
DEFAULT_STD: Final = (0.229, 0.224, 0.225)
MAX_UPSCALE: Final = 2.0  # an ROI smaller than half the input size would be mostly invented


class _Strict(BaseModel):
    """Frozen, closed pydantic model whose direct construction raises PreprocessError.

    Nested inside another model (the manifest, a config) validation errors stay pydantic's, so
    the outer loader can report them with its own path.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(model)'}: {err['msg']}"
                for err in e.errors()
            )
            raise PreprocessError(f"invalid {type(self).__name__}: {problems}") from e


class Roi(_Strict):
    """Region of interest in normalised frame coordinates, so it survives resolution changes."""

    x: float = Field(0.0, ge=0.0, lt=1.0, description="Left edge, fraction of frame width.")
    y: float = Field(0.0, ge=0.0, lt=1.0, description="Top edge, fraction of frame height.")
    w: float = Field(1.0, gt=0.0, le=1.0, description="Width, fraction of frame width.")
    h: float = Field(1.0, gt=0.0, le=1.0, description="Height, fraction of frame height.")

    @model_validator(mode="after")
    def _inside(self) -> Roi:
        # A little slack for values written with finite precision, e.g. 0.3 + 0.7.
        if self.x + self.w > 1.0 + 1e-9 or self.y + self.h > 1.0 + 1e-9:
            raise ValueError(f"ROI {self} extends outside the frame")
        return self

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) in pixels of a width×height frame, clamped to the frame."""
        x0 = min(round(self.x * width), width)
        y0 = min(round(self.y * height), height)
        x1 = min(round((self.x + self.w) * width), width)
        y1 = min(round((self.y + self.h) * height), height)
        return x0, y0, x1, y1


class PreprocessSpec(_Strict):
    """Everything that defines the model input; a manifest embeds the one its model used."""

    width: int = Field(DEFAULT_WIDTH, ge=16, le=1024, description="Model input width in pixels.")
    height: int = Field(DEFAULT_HEIGHT, ge=16, le=1024, description="Model input height in pixels.")
    mean: tuple[float, float, float] = Field(
        DEFAULT_MEAN, description="Per-channel RGB mean subtracted after scaling to 0..1."
    )
    std: tuple[float, float, float] = Field(
        DEFAULT_STD, description="Per-channel RGB standard deviation divided by after the mean."
    )
    roi_mode: Literal["stretch"] = Field(
        "stretch", description="How the ROI becomes width×height: resized without padding."
    )
    dark_patch: int = Field(
        DEFAULT_DARK_PATCH, ge=1, le=31, description="Dark-channel min-filter size (odd)."
    )
    features: tuple[str, ...] = Field(
        FEATURE_NAMES, description="Handcrafted features, in the order of the feature vector."
    )
    version: int = Field(
        PREPROCESS_VERSION, ge=1, description="Version of the preprocessing algorithm."
    )

    @field_validator("std")
    @classmethod
    def _positive_std(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(s <= 0.0 for s in v):
            raise ValueError(f"std must be positive, got {v}")
        return v

    @field_validator("dark_patch")
    @classmethod
    def _odd_patch(cls, v: int) -> int:
        if v % 2 == 0:
            raise ValueError(f"dark_patch must be odd, got {v}")
        return v

    @field_validator("features")
    @classmethod
    def _known_features(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [n for n in v if n not in FEATURE_NAMES]
        if unknown or len(set(v)) != len(v):
            raise ValueError(f"features must be distinct names from FEATURE_NAMES, got {v}")
        return v


DEFAULT_SPEC: Final = PreprocessSpec()


@dataclass(frozen=True, slots=True)
class ModelInput:
    """What the model consumes: image (1, 3, H, W) float32 RGB normalised, features (F,) float32."""

    image: npt.NDArray[np.float32]
    features: npt.NDArray[np.float32]


def preprocess(
    frame: npt.NDArray[Any], roi: Roi | None = None, spec: PreprocessSpec = DEFAULT_SPEC
) -> ModelInput:
    """Turn a BGR uint8 H×W×3 frame of any size and its ROI (whole frame if None) into model input.

    The frame is typed loosely because OpenCV's own results are; its dtype is checked here.
    Raises PreprocessError for a frame or ROI that cannot give a meaningful input.
    """
    _check_spec(spec)
    frame = _check_frame(frame)
    x0, y0, x1, y1 = (roi or Roi()).to_pixels(frame.shape[1], frame.shape[0])
    min_w, min_h = math.ceil(spec.width / MAX_UPSCALE), math.ceil(spec.height / MAX_UPSCALE)
    if x1 - x0 < min_w or y1 - y0 < min_h:
        raise PreprocessError(
            f"ROI is {x1 - x0}×{y1 - y0} px on a {frame.shape[1]}×{frame.shape[0]} frame; "
            f"at least {min_w}×{min_h} px are needed for a {spec.width}×{spec.height} input"
        )
    small = _shrink(frame[y0:y1, x0:x1], spec.width, spec.height)
    features = haze_features(small, spec.features, spec.dark_patch)
    return ModelInput(image=_to_tensor(small, spec), features=features)


def _check_spec(spec: PreprocessSpec) -> None:
    """Re-check what `model_construct` or a foreign object could have slipped past validation."""
    if spec.version != PREPROCESS_VERSION:
        raise PreprocessError(
            f"spec is for preprocessing version {spec.version}, this is {PREPROCESS_VERSION}"
        )
    numbers = (*spec.mean, *spec.std)
    if not all(math.isfinite(v) for v in numbers) or min(spec.std) <= 0.0:
        raise PreprocessError(f"spec mean/std must be finite with std > 0, got {numbers}")


def _check_frame(frame: object) -> npt.NDArray[np.uint8]:
    if not isinstance(frame, np.ndarray):
        raise PreprocessError(f"frame must be a numpy array, got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise PreprocessError(f"frame must be uint8 BGR, got dtype {frame.dtype}")
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise PreprocessError(f"frame must be H×W×3 BGR, got shape {frame.shape}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise PreprocessError(f"frame is empty: shape {frame.shape}")
    # OpenCV needs contiguous pixels within a row; flipped or strided views get copied once.
    if frame.strides[2] != 1 or frame.strides[1] != 3:
        frame = np.ascontiguousarray(frame)
    return frame


def _shrink(roi: npt.NDArray[np.uint8], width: int, height: int) -> npt.NDArray[np.uint8]:
    """Resize the ROI to width×height: nearest to 2× target first when far larger, then area."""
    src: npt.NDArray[Any] = roi
    if src.shape[1] > 2 * width and src.shape[0] > 2 * height:
        src = cv2.resize(src, (2 * width, 2 * height), interpolation=cv2.INTER_NEAREST)
    shrinking = src.shape[1] >= width and src.shape[0] >= height
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    out: npt.NDArray[Any] = cv2.resize(src, (width, height), interpolation=interpolation)
    return out.astype(np.uint8, copy=False)


def _to_tensor(small: npt.NDArray[np.uint8], spec: PreprocessSpec) -> npt.NDArray[np.float32]:
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB).astype(np.float32)
    # (x/255 − mean)/std folded into one multiply-add per pixel.
    scale = np.array([1.0 / (255.0 * s) for s in spec.std], dtype=np.float32)
    offset = np.array([m / s for m, s in zip(spec.mean, spec.std, strict=True)], dtype=np.float32)
    nchw = (rgb * scale - offset).transpose(2, 0, 1)[np.newaxis]
    return np.ascontiguousarray(nchw)
