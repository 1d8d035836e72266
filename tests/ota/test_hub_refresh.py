"""The hub with an ``updates`` section: serves /tuf and keeps timestamp/snapshot fresh itself."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cloud_hub.periodic import PeriodicTask
from cloud_hub.settings import HubSettings
from tests.cloud_hub.hub_support import HubClient, running_hub
from tests.ota.helpers import Repo
from training.signing.keys import generate_key


def _updates(repo: Repo, keys: Path, interval_s: float = 0.2) -> dict[str, Any]:
    return {"updates": {"repo_dir": str(repo.store.root), "online_keys_dir": str(keys),
                        "refresh_interval_s": interval_s}}  # fmt: skip


def _timestamp(h: HubClient) -> dict[str, Any]:
    r = h.client.get("/tuf/metadata/timestamp.json")
    assert r.status_code == 200, r.text
    signed: dict[str, Any] = json.loads(r.content)["signed"]
    return signed


def _wait(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_hub_serves_and_refreshes_the_timestamp(tmp_path: Path, repo: Repo) -> None:
    before = json.loads(repo.store.read("timestamp"))["signed"]["version"]
    with running_hub(tmp_path, **_updates(repo, tmp_path / "hub-keys")) as h:
        _wait(lambda: _timestamp(h)["version"] >= before + 3)  # at start, then every 0.2 s
        signed = _timestamp(h)
        expires = datetime.fromisoformat(signed["expires"].replace("Z", "+00:00"))
        assert expires > datetime.now(UTC) + timedelta(hours=23)
        repo.release(2)  # a release signed meanwhile: the next snapshot names its targets
        targets = repo.store.latest_version("targets")
        _wait(lambda: h.client.get(f"/tuf/metadata/{targets}.targets.json").status_code == 200)
        assert h.client.get("/ready").json()["checks"]["updates"] == "ok"
        metrics = h.client.get("/metrics").text
        assert "hub_tuf_timestamp_expires_at_seconds" in metrics
        assert "hub_tuf_refresh_failures_total 0.0" in metrics
        assert h.client.get("/tuf/metadata/../../etc/passwd").status_code == 404


def test_a_failing_refresh_shows_in_ready_and_metrics(tmp_path: Path, repo: Repo) -> None:
    strangers = tmp_path / "stranger-keys"  # keys root does not give the online roles
    for role in ("snapshot", "timestamp"):
        generate_key(strangers, role)
    with running_hub(tmp_path, **_updates(repo, strangers)) as h:
        _wait(lambda: h.client.get("/ready").status_code == 503)
        check = h.client.get("/ready").json()["checks"]["updates"]
        assert "refresh failing" in check and "is not a snapshot key" in check
        assert "hub_tuf_refresh_failures_total 0.0" not in h.client.get("/metrics").text


def test_online_keys_need_a_repository_dir(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"online_keys_dir needs updates\.repo_dir"):
        HubSettings.model_validate({"updates": {"online_keys_dir": str(tmp_path)}})
    with pytest.raises(ValidationError, match="refresh_interval_s"):
        HubSettings.model_validate({"updates": {"refresh_interval_s": 2 * 86400}})


def test_without_a_repository_there_is_no_tuf_route(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        assert h.client.get("/tuf/metadata/timestamp.json").status_code == 404
        assert "updates" not in h.client.get("/ready").json()["checks"]


def test_a_periodic_task_survives_failing_rounds() -> None:
    calls: list[int] = []
    done = threading.Event()

    def flaky() -> None:
        calls.append(1)
        if len(calls) >= 4:
            done.set()
        if len(calls) % 2:
            raise RuntimeError("boom")

    task = PeriodicTask("flaky", 0.01, flaky, run_at_start=True)
    task.start()
    assert done.wait(5)
    task.stop()
    assert task.runs >= 4 and task.failures >= 2 and task.runs == len(calls)
    with pytest.raises(ValueError, match="interval_s must be positive"):
        PeriodicTask("bad", 0, flaky)
