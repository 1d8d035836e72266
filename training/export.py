"""Export to ONNX (FP32) and INT8 (ONNX Runtime static quantization), run both, time both.

INT8 is QDQ, per-channel weights, calibrated (MinMax) on training frames. The final Linear, whose
output is log PM2.5, stays FP32: an 8-bit step there would be a few % of every estimate. The
log-normal → µg/m³ arithmetic after it is not quantized by ONNX Runtime anyway.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from pm25.manifest import InputSpec
from training.errors import ExportError
from training.model import ExportWrapper, HazeNet
from training.tensors import Arrays

INPUT_NAMES: Final = ("image", "features", "humidity")
OUTPUT_NAME: Final = "pm25"
F64 = npt.NDArray[np.float64]


def feeds(data: Arrays, rows: npt.NDArray[np.intp]) -> dict[str, npt.NDArray[np.float32]]:
    """ONNX inputs for some rows (humidity −1 where unknown: the 'no sensor' value)."""
    rh = np.where(np.isfinite(data.rh[rows]), data.rh[rows], -1.0).astype(np.float32)
    return {
        "image": data.images[rows].astype(np.float32),
        "features": data.features[rows].astype(np.float32),
        "humidity": rh[:, None],
    }


def export_fp32(model: HazeNet, inputs: InputSpec, path: Path, opset: int) -> None:
    """torch → ONNX with the manifest's input/output names and a dynamic batch axis."""
    model = model.cpu().eval()
    n_feat = inputs.features.length if inputs.features else 0
    example = (
        torch.zeros(1, 3, inputs.image.height, inputs.image.width),
        torch.zeros(1, n_feat),
        torch.full((1, 1), 0.5),
    )
    batch = {0: "batch"}
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of dynamo, which needs onnxscript
        # and handles this small graph no better; it is still supported in torch 2.13.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            ExportWrapper(model),
            example,
            str(path),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            opset_version=opset,
            dynamo=False,
            dynamic_axes={n: batch for n in (*INPUT_NAMES, OUTPUT_NAME)},
        )
    onnx.checker.check_model(str(path))


class _Calibration(CalibrationDataReader):  # type: ignore[misc]
    def __init__(self, data: Arrays, rows: npt.NDArray[np.intp], single: bool = False) -> None:
        # ORT's histogram calibrators stack every batch's activations into one array, so their
        # batches must all be the same size: one frame each. MinMax only keeps extremes.
        parts = len(rows) if single else max(len(rows) // 32, 1)
        self._it: Iterator[npt.NDArray[np.intp]] = iter(np.array_split(rows, parts))
        self._data = data

    def get_next(self) -> dict[str, Any] | None:
        rows = next(self._it, None)
        return None if rows is None else feeds(self._data, rows)


# Activation range estimators, tried in this order until INT8 keeps its accuracy: MinMax is exact
# for the ranges seen, but one outlier activation stretches a whole tensor's scale; the
# percentile and entropy estimators clip such outliers instead.
CALIBRATIONS: Final[dict[str, tuple[CalibrationMethod, dict[str, Any]]]] = {
    "minmax": (CalibrationMethod.MinMax, {}),
    "percentile": (CalibrationMethod.Percentile, {"CalibPercentile": 99.99}),
    "entropy": (CalibrationMethod.Entropy, {}),
}


def quantize_int8(
    fp32: Path, out: Path, calib: Arrays, rows: npt.NDArray[np.intp], method: str = "minmax"
) -> None:
    """Static INT8 (QDQ, per-channel) calibrated on `rows` of `calib` with a `CALIBRATIONS`
    method; last Gemm kept FP32."""
    calibrate, options = CALIBRATIONS[method]
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        graph = onnx.load(str(prepared)).graph
        gemms = [n.name for n in graph.node if n.op_type in ("Gemm", "MatMul")]
        # ORT's histogram calibrators print progress to stdout, where `pm25-train` writes its
        # JSON summary: send it to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            quantize_static(
                str(prepared),
                str(out),
                _Calibration(calib, rows, single=calibrate != CalibrationMethod.MinMax),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=gemms[-1:],
                calibrate_method=calibrate,
                extra_options=options,
            )


def session(path: Path, threads: int = 1) -> ort.InferenceSession:
    """A CPU session with a fixed thread count (1: one core, as the device budget assumes)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_onnx(path: Path, data: Arrays, batch: int = 64) -> tuple[F64, F64]:
    """(estimate, sd) in µg/m³ for every row of `data`."""
    sess = session(path, threads=2)
    outs = []
    for i in range(0, len(data), batch):
        rows = np.arange(i, min(i + batch, len(data)))
        outs.append(np.asarray(sess.run([OUTPUT_NAME], feeds(data, rows))[0], dtype=np.float64))
    out = np.concatenate(outs)
    if not np.all(np.isfinite(out)):
        raise ExportError(f"{path}: non-finite outputs")
    return np.maximum(out[:, 0], 0.0), np.exp(0.5 * np.clip(out[:, 1], -40.0, 40.0))


def latency_ms(path: Path, data: Arrays, repeats: int = 200) -> dict[str, float]:
    """Median and p90 single-frame latency on one thread, after a warm-up."""
    sess = session(path, threads=1)
    feed = feeds(data, np.array([0], dtype=np.intp))
    for _ in range(20):
        sess.run([OUTPUT_NAME], feed)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        sess.run([OUTPUT_NAME], feed)
        times.append((time.perf_counter() - t) * 1000.0)
    times.sort()
    return {"median": statistics.median(times), "p90": times[int(0.9 * len(times))]}


def openvino_check(path: Path) -> str:
    """Compile with OpenVINO on CPU when it is installed; a clear message either way."""
    try:
        import openvino as ov  # noqa: PLC0415 (optional dependency)
    except ImportError:
        return "skipped: openvino is not installed (pip install '.[openvino]')"
    try:
        ov.Core().compile_model(str(path), "CPU")
    except Exception as e:
        return f"FAILED: {e}"
    return f"ok: compiled on CPU with OpenVINO {ov.get_version()}"
