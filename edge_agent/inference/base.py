"""The one small interface every inference runtime implements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
import numpy.typing as npt

Tensor = npt.NDArray[np.float32]


class Backend(Protocol):
    """A loaded model on one runtime. ``run`` maps input names to tensors, outputs likewise."""

    @property
    def name(self) -> str:
        """Runtime name, e.g. 'onnxruntime'."""
        ...

    @property
    def devices(self) -> tuple[str, ...]:
        """Execution providers / devices in use, best first (e.g. ORT providers)."""
        ...

    def run(self, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """One inference; raises InferenceError if the runtime fails."""
        ...
