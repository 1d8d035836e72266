"""The agent configuration: one YAML file validated once into :class:`AgentConfig`.

Precedence, lowest first: defaults, the YAML file, the overlay that remote ``config`` commands
persist in ``data_dir``, then environment variables ``EDGE_AGENT_<FIELD>`` (``__`` nests, e.g.
``EDGE_AGENT_MQTT__PORT=1884``): the operator on the box has the last word. Each stage is handed
only its own section.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from edge_agent.capture import CaptureConfig
from edge_agent.config_sections import (
    CalibrationConfig,
    HeartbeatConfig,
    LoggingConfig,
    MqttConfig,
    OutboxConfig,
    UplinkConfig,
)
from edge_agent.errors import ConfigError, ConfigFieldError
from edge_agent.gate import GateConfig
from edge_agent.inference.config import InferenceConfig
from edge_agent.update_config import UpdateConfig
from pm25.topics import DEVICE_ID_PATTERN

ENV_PREFIX = "EDGE_AGENT_"
OVERLAY_FILE = "config-overlay.json"
FIXED_FIELDS = ("device_id", "data_dir")  # not changeable by a remote config command


class AgentConfig(BaseSettings):
    """Everything a camera unit needs to run."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    device_id: str = Field(
        pattern=DEVICE_ID_PATTERN,
        description="This unit's id: MQTT client id, user name and topic level (a-z 0-9 _ -).",
    )
    data_dir: Path = Field(
        Path("/var/lib/edge-agent"), description="Outbox, config overlay and state live here."
    )
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="Broker connection.")
    capture: CaptureConfig = Field(default_factory=CaptureConfig, description="Camera.")
    gate: GateConfig = Field(default_factory=GateConfig, description="Quality gate.")
    inference: InferenceConfig = Field(default_factory=InferenceConfig, description="Model.")
    outbox: OutboxConfig = Field(default_factory=OutboxConfig, description="Durable outbox.")
    uplink: UplinkConfig = Field(default_factory=UplinkConfig, description="Reading batches.")
    heartbeat: HeartbeatConfig = Field(default_factory=HeartbeatConfig, description="Health.")
    logging: LoggingConfig = Field(default_factory=LoggingConfig, description="Log output.")
    update: UpdateConfig = Field(default_factory=UpdateConfig, description="Model updates.")
    calibration: CalibrationConfig = Field(
        default_factory=CalibrationConfig, description="Site calibration (pushed by the hub)."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)  # env beats the file (passed as init data)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: dicts merge recursively, ``None`` removes a key."""
    if not isinstance(patch, Mapping):
        return patch
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {path} is not valid YAML: {e}") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping, not {type(data).__name__}")
    return data


def read_overlay(data_dir: Path) -> dict[str, Any]:
    path = data_dir / OVERLAY_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise ConfigError(f"config overlay {path} is unreadable: {e}") from e
    return data if isinstance(data, dict) else {}


def write_overlay(data_dir: Path, overlay: Mapping[str, Any]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / OVERLAY_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(overlay, indent=2, sort_keys=True))
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def validate(data: Mapping[str, Any], source: str) -> AgentConfig:
    """Build the config from plain data (plus env); :class:`ConfigError` names every bad field."""
    try:
        return AgentConfig(**data)
    except ValidationError as e:
        problems = "; ".join(
            f"field '{'.'.join(str(p) for p in err['loc']) or '<root>'}': {err['msg']}"
            + (f" (got {err['input']!r})" if not isinstance(err["input"], dict) else "")
            for err in e.errors()
        )
        raise ConfigFieldError(source, problems) from e


def load_config(path: Path | None, *, overlay: Mapping[str, Any] | None = None) -> AgentConfig:
    """The validated config from ``path`` (None: defaults and env only) plus the data-dir overlay.

    ``overlay`` replaces the one on disk (used to check a remote patch before persisting it).
    """
    base = read_yaml(path) if path is not None else {}
    source = str(path) if path is not None else "the environment"
    first = validate(base, source)
    extra = read_overlay(first.data_dir) if overlay is None else dict(overlay)
    if not extra:
        return first
    return validate(merge_patch(base, extra), f"{source} + {first.data_dir / OVERLAY_FILE}")
