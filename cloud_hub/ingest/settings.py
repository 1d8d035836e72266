"""The ingest worker's settings section (``ingest:`` in the hub config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["IngestSettings"]


class IngestSettings(BaseModel):
    """How the worker subscribes, batches and retries."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=False, description="Run the MQTT ingest worker (needs a reachable broker)."
    )
    group: str = Field(
        default="hub",
        pattern=r"^[a-z0-9_-]{1,64}$",
        description="Shared-subscription group: replicas in one group split the devices' messages.",
    )
    client_id: str = Field(
        default="cloud-hub-ingest-0",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Fixed MQTT client id of this replica: its session survives a crash.",
    )
    session_expiry_s: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        description="How long the broker keeps our session and queued messages while away.",
    )
    receive_maximum: int = Field(
        default=2000,
        ge=1,
        le=65535,
        description="Unacknowledged messages the broker may send us at once; the in-flight bound.",
    )
    batch_max_messages: int = Field(
        default=500, ge=1, description="Most messages stored together in one series write."
    )
    batch_linger_s: float = Field(
        default=0.05, ge=0, le=5, description="How long to wait for more messages to fill a batch."
    )
    retry_backoff_s: float = Field(
        default=0.5, gt=0, description="First wait after a failed write; doubles up to the max."
    )
    retry_backoff_max_s: float = Field(
        default=30.0, gt=0, description="Longest wait between retries of a failed write."
    )
