"""The estimator: a verified model release on a chosen runtime, from ModelInput to PM2.5.

Load order (each failure is a ModelLoadError that says what is wrong):
manifest → length + SHA-256 of each artifact (before any runtime sees the bytes) → runtime
session → warm-up → golden self-test → fp32/int8 choice (measured once per hardware, cached).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_agent.errors import ModelLoadError
from edge_agent.inference.base import Backend, Tensor
from edge_agent.inference.choice import hardware_key, load_choice, pick_faster, save_choice
from edge_agent.inference.config import BackendName, InferenceConfig
from edge_agent.inference.latency import LatencySummary, LatencyWindow
from edge_agent.inference.select import available_backends, choose_backend
from pm25.errors import ManifestError
from pm25.manifest import ModelManifest, Role, load_manifest, sha256_file
from pm25.preprocess import ModelInput

log = logging.getLogger(__name__)
CHOICE_FILE = "model_choice.json"


@dataclass(frozen=True, slots=True)
class Estimate:
    """PM2.5 and its standard deviation (µg/m³) and the inference time of this frame."""

    pm25: float
    sd: float
    latency_ms: float


class Estimator:
    """Runs one artifact of a manifest on one backend; keeps rolling latency figures."""

    def __init__(
        self,
        manifest: ModelManifest,
        backend: Backend,
        role: Role,
        *,
        backend_reason: str,
        default_rh: float = 0.6,
        role_latency_ms: dict[Role, float] | None = None,
    ) -> None:
        self.manifest = manifest
        self.backend = backend
        self.role = role
        self.backend_reason = backend_reason
        self.role_latency_ms = role_latency_ms or {}
        self.default_rh = default_rh
        self._latency = LatencyWindow()

    @property
    def model_version(self) -> str:
        """'name:version' of the release, as the heartbeat reports it."""
        return f"{self.manifest.name}:{self.manifest.version}"

    def inputs(self, x: ModelInput, humidity: float | None = None) -> dict[str, Tensor]:
        """The runtime inputs for a preprocessed frame, named as the manifest says."""
        spec = self.manifest.inputs
        feeds: dict[str, Tensor] = {spec.image.name: x.image}
        if spec.features is not None:
            feeds[spec.features.name] = x.features.reshape(1, -1)
        if spec.humidity is not None:
            rh = self.default_rh if humidity is None else humidity
            feeds[spec.humidity.name] = np.array([[rh]], np.float32)
        return feeds

    def estimate(self, x: ModelInput, humidity: float | None = None) -> Estimate:
        """One inference; InferenceError if the runtime fails, ManifestError on bad outputs."""
        feeds = self.inputs(x, humidity)
        start = time.perf_counter()
        raw = self.backend.run(feeds)[self.manifest.outputs.name]
        ms = (time.perf_counter() - start) * 1000.0
        self._latency.add(ms)
        pm25, sd = self.manifest.outputs.to_estimate(raw)
        return Estimate(pm25, sd, ms)

    def latency(self) -> LatencySummary | None:
        """p50/p95 over the recent frames."""
        return self._latency.summary()

    def self_test(self) -> None:
        """Run the manifest's golden inputs; ModelLoadError if any is out of tolerance."""
        for golden in self.manifest.golden:
            features = golden.features_array()
            x = ModelInput(
                image=golden.image_array(self.manifest.inputs.image),
                features=features if features is not None else np.zeros(0, np.float32),
            )
            try:
                got = self.estimate(x, golden.humidity).pm25
            except (ManifestError, ValueError) as e:
                raise ModelLoadError(f"golden {golden.name!r}: {e}") from e
            tol = golden.tolerance[self.role]
            if abs(got - golden.expected_pm25) > tol:
                raise ModelLoadError(
                    f"{self.model_version} {self.role} fails golden {golden.name!r}: "
                    f"pm25 {got:.3f}, expected {golden.expected_pm25:.3f} ± {tol}"
                )


def manifest_path(path: Path) -> Path:
    """A manifest file, or manifest.json inside a directory."""
    return path / "manifest.json" if path.is_dir() else path


def load_estimator(model: Path, config: InferenceConfig, data_dir: Path | None) -> Estimator:
    """Load, verify, warm up and self-test a release; choose its backend and precision."""
    path = manifest_path(model)
    if not path.exists():
        raise ModelLoadError(f"no model manifest at {path}")
    try:
        manifest = load_manifest(path)
    except ManifestError as e:
        raise ModelLoadError(str(e)) from e
    name, reason = choose_backend(config.backend, available_backends())
    log.info("inference: backend %s (%s)", name, reason)
    roles = [a.role for a in manifest.artifacts]
    if config.precision != "auto":
        if config.precision not in roles:
            raise ModelLoadError(f"{path}: precision {config.precision!r} not in release {roles}")
        roles = [config.precision]
    estimators = {r: _load_role(manifest, path.parent, r, name, reason, config) for r in roles}
    if len(estimators) == 1:
        return next(iter(estimators.values()))
    return _choose_precision(estimators, sha256_file(path), config, data_dir)


def _load_role(  # noqa: PLR0917 (private helper, all arguments needed)
    manifest: ModelManifest,
    folder: Path,
    role: Role,
    backend: BackendName,
    reason: str,
    config: InferenceConfig,
) -> Estimator:
    artifact_path = folder / manifest.artifact(role).filename
    try:
        manifest.verify_artifact(role, artifact_path)  # before any runtime parses the bytes
    except ManifestError as e:
        raise ModelLoadError(f"model {manifest.name} v{manifest.version}: {e}") from e
    estimator = Estimator(
        manifest,
        _open_backend(backend, artifact_path, config.threads),
        role,
        backend_reason=reason,
        default_rh=config.default_rh,
    )
    _warm_up(estimator, config.warmup_runs)
    estimator.self_test()
    return estimator


def _open_backend(name: BackendName, path: Path, threads: int) -> Backend:
    if name == "openvino":
        from edge_agent.inference.openvino import OpenVinoBackend  # noqa: PLC0415 (optional)

        return OpenVinoBackend(path, threads)
    from edge_agent.inference.onnx import OnnxBackend  # noqa: PLC0415 (only when used)

    return OnnxBackend(path, threads)


def _zeros(manifest: ModelManifest) -> ModelInput:
    img, feats = manifest.inputs.image, manifest.inputs.features
    return ModelInput(
        image=np.zeros((1, img.channels, img.height, img.width), np.float32),
        features=np.zeros(feats.length if feats else 0, np.float32),
    )


def _warm_up(estimator: Estimator, runs: int) -> None:
    x = _zeros(estimator.manifest)
    try:
        for _ in range(runs):
            estimator.backend.run(estimator.inputs(x))
    except Exception as e:
        raise ModelLoadError(
            f"{estimator.model_version} {estimator.role} fails warm-up: {e}"
        ) from e


def _median_ms(estimator: Estimator, runs: int) -> float:
    feeds = estimator.inputs(_zeros(estimator.manifest))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        estimator.backend.run(feeds)
        times.append((time.perf_counter() - start) * 1000.0)
    return float(np.median(times))


def _choose_precision(
    estimators: dict[Role, Estimator],
    manifest_sha: str,
    config: InferenceConfig,
    data_dir: Path | None,
) -> Estimator:
    any_est = next(iter(estimators.values()))
    key = hardware_key(manifest_sha, any_est.backend.name, any_est.backend.devices)
    cache = data_dir / CHOICE_FILE if data_dir is not None else None
    cached = load_choice(cache, key) if cache is not None else None
    if cached is not None and cached[0] in estimators:
        role, latencies = cached
        how = "cached"
    else:
        latencies = {r: _median_ms(e, config.timing_runs) for r, e in estimators.items()}
        role = pick_faster(latencies)
        how = "measured"
        if cache is not None:
            save_choice(cache, key, role, latencies)
    chosen = estimators[role]
    chosen.role_latency_ms = dict(latencies)
    figures = ", ".join(f"{r} {ms:.3f} ms" for r, ms in sorted(latencies.items()))
    log.info("inference: running %s (%s on this hardware: %s)", role, how, figures)
    return chosen
