"""Hub settings: defaults, YAML file, environment overrides, and refused placeholder secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_hub.errors import ValidationFailed
from cloud_hub.settings import HubSettings, load_settings

STRONG = "s" * 40


def test_defaults_are_development_on_sqlite() -> None:
    s = HubSettings()
    assert s.mode == "development"
    assert s.registry_url.startswith("sqlite:///") and s.registry_url.endswith("registry.db")
    assert not s.ingest.enabled


def test_yaml_file_then_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "hub.yaml"
    cfg.write_text("mqtt:\n  host: broker.example\n  port: 1883\nlog_level: DEBUG\n")
    monkeypatch.setenv("CLOUD_HUB_MQTT__PORT", "8883")
    s = load_settings(cfg)
    assert (s.mqtt.host, s.mqtt.port, s.log_level) == ("broker.example", 8883, "DEBUG")


@pytest.mark.parametrize("placeholder", ["changeme", "CHANGEME", "secret", "short"])
def test_placeholder_secret_key_refused_in_production(placeholder: str) -> None:
    with pytest.raises(ValueError, match="secret_key"):
        HubSettings(mode="production", auth={"secret_key": placeholder})


def test_placeholder_admin_password_refused_in_production() -> None:
    with pytest.raises(ValueError, match="admin_password"):
        HubSettings(
            mode="production",
            auth={"secret_key": STRONG, "admin_password": "changeme"},
        )


def test_production_with_real_secrets_and_development_with_placeholders() -> None:
    HubSettings(mode="production", auth={"secret_key": STRONG, "admin_password": "x" * 16})
    HubSettings(mode="development", auth={"admin_password": "changeme"})


def test_production_env_refuses_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUD_HUB_MODE", "production")
    with pytest.raises(ValidationFailed, match="secret_key"):
        load_settings()


def test_secrets_do_not_show_in_repr() -> None:
    s = HubSettings(auth={"secret_key": STRONG, "admin_password": "hunter2hunter2"})
    assert STRONG not in repr(s) and "hunter2" not in repr(s)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("mqtt: [1, 2", "cannot read"),
        ("- a\n- b\n", "mapping"),
        ("unknown_field: 1\n", "unknown_field"),
        ("mqtt:\n  port: 70000\n", "port"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, text: str, match: str) -> None:
    cfg = tmp_path / "hub.yaml"
    cfg.write_text(text)
    with pytest.raises(ValidationFailed, match=match):
        load_settings(cfg)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="cannot read"):
        load_settings(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("value", "match"),
    [("caddy", "'caddy' is not an IP address"), (" , ", "is empty"),
     ("10.0.0.1,10.0.0.0/33", "'10.0.0.0/33' is not")],
)  # fmt: skip
def test_a_bad_trusted_proxy_address_is_refused(value: str, match: str) -> None:
    """A host name or a typo would never match the proxy: every client would share its counter."""
    with pytest.raises(ValueError, match=match):
        HubSettings.model_validate({"http": {"forwarded_allow_ips": value}})


def test_trusted_proxies_accept_addresses_networks_and_any() -> None:
    http = HubSettings.model_validate({"http": {"forwarded_allow_ips": " 10.0.0.0/8, ::1 "}}).http
    assert http.forwarded_allow_ips == "10.0.0.0/8,::1" and http.proxy_headers
    assert HubSettings.model_validate({"http": {"forwarded_allow_ips": "*"}}).http
    assert HubSettings().http.forwarded_allow_ips is None  # uvicorn's own default then
