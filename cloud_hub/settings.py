"""The hub's configuration: validated once at start, then each stage gets only its section.

Sources, strongest first: environment variables ``CLOUD_HUB_<FIELD>`` (``__`` for nesting, e.g.
``CLOUD_HUB_MQTT__PORT=1884``), then the YAML file given to ``cloud-hub serve --config FILE``,
then keyword arguments, then the defaults below. Defaults run a single box in development mode:
SQLite registry and series under ``data_dir``, no ingest worker. Outside development mode the
placeholder secrets that the defaults carry are refused, so a forgotten secret cannot ship.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cloud_hub.console.settings import ConsoleSettings
from cloud_hub.errors import ValidationFailed
from cloud_hub.ingest.settings import IngestSettings
from cloud_hub.loop.settings import LoopSettings
from cloud_hub.mqtt_client import MqttSettings
from cloud_hub.rollouts.spec import RolloutSettings
from cloud_hub.series.settings import SeriesSettings
from cloud_hub.updates.settings import UpdatesSettings

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password", "admin"})
MIN_SECRET_KEY_CHARS = 32


class Section(BaseModel):
    """Base of every settings section: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class RegistrySettings(Section):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the registry, e.g. postgresql+psycopg://hub@db/hub; "
        "default: SQLite file registry.db under data_dir.",
    )
    echo_sql: bool = Field(default=False, description="Log every SQL statement (debugging).")


class AuthSettings(Section):
    secret_key: SecretStr = Field(
        default=SecretStr("changeme"),
        description=f"Server secret (>= {MIN_SECRET_KEY_CHARS} chars outside development).",
    )
    admin_username: str = Field(default="admin", description="Admin created at first start.")
    admin_password: SecretStr | None = Field(
        default=None, description="Password of the bootstrap admin; none: no admin is created."
    )
    session_ttl_s: int = Field(default=12 * 3600, ge=60, description="Login session lifetime.")
    throttle_free_failures: int = Field(
        default=3, ge=0, description="Failed logins per user and address before delays start."
    )
    throttle_base_s: float = Field(
        default=1.0, gt=0, description="First delay after the free ones."
    )
    throttle_max_s: float = Field(default=900.0, gt=0, description="Longest delay between tries.")
    throttle_user_free_failures: int = Field(
        default=10, ge=0, description="Failed logins per user, from any address, before delays."
    )
    throttle_address_free_failures: int = Field(
        default=30, ge=0, description="Failed logins per client address, any user, before delays."
    )
    throttle_window_s: float = Field(
        default=3600.0,
        gt=0,
        description="A login counter untouched this long starts again from zero and is pruned "
        "(at least throttle_max_s).",
    )

    @model_validator(mode="after")
    def _window_covers_delays(self) -> AuthSettings:
        # A counter forgotten while its lock still runs would let the next try through early.
        if self.throttle_window_s < self.throttle_max_s:
            raise ValueError("throttle_window_s must be at least throttle_max_s")
        return self


class AlertSettings(Section):
    enabled: bool = Field(default=False, description="Run the periodic alert evaluator.")
    interval_s: float = Field(default=60.0, gt=0, description="Seconds between evaluations.")
    webhook_timeout_s: float = Field(default=5.0, gt=0, description="Timeout of one webhook call.")
    webhook_retries: int = Field(default=3, ge=0, description="Retries of a failed webhook call.")


class BrokerFilesSettings(Section):
    password_file: Path | None = Field(
        default=None, description="Mosquitto password file that provisioning maintains."
    )
    acl_file: Path | None = Field(default=None, description="Mosquitto ACL file (informational).")
    pid_file: Path | None = Field(
        default=None, description="Mosquitto pid file: SIGHUP after changes so it reloads."
    )


class HttpSettings(Section):
    host: str = Field(default="127.0.0.1", description="Address the REST API listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the REST API.")
    proxy_headers: bool = Field(
        default=True,
        description="Take the client address from X-Forwarded-For when the peer is a trusted "
        "proxy (forwarded_allow_ips).",
    )
    forwarded_allow_ips: str | None = Field(
        default=None,
        description="Comma-separated addresses or networks (CIDR) of the reverse proxy whose "
        "X-Forwarded-For is trusted; '*' trusts any peer (only when nothing else can reach the "
        "hub); default: uvicorn's FORWARDED_ALLOW_IPS variable, else 127.0.0.1.",
    )

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses(cls, value: str | None) -> str | None:
        # Why here: uvicorn would take a typo as a literal host name that never matches, and
        # every login would silently share the proxy's throttle counter.
        if value is None:
            return None
        items = [v.strip() for v in value.split(",") if v.strip()]
        if not items:
            raise ValueError("forwarded_allow_ips is empty: leave it unset or name the proxy")
        for item in items:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(
                        f"forwarded_allow_ips: {item!r} is not an IP address or network"
                    ) from None
        return ",".join(items)


class HubSettings(BaseSettings):
    """Everything the hub needs; see docs/configuration.md for each field."""

    model_config = SettingsConfigDict(
        env_prefix="CLOUD_HUB_", env_nested_delimiter="__", extra="forbid"
    )

    mode: Literal["development", "production"] = Field(
        default="development",
        description="development accepts placeholder secrets; production refuses them.",
    )
    data_dir: Path = Field(default=Path("data/hub"), description="Where SQLite files live.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Level of the JSON logs."
    )
    http: HttpSettings = Field(default_factory=HttpSettings, description="HTTP listener.")
    registry: RegistrySettings = Field(default_factory=RegistrySettings, description="Registry.")
    series: SeriesSettings = Field(default_factory=SeriesSettings, description="Series store.")
    mqtt: MqttSettings = Field(default_factory=MqttSettings, description="Broker connection.")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Ingest worker.")
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Users and tokens.")
    alerts: AlertSettings = Field(default_factory=AlertSettings, description="Alert evaluation.")
    broker_files: BrokerFilesSettings = Field(
        default_factory=BrokerFilesSettings, description="Broker files provisioning writes."
    )
    rollouts: RolloutSettings = Field(
        default_factory=RolloutSettings, description="Staged model rollouts."
    )
    updates: UpdatesSettings = Field(
        default_factory=UpdatesSettings, description="Update repository served at /tuf."
    )
    console: ConsoleSettings = Field(default_factory=ConsoleSettings, description="Web console.")
    loop: LoopSettings = Field(
        default_factory=LoopSettings,
        description="Closed loop: samples, labels, calibration, drift.",
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
        # The environment beats the file (passed as init kwargs): ops override one field without
        # editing the file, as the architecture notes pin for both apps.
        return env_settings, init_settings

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> HubSettings:
        if self.mode == "development":
            return self
        key = self.auth.secret_key.get_secret_value()
        if key.lower() in PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_KEY_CHARS:
            raise ValueError(
                "auth.secret_key is a placeholder or shorter than "
                f"{MIN_SECRET_KEY_CHARS} characters; set CLOUD_HUB_AUTH__SECRET_KEY"
            )
        admin = self.auth.admin_password
        if admin is not None and admin.get_secret_value().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "auth.admin_password is a placeholder; set CLOUD_HUB_AUTH__ADMIN_PASSWORD"
            )
        s3_secret = self.loop.samples.s3.secret_access_key
        if s3_secret is not None and s3_secret.get_secret_value().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "loop.samples.s3.secret_access_key is a placeholder; "
                "set CLOUD_HUB_LOOP__SAMPLES__S3__SECRET_ACCESS_KEY"
            )
        return self

    @property
    def registry_url(self) -> str:
        """The registry URL, defaulting to a SQLite file under ``data_dir``."""
        return self.registry.url or f"sqlite:///{self.data_dir / 'registry.db'}"


def load_settings(config_file: Path | None = None) -> HubSettings:
    """Settings from ``config_file`` (YAML) if given, overridden by the environment.

    A missing file, bad YAML or invalid values raise :class:`ValidationFailed` naming the file.
    """
    data: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = yaml.safe_load(config_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise ValidationFailed(f"cannot read hub config {config_file}: {e}") from e
        if loaded is not None and not isinstance(loaded, dict):
            raise ValidationFailed(f"hub config {config_file} must be a mapping at the top level")
        data = loaded or {}
    try:
        return HubSettings(**data)
    except ValueError as e:
        where = f" in {config_file}" if config_file else ""
        raise ValidationFailed(f"invalid hub settings{where}: {e}") from e
