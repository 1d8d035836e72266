"""The agent's own config sections: MQTT, outbox, uplink batching, heartbeat, logging.

Every model refuses unknown keys and documents every field (``docs/configuration.md`` is
generated from these descriptions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from edge_agent.backoff import BackoffConfig


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsConfig(Section):
    """TLS towards the broker (per-device client certificate optional)."""

    ca: Path | None = Field(
        None, description="CA bundle to verify the broker; system CAs if unset."
    )
    cert: Path | None = Field(None, description="Client certificate (PEM), for mutual TLS.")
    key: Path | None = Field(None, description="Private key of the client certificate (PEM).")
    verify: bool = Field(True, description="Verify the broker's certificate and host name.")


class MqttConfig(Section):
    """How the unit reaches its broker."""

    host: str = Field("127.0.0.1", min_length=1, description="Broker host name or address.")
    port: int = Field(1883, ge=1, le=65535, description="Broker TCP port (8883 for TLS).")
    username: str | None = Field(None, description="Broker user; the device id when unset.")
    password: SecretStr | None = Field(None, description="Broker password (prefer password_file).")
    password_file: Path | None = Field(None, description="File holding the broker password.")
    tls: TlsConfig | None = Field(None, description="TLS settings; plain TCP when unset.")
    keepalive_s: int = Field(
        2400,
        ge=10,
        le=65535,
        description="MQTT keep-alive, seconds. Longer than the batch interval, so no pings are "
        "needed (each costs ~108 B on the wire; docs/edge-agent.md). Lower it if the carrier's "
        "NAT drops idle TCP connections sooner.",
    )
    protocol: Literal["auto", "5", "3.1.1"] = Field(
        "auto", description="MQTT version; auto tries 5 and falls back to 3.1.1 if refused."
    )
    session_expiry_s: int = Field(
        7 * 86400, ge=0, description="How long the broker keeps the session (queued commands)."
    )
    connect_timeout_s: float = Field(15.0, gt=0, description="Give up on a CONNACK after this.")
    backoff: BackoffConfig = Field(
        default_factory=BackoffConfig, description="Reconnect delays after a lost connection."
    )
    auth_retry_s: float = Field(
        300.0, gt=0, description="Delay between attempts while the broker refuses credentials."
    )

    @model_validator(mode="after")
    def _one_password(self) -> MqttConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give either password or password_file, not both")
        return self

    def secret(self) -> str | None:
        """The password, read from ``password_file`` when that is set."""
        if self.password_file is not None:
            return self.password_file.read_text().strip()
        return None if self.password is None else self.password.get_secret_value()


class OutboxConfig(Section):
    """The durable outbox on the data volume."""

    max_bytes: int = Field(
        64 * 1024 * 1024, ge=64 * 1024, description="Byte cap; beyond it old readings compact."
    )
    compaction_interval_s: int = Field(
        3600, ge=1, description="Window of one aggregate when old readings are compacted."
    )
    memory_buffer: int = Field(
        1000, ge=1, description="Readings kept in memory while the disk is full."
    )


class UplinkConfig(Section):
    """Batching of readings and the in-flight window."""

    max_count: int = Field(
        180, ge=1, le=1000, description="A live batch goes out once it has this many readings."
    )
    max_age_s: float = Field(
        1800.0, gt=0, description="... or once its oldest reading is this old, seconds."
    )
    backlog_batch: int = Field(
        1000, ge=1, le=1000, description="Readings per batch while draining a backlog."
    )
    window: int = Field(10, ge=1, le=100, description="Batches in flight (unacknowledged) at most.")


class HeartbeatConfig(Section):
    """Periodic health messages."""

    interval_s: float = Field(3600.0, gt=0, description="Seconds between heartbeats.")
    haze: bool = Field(
        True,
        description="Send histograms of the haze features for the hub's drift watch (~250 bytes "
        "a heartbeat). Hubs older than the drift watch refuse such heartbeats: turn off until "
        "the hub is updated.",
    )


class LoggingConfig(Section):
    """Log output (stderr; journald picks it up under systemd)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")


class CalibrationConfig(Section):
    """Site calibration y = slope·x + intercept against a co-located reference monitor; the hub
    fits it and pushes it as a config patch (docs/closed-loop.md). Version 0: none applied."""

    version: int = Field(0, ge=0, description="Calibration version from the hub; 0 = none.")
    slope: float = Field(1.0, ge=0.05, le=20, description="Multiplies the model's estimate.")
    intercept: float = Field(0.0, ge=-500, le=500, description="Added after the slope, µg/m³.")

    def apply(self, pm25: float, sd: float) -> tuple[float, float]:
        """The calibrated estimate and its standard deviation (scaled by the slope)."""
        return max(0.0, self.slope * pm25 + self.intercept), sd * self.slope
