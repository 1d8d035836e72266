"""AgentConfig: YAML file, env overrides, overlay, clear errors, remote patches, profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge_agent.config import AgentConfig, load_config, merge_patch
from edge_agent.config_store import ConfigStore
from edge_agent.errors import ConfigError

PROFILES = sorted((Path(__file__).resolve().parents[2] / "firmware_configs").glob("*.yaml"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    return path


def _basic(tmp_path: Path, extra: str = "") -> Path:
    return _write(tmp_path, f"device_id: cam-7\ndata_dir: {tmp_path / 'data'}\n{extra}")


def test_yaml_file_is_validated_into_sections(tmp_path: Path) -> None:
    cfg = load_config(_basic(tmp_path, "mqtt:\n  host: broker.local\n  port: 8883\n"))
    assert (cfg.device_id, cfg.mqtt.host, cfg.mqtt.port) == ("cam-7", "broker.local", 8883)
    assert cfg.uplink.max_count == 180


def test_env_overrides_the_file_with_nesting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDGE_AGENT_MQTT__PORT", "1884")
    monkeypatch.setenv("EDGE_AGENT_DEVICE_ID", "cam-env")
    cfg = load_config(_basic(tmp_path, "mqtt:\n  host: broker.local\n  port: 8883\n"))
    assert (cfg.device_id, cfg.mqtt.host, cfg.mqtt.port) == ("cam-env", "broker.local", 1884)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("mqtt:\n  port: 70000\n", "mqtt.port"),
        ("mqtt:\n  prot: 1\n", "mqtt.prot"),
        ("uplink:\n  max_count: 0\n", "uplink.max_count"),
        ("surprise: 1\n", "surprise"),
    ],
)
def test_invalid_config_names_the_field(tmp_path: Path, extra: str, field: str) -> None:
    with pytest.raises(ConfigError, match=rf"field '{field}'"):
        load_config(_basic(tmp_path, extra))


@pytest.mark.parametrize("text", ["device_id: [unclosed\n", "- a list\n"])
def test_unreadable_yaml_is_a_config_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match=str(tmp_path)):
        load_config(_write(tmp_path, text))


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")


def test_bad_device_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="field 'device_id'"):
        load_config(_write(tmp_path, "device_id: Cam/7\n"))


def test_remote_patch_is_validated_persisted_and_reloaded(tmp_path: Path) -> None:
    path = _basic(tmp_path)
    seen: list[AgentConfig] = []
    store = ConfigStore(path, load_config(path), seen.append)
    assert store.apply_patch({"uplink": {"max_count": 10}}) is None
    assert seen[-1].uplink.max_count == 10
    assert load_config(path).uplink.max_count == 10, "the overlay should survive a restart"
    reason = store.apply_patch({"uplink": {"max_count": "lots"}})
    assert reason is not None and "uplink.max_count" in reason
    assert store.current.uplink.max_count == 10 and len(seen) == 1
    assert (
        store.apply_patch({"device_id": "other"}) == "field 'device_id' cannot be changed remotely"
    )
    assert store.apply_patch({"uplink": {"max_count": None}}) is None
    assert load_config(path).uplink.max_count == 180


def test_env_beats_the_overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _basic(tmp_path)
    ConfigStore(path, load_config(path), lambda _c: None).apply_patch({"mqtt": {"port": 2000}})
    monkeypatch.setenv("EDGE_AGENT_MQTT__PORT", "1884")
    assert load_config(path).mqtt.port == 1884


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": 1}, {"a": None}, {}),
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}, {"a": {"c": 2, "d": 3}}),
        ({"a": [1]}, {"a": [2]}, {"a": [2]}),
        ({}, {"a": {"b": None}}, {"a": {}}),
    ],
)
def test_merge_patch(target: dict[str, Any], patch: dict[str, Any], result: dict[str, Any]) -> None:
    assert merge_patch(target, patch) == result


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_firmware_profiles_are_valid(
    profile: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EDGE_AGENT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EDGE_AGENT_DEVICE_ID", "cam-0042")
    cfg = load_config(profile)
    assert cfg.device_id == "cam-0042" and cfg.data_dir == tmp_path


def test_every_profile_exists() -> None:
    assert {p.stem for p in PROFILES} >= {"dev", "rpi4", "rpi5", "jetson-orin-nano"}
