"""MLflow logging: the only module of the project that imports mlflow.

Default store: a SQLite file `data/mlflow.db` under the working directory (open it with
`mlflow ui --backend-store-uri sqlite:///data/mlflow.db`); `MLFLOW_TRACKING_URI` overrides it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Final

DEFAULT_DB: Final = Path("data") / "mlflow.db"


def tracking_uri(explicit: str | None = None) -> str:
    """Explicit URI, else $MLFLOW_TRACKING_URI, else sqlite:///data/mlflow.db (created)."""
    if explicit:
        return explicit
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    DEFAULT_DB.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB}"


def log_run(
    uri: str,
    experiment: str,
    *,
    params: dict[str, object],
    metrics: dict[str, float],
    artifacts_dir: Path,
    model_path: Path,
    model_name: str,
) -> tuple[str, int]:
    """Log one run and register the FP32 ONNX model; returns (run id, registered version)."""
    import mlflow  # noqa: PLC0415 (heavy; only when logging)
    import onnx  # noqa: PLC0415

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as run:
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics({k: v for k, v in metrics.items() if math.isfinite(v)})
        mlflow.log_artifacts(str(artifacts_dir), artifact_path="release")
        info = mlflow.onnx.log_model(
            onnx.load(str(model_path)), name="model", registered_model_name=model_name
        )
        version = int(info.registered_model_version or 0)
        return run.info.run_id, version
