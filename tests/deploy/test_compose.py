"""deploy/compose: valid against the Compose spec schema, consistent with the hub's settings."""

from __future__ import annotations

import ipaddress
import json
import secrets
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from cloud_hub.settings import HubSettings
from tests.deploy.envcheck import interpolated, substitute, unknown_field

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "deploy" / "compose"
# compose_spec.json as shipped in docker-compose 1.29.2 (PyPI wheel, compose/config/).
SCHEMA = Path(__file__).with_name("compose_spec.json")
OPERATOR_PROVIDED = {"./certs", "./certs/ca.crt"}  # TLS material, created at install


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((COMPOSE_DIR / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _env_example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (COMPOSE_DIR / ".env.example").read_text().splitlines())
    return {k: v for k, v in (p for p in pairs if len(p) == 2) if not k.startswith("#")}


def test_compose_file_is_valid_against_the_compose_spec(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft201909Validator(schema).validate(compose)


def test_the_schema_refuses_a_broken_file(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = {**compose, "services": {"hub": {**compose["services"]["hub"], "prots": ["80"]}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft201909Validator(schema).validate(broken)


def test_every_hub_variable_is_a_settings_field_and_the_result_validates(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = compose["services"]["hub"]["environment"]
    assert [n for n in map(unknown_field, env) if n] == []
    fake = {name: secrets.token_urlsafe(32) for name in _env_example()}
    for name, value in env.items():
        monkeypatch.setenv(name, substitute(str(value), fake))
    settings = HubSettings()
    assert settings.mode == "production" and settings.ingest.enabled
    assert settings.series.backend == "influx" and settings.mqtt.tls


def test_secrets_come_only_from_env_and_each_is_required(compose: dict[str, Any]) -> None:
    example = _env_example()
    assert example and all(v == "REQUIRED" for v in example.values())
    used: set[str] = set()
    for service in compose["services"].values():
        for value in (service.get("environment") or {}).values():
            used.update(interpolated(str(value)))
    assert used == set(example)
    text = (COMPOSE_DIR / "compose.yaml").read_text()
    for name in used:  # every use refuses to start without it
        assert f"${{{name}}}" not in text and f"${{{name}:-" not in text


def test_bind_mounts_and_build_files_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith(".") and source not in OPERATOR_PROVIDED:
                assert (COMPOSE_DIR / source).exists(), f"{name}: {source} missing"
        if "build" in service:
            context = COMPOSE_DIR / service["build"]["context"]
            assert (context / service["build"]["dockerfile"]).is_file()


def test_ports_and_images_are_consistent(compose: dict[str, Any]) -> None:
    services = compose["services"]
    hub_env = services["hub"]["environment"]
    assert "hub:" + hub_env["CLOUD_HUB_HTTP__PORT"] in (COMPOSE_DIR / "Caddyfile").read_text()
    assert hub_env["CLOUD_HUB_MQTT__HOST"] == "mosquitto"
    assert f"{hub_env['CLOUD_HUB_MQTT__PORT']}:" in services["mosquitto"]["ports"][0]
    assert "listener 8883" in (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and (not image.endswith(":latest") or "build" in service), name
        assert "healthcheck" in service, f"{name} has no healthcheck"


def test_the_hub_trusts_forwarded_addresses_from_caddy_alone(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The login throttle counts per client address: behind Caddy that is X-Forwarded-For, which
    uvicorn must accept from Caddy's address and from nobody else."""
    services = compose["services"]
    env = services["hub"]["environment"]
    caddy_ip = services["caddy"]["networks"]["default"]["ipv4_address"]
    (subnet,) = [c["subnet"] for c in compose["networks"]["default"]["ipam"]["config"]]
    assert ipaddress.ip_address(caddy_ip) in ipaddress.ip_network(subnet)
    assert env["CLOUD_HUB_HTTP__FORWARDED_ALLOW_IPS"] == caddy_ip  # exactly Caddy, never "*"
    for name in ("CLOUD_HUB_HTTP__FORWARDED_ALLOW_IPS", "CLOUD_HUB_HTTP__PROXY_HEADERS"):
        monkeypatch.setenv(name, str(env[name]))
    http = HubSettings().http
    assert http.proxy_headers and http.forwarded_allow_ips == caddy_ip
    assert "ports" not in services["hub"]  # reachable only on the compose network
    # Caddy must not pass on a client's own X-Forwarded-For: no trusted_proxies of its own.
    lines = [x.strip() for x in (COMPOSE_DIR / "Caddyfile").read_text().splitlines()]
    directives = [x for x in lines if x and not x.startswith("#")]
    assert "reverse_proxy hub:8000" in directives
    assert not [x for x in directives if "trusted_proxies" in x]
