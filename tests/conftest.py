"""Fixtures shared by the whole suite: real servers on free ports, started and stopped here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mosquitto import MosquittoBroker

HUB_USER = ("hub", "hub-test-password")
WATCHER_USER = ("watcher", "watcher-test-password")


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A real Mosquitto with auth and the device ACL. Add device users before ``start()``.

    ``hub`` and ``watcher`` are superusers (the hub and an independent test subscriber).
    """
    broker = MosquittoBroker(
        workdir=tmp_path / "mosquitto",
        users={HUB_USER[0]: HUB_USER[1], WATCHER_USER[0]: WATCHER_USER[1]},
        superusers=(HUB_USER[0], WATCHER_USER[0]),
    )
    yield broker
    broker.stop()
