"""Where sample files live: the :class:`SampleStore` Protocol and the local-folder store.

Keys are ``<device_id>/<YYYYMMDD>/<YYYYMMDDTHHMMSSZ>_<sample id>.jpg``. Writes go to a temporary
file and are renamed into place, so a crash never leaves half a JPEG under a key. An
S3-compatible store implements the same three methods (a documented follow-up).
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cloud_hub.errors import NotFound, StoreUnavailable


def sample_key(device_id: str, captured_at: float, sample_id: int) -> str:
    t = datetime.fromtimestamp(captured_at, UTC)
    return f"{device_id}/{t:%Y%m%d}/{t:%Y%m%dT%H%M%SZ}_{sample_id}.jpg"


class SampleStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` durably (raise StoreUnavailable on I/O failure)."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under ``key`` (NotFound if absent)."""
        ...

    def describe(self) -> str:
        """Where the store is, for logs and manifests."""
        ...


class LocalSampleStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
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

    def describe(self) -> str:
        return f"local:{self.root}"
