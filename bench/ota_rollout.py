"""Bytes the update repository serves in a 1,000-device rollout, and devices left without a model.

Measured, not simulated, for a sample of devices: the shipped baseline re-released as v2 is signed
into a TUF repository, served by the hub's real router (``make_updates_router`` under uvicorn,
wrapped by a byte counter), and each sample device runs the real device updater
(``UpdateManager.run_once``: TUF refresh, resumable download, verification, self-test, A/B
activation) from its own v1 slot. Faults injected on some devices' transfers: a tampered target,
a connection cut mid-file (the device retries and resumes), the repository answering 503. After
its runs every device's active slot must pass the self-test: "without a working model" counts
those that do not (goal 0).

The 1,000-device figure extrapolates the clean per-device bytes to the devices that download in
the simulated staged rollout of ``bench.rollout`` (run here, same machine): updated devices plus
those that report a failed self-test; silent ones fetch nothing. Baseline in the same run: the
release's own size (manifest + artifacts), the least any device must fetch.

``python -m bench.ota_rollout``
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, Final

import uvicorn
from fastapi import FastAPI

from bench import rollout
from bench.report import print_table, write_json
from cloud_hub.updates import OnlineSigners, make_updates_router, refresh
from edge_agent.errors import EdgeAgentError
from edge_agent.inference.config import InferenceConfig
from edge_agent.update.manager import UpdateManager
from edge_agent.update.policy import UpdatePolicy
from edge_agent.update.selftest import self_test
from edge_agent.update.slots import Slots
from edge_agent.update.state import StateFile
from edge_agent.update.updater import TufClient
from pm25.manifest import load_manifest, write_manifest
from pm25.ota import RepositoryFiles
from training.signing.keys import generate_key, load_signer
from training.signing.repo import add_release, init_repository
from training.signing.store import RepositoryStore

BASELINE: Final = Path(__file__).resolve().parent.parent / "models"
CLEAN: Final = 24
FAULTS: Final = {"tamper": 3, "cut": 3, "unavailable": 3}
INFERENCE: Final = InferenceConfig(warmup_runs=0, timing_runs=1)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


class Counted:
    """ASGI wrapper: counts response body bytes; injects one fault into target responses."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.bytes = 0
        self.requests = 0
        self.fault: str | None = None

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        fault = self.fault if scope["path"].startswith("/tuf/targets/") else None
        if fault == "unavailable":
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.body":
                body = message.get("body", b"")
                if fault == "tamper" and body:
                    body = message["body"] = body[:-1] + bytes([body[-1] ^ 0xFF])
                if fault == "cut" and len(body) > 1:
                    self.bytes += len(body) // 2
                    await send({**message, "body": body[: len(body) // 2], "more_body": True})
                    raise ConnectionAbortedError("injected: connection cut")
                self.bytes += len(body)
            await send(message)

        await self.app(scope, receive, counting)


def _repository(tmp: Path) -> tuple[Path, int]:
    keys = {r: generate_key(tmp / "keys", r) for r in ("root", "targets", "snapshot", "timestamp")}
    signer = {r: load_signer(k.path, k.role) for r, k in keys.items()}
    store = RepositoryStore(tmp / "repo")
    init_repository(store, [signer["root"]], 1,
                    {r: [signer[r].public_key] for r in ("targets", "snapshot", "timestamp")},
                    signer["targets"])  # fmt: skip
    release = tmp / "release-v2"
    shutil.copytree(BASELINE, release)
    manifest = load_manifest(release / "manifest.json")
    write_manifest(manifest.model_copy(update={"version": 2}), release / "manifest.json")
    add_release(store, release / "manifest.json", signer["targets"])
    online = tmp / "hub-keys"
    online.mkdir()
    for role in ("snapshot", "timestamp"):
        shutil.copy2(keys[role].path, online / keys[role].path.name)
    refresh(RepositoryFiles(store.root), OnlineSigners.load(online))
    size = sum((release / a.filename).stat().st_size for a in manifest.artifacts)
    return store.root, size + (release / "manifest.json").stat().st_size


def _serve(app: Counted) -> tuple[uvicorn.Server, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{port}/tuf"


def _device(repo: Path, url: str, where: Path) -> UpdateManager:
    slots = Slots(where / "models")
    shutil.copytree(BASELINE, slots.path("a"))
    slots.activate("a")
    client = TufClient(metadata_dir=where / "tuf", partial_dir=where / "partial", repo_url=url,
                       bootstrap_root=RepositoryFiles(repo).read("root", 1),
                       timeout_s=10.0)  # fmt: skip
    return UpdateManager(client=client, slots=slots, state=StateFile(where / "state.json"),
                         policy=UpdatePolicy(), inference=INFERENCE,
                         model_name=load_manifest(BASELINE / "manifest.json").name)  # fmt: skip


def _works(manager: UpdateManager) -> bool:
    active = manager.slots.active()
    if active is None:
        return False
    try:
        self_test(manager.slots.path(active), INFERENCE)
    except EdgeAgentError:
        return False
    return True


def _fleet(repo: Path, app: Counted, url: str, tmp: Path) -> dict[str, Any]:
    plan = ["clean"] * CLEAN + [f for f, n in FAULTS.items() for _ in range(n)]
    outcome: dict[str, list[str]] = {}
    clean_bytes: list[int] = []
    broken = 0
    started = time.perf_counter()
    for i, fault in enumerate(plan):
        manager = _device(repo, url, tmp / f"dev-{i}")
        before = app.bytes
        app.fault = None if fault == "clean" else fault
        first = manager.run_once().outcome
        app.fault = None
        second = manager.run_once().outcome if fault == "cut" else None  # resume after the cut
        outcome.setdefault(fault, []).append(f"{first}/{second}" if second else first)
        if fault == "clean":
            clean_bytes.append(app.bytes - before)
        broken += not _works(manager)
    return {"outcomes": outcome, "per_device_bytes": sum(clean_bytes) / len(clean_bytes),
            "without_working_model": broken, "sample_devices": len(plan),
            "sample_wall_s": round(time.perf_counter() - started, 2)}  # fmt: skip


def run() -> dict[str, object]:
    sim = rollout.run()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        repo, release_bytes = _repository(tmp)
        app = Counted(FastAPI())
        app.app.include_router(make_updates_router(repo))
        server, url = _serve(app)
        try:
            fleet = _fleet(repo, app, url, tmp)
        finally:
            server.should_exit = True
    downloading = int(str(sim["devices_updated"])) + int(str(sim["injected_failing"]))
    per_device = float(fleet["per_device_bytes"])
    results: dict[str, object] = {
        **fleet,
        "release_bytes": release_bytes,
        "per_device_vs_release": round(per_device / release_bytes, 3),
        "rollout_devices": sim["devices"],
        "rollout_downloading_devices": downloading,
        "rollout_bytes_served": round(per_device * downloading),
        "sample_bytes_served": app.bytes,
    }
    print_table("OTA repository traffic (real router, real device updater)",
                ["figure", "value"],
                [[k, results[k]] for k in ("per_device_bytes", "release_bytes",
                  "per_device_vs_release", "rollout_downloading_devices", "rollout_bytes_served",
                  "sample_devices", "without_working_model", "sample_wall_s")])  # fmt: skip
    print_table("Sample devices by injected fault", ["fault", "outcomes (first/after retry)"],
                [[f, ", ".join(sorted(set(o)))] for f, o in fleet["outcomes"].items()])  # fmt: skip
    write_json("ota_rollout", results)
    return results


if __name__ == "__main__":
    run()
