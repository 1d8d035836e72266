"""The description of a model release: artifacts with hashes, inputs, outputs, goldens, budgets.

The manifest is the only thing the agent trusts about a model file: it loads an artifact only
after `verify_artifact` has matched its length and SHA-256, builds inputs with the embedded
`PreprocessSpec`, turns outputs into PM2.5 by `OutputKind`, and self-tests on the golden inputs.
The component models live in `pm25.manifest_parts` and are re-exported here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from pm25.errors import ManifestError
from pm25.manifest_parts import (
    Artifact,
    FeaturesInput,
    Frozen,
    GoldenTest,
    HumidityInput,
    ImageInput,
    InputSpec,
    OutputKind,
    OutputSpec,
    Role,
    RuntimeRequirements,
    TrainingMetrics,
    decode_f32,
    encode_f32,
)
from pm25.preprocess import PreprocessSpec

__all__ = [
    "Artifact", "FeaturesInput", "GoldenTest", "HumidityInput", "ImageInput", "InputSpec",
    "ModelManifest", "OutputKind", "OutputSpec", "Role", "RuntimeRequirements", "TrainingMetrics",
    "decode_f32", "encode_f32", "load_manifest", "sha256_file", "write_manifest",
]  # fmt: skip

MAX_MANIFEST_BYTES: Final = 16 * 1024 * 1024  # goldens included; anything bigger is not ours
_CHUNK: Final = 1024 * 1024


class ModelManifest(Frozen):
    """A model release: one JSON file next to its artifacts."""

    schema_version: Literal[1] = Field(1, description="Version of this manifest format.")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Model family slug.")
    version: int = Field(gt=0, description="Release number; increases with every release.")
    label: str = Field(min_length=1, max_length=64, description="e.g. '2026.11-baseline'.")
    created_at: datetime = Field(description="Creation time, timezone-aware UTC.")
    artifacts: tuple[Artifact, ...] = Field(min_length=1, description="Files, one per role.")
    inputs: InputSpec = Field(description="Model inputs.")
    preprocessing: PreprocessSpec = Field(description="How frames become the inputs.")
    outputs: OutputSpec = Field(description="Model output and its interpretation.")
    runtime: RuntimeRequirements = Field(description="Device runtime requirements.")
    metrics: TrainingMetrics = Field(default_factory=TrainingMetrics, description="Evaluation.")
    golden: tuple[GoldenTest, ...] = Field(default=(), description="Self-test inputs/outputs.")
    latency_budget_ms: float = Field(gt=0.0, description="Max inference time on target, ms.")

    @field_validator("created_at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        if v.utcoffset() != timedelta(0):
            raise ValueError("created_at must be timezone-aware UTC")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ModelManifest:
        roles = [a.role for a in self.artifacts]
        if len(set(roles)) != len(roles):
            raise ValueError(f"artifact roles must be unique, got {roles}")
        image, prep = self.inputs.image, self.preprocessing
        if (image.height, image.width) != (prep.height, prep.width):
            raise ValueError("inputs.image size must equal preprocessing height/width")
        features = self.inputs.features
        if features is not None and features.names != prep.features:
            raise ValueError("inputs.features.names must equal preprocessing.features")
        for golden in self.golden:
            _check_golden(golden, self.inputs, set(roles))
        return self

    def artifact(self, role: Role) -> Artifact:
        """The artifact of a role; ManifestError if the release has none."""
        for a in self.artifacts:
            if a.role == role:
                return a
        raise ManifestError(f"manifest {self.name} v{self.version} has no {role!r} artifact")

    def verify_artifact(self, role: Role, path: str | os.PathLike[str]) -> None:
        """Check a file against the artifact of `role`: length first, then streamed SHA-256.

        Reads at most length + 1 bytes, so a huge or growing file cannot stall the check.
        """
        expected = self.artifact(role)
        p = Path(path)
        try:
            size = p.stat().st_size
        except OSError as e:
            raise ManifestError(f"{p}: artifact {role!r} unreadable: {e.strerror}") from e
        if size != expected.length:
            raise ManifestError(
                f"{p}: artifact {role!r} is {size} bytes, expected {expected.length}"
            )
        digest = sha256_file(p, max_bytes=expected.length + 1)
        if not hmac.compare_digest(digest, expected.sha256):
            raise ManifestError(f"{p}: artifact {role!r} sha256 {digest} != {expected.sha256}")


def _check_golden(golden: GoldenTest, inputs: InputSpec, roles: set[str]) -> None:
    img = inputs.image
    n_image = decode_f32(golden.image).size
    if n_image != img.channels * img.height * img.width:
        raise ValueError(f"golden {golden.name!r}: image has {n_image} values, expected shape "
                         f"(1, {img.channels}, {img.height}, {img.width})")  # fmt: skip
    want_f = inputs.features.length if inputs.features else None
    got_f = None if golden.features is None else decode_f32(golden.features).size
    if got_f != want_f:
        raise ValueError(f"golden {golden.name!r}: features length {got_f}, expected {want_f}")
    if (golden.humidity is None) != (inputs.humidity is None):
        raise ValueError(f"golden {golden.name!r}: humidity must be given iff it is an input")
    if set(golden.tolerance) != roles:
        raise ValueError(f"golden {golden.name!r}: tolerance roles must be exactly {sorted(roles)}")


def sha256_file(path: str | os.PathLike[str], max_bytes: int | None = None) -> str:
    """Lower-case hex SHA-256 of a file, read in 1 MiB chunks (of at most max_bytes bytes)."""
    h = hashlib.sha256()
    left = max_bytes
    with open(path, "rb") as f:
        while left is None or left > 0:
            chunk = f.read(_CHUNK if left is None else min(_CHUNK, left))
            if not chunk:
                break
            h.update(chunk)
            left = None if left is None else left - len(chunk)
    return h.hexdigest()


def load_manifest(path: str | os.PathLike[str]) -> ModelManifest:
    """Read and validate a manifest JSON file; any problem → ManifestError naming path and field."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            raw = f.read(MAX_MANIFEST_BYTES + 1)
    except OSError as e:
        raise ManifestError(f"{p}: cannot read manifest: {e.strerror}") from e
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{p}: manifest larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        data: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ManifestError(f"{p}: not valid JSON: {e}") from e
    try:
        return ModelManifest.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in err['loc']) or '(manifest)'}: {err['msg']}"
            for err in e.errors()
        )
        raise ManifestError(f"{p}: invalid manifest: {problems}") from e


def write_manifest(manifest: ModelManifest, path: str | os.PathLike[str]) -> None:
    """Write the manifest atomically: temp file in the same directory, fsync, os.replace."""
    p = Path(path)
    text = manifest.model_dump_json(indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # Make the rename itself durable; not every platform lets a directory be opened.
    try:
        dir_fd = os.open(p.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
