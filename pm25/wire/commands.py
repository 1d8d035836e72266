"""Cloud-to-device commands (a union discriminated on ``type``) and the device's acknowledgement.

Every command carries a unique ``id``; the device answers each with one :class:`CommandAck` on the
``ack`` topic, so the hub can retry over QoS 1 redelivery and the device can ignore duplicates.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, JsonValue, field_validator, model_validator

from pm25.wire.common import Message, MessageId, ShortText, UtcTime, require_in_schema

__all__ = [
    "CaptureSampleCommand",
    "Command",
    "CommandAck",
    "ConfigCommand",
    "PingCommand",
    "UpdateNoticeCommand",
]


class _CommandBase(Message):
    model_config = ConfigDict(json_schema_extra=require_in_schema("v", "type"))

    id: MessageId = Field(description="Unique command id, echoed in the ack.")
    issued_at: UtcTime = Field(description="When the hub issued the command, unix seconds UTC.")


class PingCommand(_CommandBase):
    """Ask the device to ack at once: a liveness and round-trip check."""

    type: Literal["ping"] = Field(default="ping", description="Command type.")


class ConfigCommand(_CommandBase):
    """Change device configuration: a JSON merge patch of the agent's config (nested dicts)."""

    type: Literal["config"] = Field(default="config", description="Command type.")
    patch: dict[str, JsonValue] = Field(
        min_length=1, description="Merge patch: keys are config fields, null removes an override."
    )


class CaptureSampleCommand(_CommandBase):
    """Ask for one region-of-interest JPEG crop on the ``sample`` topic."""

    type: Literal["capture_sample"] = Field(default="capture_sample", description="Command type.")
    max_side: int = Field(
        default=256, ge=16, le=1024, description="Longest side of the crop, pixels."
    )


class UpdateNoticeCommand(_CommandBase):
    """A new release is available: the device fetches and verifies it from the repository."""

    type: Literal["update_notice"] = Field(default="update_notice", description="Command type.")
    release: int = Field(ge=1, description="Release version; versions never go down.")
    target: str = Field(min_length=1, max_length=128, description="Target name in the repository.")
    repository: str = Field(max_length=512, description="Update repository base URL (http/https).")
    rollout_id: MessageId = Field(description="Rollout this notice belongs to.")
    not_before: UtcTime | None = Field(default=None, description="Do not install before this.")
    not_after: UtcTime | None = Field(default=None, description="Do not install after this.")

    @field_validator("repository")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("expected an http(s) URL with a host")
        return value

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.not_before and self.not_after and self.not_before >= self.not_after:
            raise ValueError("not_before must be before not_after")
        return self


Command = Annotated[
    PingCommand | ConfigCommand | CaptureSampleCommand | UpdateNoticeCommand,
    Field(discriminator="type"),
]
"""Any command; ``type`` says which."""


class CommandAck(Message):
    """The device's answer to a command, on the ``ack`` topic."""

    id: MessageId = Field(description="Id of the command answered.")
    ok: bool = Field(description="True if the command was carried out (or accepted for later).")
    reason: ShortText | None = Field(default=None, description="Why it was refused (ok false).")
    result: dict[str, JsonValue] = Field(
        default_factory=dict, max_length=64, description="Command-specific result data."
    )
    t: UtcTime = Field(description="When the ack was made, unix seconds UTC.")

    @model_validator(mode="after")
    def _reason(self) -> Self:
        if not self.ok and not self.reason:
            raise ValueError("a refusal (ok false) needs a reason")
        return self
