"""fp32 or int8: a pure choice from measured latencies, and its cache file in data_dir.

Measuring both artifacts costs a second or two at first start; the result is cached under a key
of the manifest's hash and the hardware, so a restart reuses it and a new model or a moved SD
card measures again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pm25.manifest import Role

log = logging.getLogger(__name__)


def pick_faster(latency_ms: Mapping[Role, float]) -> Role:
    """The role with the lowest latency; fp32 on a tie (no quantisation error for nothing)."""
    if not latency_ms:
        raise ValueError("no latencies to choose from")
    return min(latency_ms, key=lambda r: (latency_ms[r], r != "fp32"))


def hardware_key(manifest_sha256: str, backend: str, devices: tuple[str, ...]) -> str:
    """Cache key: same model, same runtime and devices, same machine type."""
    cpu = f"{platform.machine()}|{platform.processor()}|{os.cpu_count()}"
    text = "|".join([manifest_sha256, backend, ",".join(devices), cpu])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_choice(path: Path, key: str) -> tuple[Role, dict[Role, float]] | None:
    """The cached (role, latencies) for ``key``, or None (missing or unreadable cache)."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))[key]
        role = entry["role"]
        latencies = {r: float(v) for r, v in entry["latency_ms"].items() if r in ("fp32", "int8")}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        log.info("inference: no usable precision choice in %s (%s); measuring", path, e)
        return None
    if role not in latencies:
        return None
    return role, latencies


def save_choice(path: Path, key: str, role: Role, latency_ms: Mapping[Role, float]) -> None:
    """Record the choice (atomically; other keys kept)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[key] = {"role": role, "latency_ms": dict(latency_ms)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
