"""The hub's router over real HTTP (uvicorn): devices update through it, resuming with Range."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cloud_hub.updates import make_updates_router, refresh
from pm25.ota import RepositoryFiles
from tests.ota.helpers import Repo, make_manager, provision


@pytest.fixture
def hub_url(repo: Repo) -> Iterator[str]:
    app = FastAPI()
    app.include_router(make_updates_router(repo.store.root))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/tuf"
    server.should_exit = True
    thread.join(5)


def test_device_updates_through_the_hub_router(repo: Repo, hub_url: str, tmp_path: Path) -> None:
    device = tmp_path / "device"
    slots = provision(device, repo.template)
    repo.release(2)
    report = make_manager(repo.store.root, hub_url, device).run_once()
    assert report.outcome == "installed", report.detail
    assert slots.active() == "b"


def test_router_serves_ranges_and_nothing_outside(repo: Repo) -> None:
    client = TestClient(_app(repo.store.root))
    assert client.get("/tuf/metadata/root.json").status_code == 200
    assert client.get("/tuf/metadata/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/tuf/targets/..%2Fmetadata%2Froot.json").status_code == 404
    assert client.get("/tuf/metadata/9.root.json").status_code == 404
    whole = client.get("/tuf/metadata/1.root.json").content
    part = client.get("/tuf/metadata/1.root.json", headers={"Range": "bytes=10-"})
    assert part.status_code == 206 and part.content == whole[10:]


def test_refresh_is_short_lived_and_bumps_timestamp(repo: Repo) -> None:
    files = RepositoryFiles(repo.store.root)
    before = repo.store.load("timestamp").signed.version
    snap, ts = refresh(files, repo.online)
    assert ts == before + 1
    assert snap == repo.store.latest_version("snapshot")  # targets unchanged: same snapshot
    timestamp = repo.store.load("timestamp").signed
    assert (timestamp.expires - timestamp.expires.now(timestamp.expires.tzinfo)).days < 1


def _app(root: Path) -> FastAPI:
    app = FastAPI()
    app.include_router(make_updates_router(root))
    return app
