"""Reference readings with and without relative humidity, on SQLite and the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloud_hub.errors import ValidationFailed
from cloud_hub.registry import Registry, monitors


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    reg = Registry.open(registry_url)
    with reg.session() as s:
        monitors.create_monitor(s, "alice", "ref-1", name="Station", lat=48.1, lon=11.5)
    yield reg
    reg.close()


def _stored(registry: Registry) -> list[tuple[float, float, float | None]]:
    with registry.session() as s:
        return [(r.t, r.pm25, r.rh) for r in monitors.readings(s, "ref-1", 0, 10_000)]


def test_rh_is_optional_per_reading(registry: Registry) -> None:
    with registry.session() as s:
        monitors.add_readings(s, "alice", "ref-1", [(100, 12.5, 81.5), (200, 13.0, None)])
        monitors.add_readings(s, "alice", "ref-1", [(300, 14.0)])  # callers without RH
    assert _stored(registry) == [(100, 12.5, 81.5), (200, 13.0, None), (300, 14.0, None)]


@pytest.mark.parametrize("rh", [-0.1, 100.1, float("nan"), float("inf")])
def test_bad_rh_names_the_reading_and_stores_nothing(registry: Registry, rh: float) -> None:
    refused = pytest.raises(ValidationFailed, match=r"reading 1: rh \S+ is outside 0\.\.100 %")
    with refused, registry.session() as s:
        monitors.add_readings(s, "alice", "ref-1", [(100, 12.5, 50.0), (200, 13.0, rh)])
    assert _stored(registry) == []
