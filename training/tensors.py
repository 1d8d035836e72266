"""Frames → model inputs through `pm25.preprocess` (the same call the edge agent makes).

`model_input` decodes the JPEG exactly as the agent does (cv2.imdecode, BGR) and calls
`pm25.preprocess`; nothing here re-implements preprocessing. `Arrays` holds a dataset's inputs
and labels; it is cached as .npz with the image tensors stored as float16 (half the disk; the
rounding is far below the JPEG noise) and features and labels as float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from pm25.errors import PreprocessError
from pm25.preprocess import ModelInput, PreprocessSpec, Roi, preprocess
from training.errors import DatasetError
from training.loader import JoinReport, Sample
from training.pool import map_jobs

F32 = npt.NDArray[np.float32]


def read_frame(path: Path) -> npt.NDArray[np.uint8]:
    """Decode an image file as BGR uint8; DatasetError naming the file if it cannot be read."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise DatasetError(f"{path}: cannot read frame: {e.strerror}") from e
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise DatasetError(f"{path}: not a decodable image ({data.size} bytes)")
    return np.asarray(image, dtype=np.uint8)


def model_input(path: Path, spec: PreprocessSpec, roi: Roi | None = None) -> ModelInput:
    """The model input of one frame file, exactly as the agent computes it."""
    try:
        return preprocess(read_frame(path), roi, spec)
    except PreprocessError as e:
        raise DatasetError(f"{path}: {e}") from e


@dataclass(frozen=True)
class Arrays:
    """Inputs and labels of N samples; humidity is NaN where unknown."""

    images: npt.NDArray[np.float16]  # (N, 3, H, W)
    features: F32  # (N, F)
    pm25: F32  # (N,)
    rh: F32  # (N,)
    camera: npt.NDArray[np.str_]  # (N,)
    time_s: npt.NDArray[np.int64]  # (N,) Unix seconds

    def __len__(self) -> int:
        return int(self.pm25.shape[0])

    def take(self, index: npt.NDArray[np.intp]) -> Arrays:
        return Arrays(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def save(self, path: Path) -> None:
        np.savez(path, **{f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def load(cls, path: Path) -> Arrays:
        try:
            with np.load(path) as z:
                return cls(**{f.name: z[f.name] for f in fields(cls)})
        except (OSError, KeyError, ValueError) as e:
            raise DatasetError(f"{path}: not a tensor cache: {e}") from e


def _one(args: tuple[Path, PreprocessSpec]) -> ModelInput | str:
    try:
        return model_input(*args)
    except DatasetError as e:
        return str(e)


def build_arrays(
    samples: list[Sample],
    spec: PreprocessSpec,
    report: JoinReport,
    strict: bool = True,
    workers: int = 2,
) -> Arrays:
    """Preprocess every sample's frame; unreadable frames raise (strict) or are counted."""
    jobs = [(s.path, spec) for s in samples]
    # Small datasets are not worth the workers' interpreter start.
    results = map_jobs(_one, jobs, workers if len(jobs) > 64 else 1, chunksize=32)
    keep: list[tuple[Sample, ModelInput]] = []
    for s, r in zip(samples, results, strict=True):
        if isinstance(r, str):
            if strict:
                raise DatasetError(r)
            report.skip("unreadable frame", r)
        else:
            keep.append((s, r))
    if not keep:
        raise DatasetError("no usable frame left after decoding")
    report.joined = len(keep)
    nan = math.nan
    return Arrays(
        images=np.concatenate([m.image for _, m in keep]).astype(np.float16),
        features=np.stack([m.features for _, m in keep]).astype(np.float32),
        pm25=np.array([s.pm25 for s, _ in keep], dtype=np.float32),
        rh=np.array([nan if s.rh is None else s.rh for s, _ in keep], dtype=np.float32),
        camera=np.array([s.camera for s, _ in keep]),
        time_s=np.array([int(s.time.timestamp()) for s, _ in keep], dtype=np.int64),
    )
