"""Where sample files live: the :class:`SampleStore` Protocol and the local-folder store.

Keys are ``<device_id>/<YYYYMMDD>/<YYYYMMDDTHHMMSSZ>_<sample id>.jpg``. Writes go to a temporary
file and are renamed into place, so a crash never leaves half a JPEG under a key. The
S3-compatible store (:mod:`cloud_hub.loop.s3`) keeps the same keys under a prefix.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cloud_hub.errors import NotFound, StoreUnavailable
from cloud_hub.loop.settings import SampleSettings


def sample_key(device_id: str, captured_at: float, sample_id: int) -> str:
    t = datetime.fromtimestamp(captured_at, UTC)
    return f"{device_id}/{t:%Y%m%d}/{t:%Y%m%dT%H%M%SZ}_{sample_id}.jpg"


def check_key(key: str) -> None:
    """Refuse keys that are absolute, empty or climb out of the store (``..``)."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"sample key escapes the store: {key!r}")


class SampleStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` durably (raise StoreUnavailable on I/O failure)."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under ``key`` (NotFound if absent)."""
        ...

    def keys(self, under: str = "") -> list[str]:
        """Every key starting with ``under``, sorted."""
        ...

    def describe(self) -> str:
        """Where the store is, for logs and manifests."""
        ...


def open_store(s: SampleSettings, data_dir: Path) -> SampleStore:
    """The store ``samples.store`` names (boto3 is imported only for ``s3``)."""
    if s.store == "s3":
        from cloud_hub.loop.s3 import S3SampleStore  # noqa: PLC0415

        return S3SampleStore(s.s3)
    return LocalSampleStore(s.store_dir or data_dir / "samples")


class LocalSampleStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        check_key(key)
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"sample key escapes the store: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as e:
            raise StoreUnavailable(f"cannot write sample {key}: {e}") from e

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as e:
            raise NotFound(f"sample file {key} is missing") from e
        except OSError as e:
            raise StoreUnavailable(f"cannot read sample {key}: {e}") from e

    def keys(self, under: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        found = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(k for k in found if k.startswith(under) and ".part-" not in k)

    def describe(self) -> str:
        return f"local:{self.root}"
