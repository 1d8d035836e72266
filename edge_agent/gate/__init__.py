"""Quality gate: rejects frames the model cannot read, flags doubtful ones.

``QualityGate(config, reference_path).check(image, roi)`` → ``GateResult``. State is small: the
previous frame's grey thumbnail (frozen camera) and a reference view (moved camera) learned from
the first accepted frames and persisted so it survives restarts.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from edge_agent.gate.config import GateConfig
from edge_agent.gate.policy import ACCEPT, GateResult, RejectReason, decide
from edge_agent.gate.stats import FrameStats, Grey, frame_stats, view_shift
from pm25.preprocess import Roi

__all__ = ["FrameStats", "GateConfig", "GateResult", "QualityGate", "RejectReason"]

log = logging.getLogger(__name__)


class QualityGate:
    """Stateful shell around the pure ``decide``: previous frame, reference view on disk."""

    def __init__(self, config: GateConfig, reference_path: Path | None = None) -> None:
        self.config = config
        self.reference_path = reference_path
        self._previous: Grey | None = None
        self._repeats = 0
        self._learning: list[Grey] = []
        self.reference: Grey | None = self._load_reference()

    def check(self, image: npt.NDArray[Any], roi: Roi | None = None) -> GateResult:
        """Verdict on one BGR uint8 frame.

        The statistics cover the whole frame, not only ``roi``: a smudge, a leaf or a knocked
        camera spoil the estimate wherever they are (auto-exposure reacts to the whole frame),
        and the ROI's far field fades in heavy haze, so it alone cannot tell haze from blur.
        A moved view moves the ROI with it, so the whole-frame shift is the ROI's shift.
        """
        del roi  # kept in the signature: a per-ROI check can be added without changing callers
        if not self.config.enabled:
            return ACCEPT
        stats = frame_stats(image)
        self._count_repeats(stats.tiny)
        reference = self.reference
        shift = None
        if reference is not None and reference.shape == stats.tiny.shape:
            shift = view_shift(reference, stats.tiny)
        result = decide(stats, self.config, self._repeats, shift)
        if result.accepted and self.reference is None:
            self._learn(stats.tiny)
        return result

    def reset_reference(self) -> None:
        """Forget the reference view (after a deliberate re-aim) and learn it again."""
        self.reference = None
        self._learning.clear()
        if self.reference_path is not None:
            self.reference_path.unlink(missing_ok=True)
        log.info("gate: reference view reset; learning from the next accepted frames")

    def _count_repeats(self, tiny: Grey) -> None:
        prev = self._previous
        same = (
            prev is not None
            and prev.shape == tiny.shape
            and float(np.abs(prev - tiny).mean()) <= self.config.frozen_tolerance
        )
        self._repeats = self._repeats + 1 if same else 0
        self._previous = tiny

    def _learn(self, tiny: Grey) -> None:
        if self._learning and self._learning[0].shape != tiny.shape:
            self._learning.clear()
        self._learning.append(tiny)
        if len(self._learning) < self.config.reference_frames:
            return
        self.reference = np.mean(np.stack(self._learning), axis=0).astype(np.float32)
        self._learning.clear()
        if self.reference_path is not None:
            _save(self.reference_path, self.reference)
        log.info("gate: reference view learned from %d frames", self.config.reference_frames)

    def _load_reference(self) -> Grey | None:
        path = self.reference_path
        if path is None or not path.exists():
            return None
        try:
            ref = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            log.warning("gate: reference view %s unreadable (%s); learning a new one", path, e)
            return None
        if ref.ndim != 2 or ref.dtype != np.float32 or not np.all(np.isfinite(ref)):
            log.warning("gate: reference view %s is not a grey float32 image; relearning", path)
            return None
        return np.asarray(ref, np.float32)


def _save(path: Path, array: Grey) -> None:
    """Temp file + fsync + os.replace: a crash leaves the old reference or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
