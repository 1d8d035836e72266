"""The drift checker itself: it accepts real fields and names the wrong ones."""

from __future__ import annotations

import pytest

from tests.deploy.envcheck import interpolated, unknown_field


@pytest.mark.parametrize(
    "name",
    [
        "CLOUD_HUB_MODE",
        "CLOUD_HUB_SERIES__INFLUX__TOKEN",
        "EDGE_AGENT_MQTT__PORT",
        "EDGE_AGENT_DEVICE_ID",
    ],
)
def test_real_fields_are_known(name: str) -> None:
    assert unknown_field(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("CLOUD_HUB_MQTT__HOSTNAME", "no field 'hostname'"),
        ("CLOUD_HUB_MODE__X", "not a section"),
        ("EDGE_AGENT_MQTT__TLS__CAFILE", "no field 'cafile'"),
        ("HUB_MODE", "not a CLOUD_HUB_"),
    ],
)
def test_wrong_names_are_named(name: str, why: str) -> None:
    assert why in (unknown_field(name) or "")


def test_interpolations_are_found() -> None:
    assert interpolated("postgresql://hub:${PW:?REQUIRED}@db/${DB}") == ["PW", "DB"]
