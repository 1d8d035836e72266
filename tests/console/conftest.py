"""Fixtures for the console tests: one live hub and one real headless Chromium per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_hub.console.mount import missing_assets
from tests.console.browser import Browser, launch
from tests.console.live_hub import LiveHub, live_hub

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto is not installed: run scripts/install-system-deps.sh")
    with live_hub(tmp_path_factory.mktemp("console")) as hub:
        yield hub


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Fail, not skip: the console is only tested if these exist (make test installs both).
    assert Path(CHROMIUM).exists(), "Debian chromium missing: run scripts/install-system-deps.sh"
    assert missing_assets() == [], "console assets missing: run make console-assets"
    with launch(CHROMIUM) as b:
        yield b
