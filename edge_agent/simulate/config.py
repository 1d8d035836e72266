"""Simulator settings (validated once) and device credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from edge_agent.errors import ConfigError

_ID = re.compile(r"^[a-z0-9_-]{1,64}$")


class SimConfig(BaseModel):
    """How the simulated fleet behaves; devices and their secrets come from :class:`Credentials`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", min_length=1, description="Broker host name or address.")
    port: int = Field(1883, ge=1, le=65535, description="Broker TCP port.")
    interval_s: float = Field(10.0, gt=0, description="Seconds between readings of one device.")
    duration_s: float | None = Field(
        None,
        gt=0,
        description="Stop producing after this many seconds; until stopped if unset.",
    )
    seed: int = Field(0, ge=0, description="Fleet seed: pollution series and model noise.")
    batch: int = Field(60, ge=1, le=1000, description="Readings in a live batch.")
    batch_age_s: float = Field(600.0, gt=0, description="Oldest reading of a batch, s.")
    heartbeat_s: float = Field(3600.0, gt=0, description="Seconds between heartbeats.")
    threads: int = Field(2, ge=1, le=64, description="Threads that drive all the MQTT clients.")
    tick_s: float = Field(0.05, gt=0, le=5, description="Pause between two passes over a shard.")
    reconnect_max_s: float = Field(30.0, gt=0, description="Upper bound of a reconnect delay.")
    flush_s: float = Field(10.0, ge=0, description="At the end, time to send what is left.")
    model_version: int = Field(1, ge=0, description="Model version the readings carry.")


@dataclass(frozen=True, slots=True)
class Credentials:
    """Device ids and their broker passwords (the broker user of a device is its id)."""

    devices: tuple[tuple[str, SecretStr], ...]

    @classmethod
    def numbered(cls, prefix: str, count: int, password: str) -> Credentials:
        """``count`` devices ``<prefix>0000``… sharing one password."""
        if count < 1:
            raise ConfigError(f"--devices must be at least 1, got {count}")
        width = max(4, len(str(count - 1)))
        ids = [f"{prefix}{i:0{width}d}" for i in range(count)]
        return cls(tuple((_check_id(d), SecretStr(password)) for d in ids))

    @classmethod
    def from_file(cls, path: Path, count: int | None = None) -> Credentials:
        """Lines ``device_id:password`` (``#`` comments, blanks skipped); the first ``count``."""
        try:
            text = path.read_text()
        except OSError as e:
            raise ConfigError(f"cannot read credentials file {path}: {e}") from e
        pairs: list[tuple[str, SecretStr]] = []
        for n, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            device, sep, password = line.partition(":")
            if not sep or not password:
                raise ConfigError(f"{path}:{n}: expected 'device_id:password'")
            pairs.append((_check_id(device.strip(), f"{path}:{n}: "), SecretStr(password)))
        if not pairs:
            raise ConfigError(f"{path}: no devices")
        if len({d for d, _ in pairs}) != len(pairs):
            raise ConfigError(f"{path}: a device id appears twice")
        if count is not None and count > len(pairs):
            raise ConfigError(f"{path} has {len(pairs)} devices, {count} asked for")
        return cls(tuple(pairs[:count]))


def _check_id(device: str, where: str = "") -> str:
    if not _ID.match(device):
        raise ConfigError(f"{where}device id {device!r} must match {_ID.pattern}")
    return device
