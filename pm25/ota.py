"""What the three sides agree on about signed model releases: target names and custom metadata.

A release of model family ``name`` at ``version`` is published as TUF targets:

- ``<name>/manifest.json``: the current release's manifest; its TUF custom metadata is a
  `ReleaseInfo` (``{"pm25": {...}}``), so a device learns the version before downloading anything;
- ``<name>/v<version>/<filename>``: each artifact the manifest lists.

Kept free of TUF imports: the shared core stays numpy/OpenCV/pydantic only.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pm25.errors import ManifestError

CUSTOM_KEY: Final = "pm25"


class ReleaseInfo(BaseModel):
    """The custom metadata of a release's manifest target."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Model family slug.")
    version: int = Field(gt=0, description="Release number; a device never goes down.")
    label: str = Field(min_length=1, max_length=64, description="Human label of the release.")
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the manifest.")

    def custom(self) -> dict[str, Any]:
        """The TUF ``custom`` field for the manifest target."""
        return {CUSTOM_KEY: self.model_dump()}

    @classmethod
    def from_custom(cls, custom: object) -> ReleaseInfo:
        """Parse a TUF ``custom`` field; ManifestError if it is not a release of ours."""
        if not isinstance(custom, dict) or CUSTOM_KEY not in custom:
            raise ManifestError(f"target custom metadata has no {CUSTOM_KEY!r} release info")
        try:
            return cls.model_validate(custom[CUSTOM_KEY])
        except ValidationError as e:
            raise ManifestError(f"invalid release info: {e.errors()[0]['msg']}") from e


def manifest_target(name: str) -> str:
    """Target path of the current manifest of a model family."""
    return f"{name}/manifest.json"


def artifact_target(name: str, version: int, filename: str) -> str:
    """Target path of one artifact of a release."""
    return f"{name}/v{version}/{filename}"


# Repository layout (consistent snapshots): written by training, refreshed and served by the hub.
METADATA_DIR: Final = "metadata"
TARGETS_DIR: Final = "targets"


def metadata_filename(role: str, version: int) -> str:
    """File name of one version of a role's metadata (timestamp is never versioned)."""
    return "timestamp.json" if role == "timestamp" else f"{version}.{role}.json"


def target_filename(target_path: str, sha256: str) -> str:
    """Hash-prefixed file name of a target (``a/b.onnx`` → ``a/<sha256>.b.onnx``)."""
    folder, sep, base = target_path.rpartition("/")
    return f"{folder}{sep}{sha256}.{base}"


class RepositoryFiles:
    """The bytes of a repository directory, by role and version; no TUF parsing here.

    ``metadata/<v>.<role>.json`` for root, targets and snapshot (root also as ``root.json``, the
    copy devices are provisioned with), ``metadata/timestamp.json``, ``targets/<dir>/<sha>.<file>``.
    Every write is temp file + fsync + ``os.replace`` + directory fsync: no half files.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.metadata_dir = root / METADATA_DIR
        self.targets_dir = root / TARGETS_DIR

    def latest_version(self, role: str) -> int:
        """Highest stored version of a versioned role (0 if none)."""
        pattern = re.compile(rf"^(\d+)\.{re.escape(role)}\.json$")
        names = os.listdir(self.metadata_dir) if self.metadata_dir.exists() else []
        return max((int(m[1]) for n in names if (m := pattern.match(n))), default=0)

    def read(self, role: str, version: int | None = None) -> bytes:
        """Bytes of a role's metadata: a given version or the latest; OSError if absent."""
        v = self.latest_version(role) if version is None and role != "timestamp" else version
        return (self.metadata_dir / metadata_filename(role, v or 0)).read_bytes()

    def write(self, role: str, version: int, data: bytes) -> Path:
        """Store a version of a role's metadata; versions of root/targets/snapshot never change."""
        path = self.metadata_dir / metadata_filename(role, version)
        if role != "timestamp" and path.exists():
            raise FileExistsError(f"{path.name} exists: versions are never rewritten")
        atomic_write(path, data)
        if role == "root":
            atomic_write(self.metadata_dir / "root.json", data)
        return path

    def write_target(self, target_path: str, sha256: str, data: bytes) -> Path:
        """Store a target file under its hash-prefixed name."""
        path = self.targets_dir / target_filename(target_path, sha256)
        atomic_write(path, data)
        return path


def atomic_write(path: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, os.replace, fsync of the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
