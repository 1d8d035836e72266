"""The demo's OTA story, part 1: keys, update repository and a signed v2 release, before the hub.

Everything goes through the product's own commands (``pm25-train keys …``, ``pm25-train
release``), printed as they run: root (3 keys, threshold 2) and targets keys in ``ota/keys`` (the
release pipeline's), snapshot and timestamp keys in ``ota/hub-keys`` (the hub's, public halves
handed over), repository in ``ota/repo``. The v2 release is the shipped baseline (``models/``)
re-released with its version bumped to 2: training a new model with ``pm25-train pipeline`` takes
far longer than a demo should on a small CPU, and identical weights make the shadow run agree.

:func:`prepare` runs before the hub starts (``demo.ota_rollout.install`` adds it): the hub gets
the ``updates`` and ``rollouts`` sections, the units the ``update`` section.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

from demo.broker import free_port
from demo.errors import DemoError
from demo.fleet import BIN
from demo.stack import MODEL, Stack
from pm25.manifest import load_manifest, write_manifest

PM25_TRAIN: Final = [str(BIN / "pm25-train")]
MODEL_NAME: Final = "pm25-haze"
NEW_VERSION: Final = 2
SHADOW_S: Final = 8.0  # both models side by side on the device before activation
HEARTBEAT_S: Final = 3.0
EVALUATE_S: Final = 1.0


def prepare(stack: Stack) -> None:
    """Keys, repository and signed release in ``<run dir>/ota``; hub and unit settings for them."""
    ota = stack.run_dir / "ota"
    if not MODEL.exists():
        raise DemoError(f"no baseline model at {MODEL}: build it with `pm25-train baseline`")
    print("OTA: signing keys, update repository and release v2 with pm25-train:")
    repo = sign_release(ota, MODEL.parent)
    port = stack.args.http_port or free_port()
    stack.args.http_port = port
    stack.hub_sections["updates"] = {
        "repo_dir": str(repo),
        "online_keys_dir": str(ota / "hub-keys"),
        "refresh_interval_s": 3600,
    }
    stack.hub_sections["rollouts"] = {
        "enabled": True,
        "interval_s": EVALUATE_S,
        "repository_url": f"http://127.0.0.1:{port}/tuf",
        "repository_dir": str(repo),
    }
    stack.unit_env.update(
        {
            "EDGE_AGENT_UPDATE__ENABLED": "true",
            "EDGE_AGENT_UPDATE__REPOSITORY_URL": f"http://127.0.0.1:{port}/tuf",
            "EDGE_AGENT_UPDATE__TRUSTED_ROOT": str(repo / "metadata" / "1.root.json"),
            "EDGE_AGENT_UPDATE__MODEL_NAME": MODEL_NAME,
            "EDGE_AGENT_UPDATE__SHADOW_S": str(SHADOW_S),
            "EDGE_AGENT_HEARTBEAT__INTERVAL_S": str(HEARTBEAT_S),
        }
    )
    print(
        f"OTA: the hub serves {repo} at /tuf and refreshes timestamp/snapshot with the keys in "
        f"{ota / 'hub-keys'} only; units trust {repo / 'metadata' / '1.root.json'}"
    )


def sign_release(ota: Path, baseline: Path) -> Path:
    """Run the key, init and release commands; the repository directory (not yet refreshed)."""
    keys, hub_keys, repo = ota / "keys", ota / "hub-keys", ota / "repo"
    pm25_train("keys", "generate", "--role", "root", "--dir", keys, "--count", "3")
    pm25_train("keys", "generate", "--role", "targets", "--dir", keys)
    for role in ("snapshot", "timestamp"):
        pm25_train("keys", "generate", "--role", role, "--dir", hub_keys)
    for public in sorted(hub_keys.glob("*.pub.json")):  # the hub hands over public halves only
        shutil.copy2(public, keys / public.name)
    pm25_train("keys", "init", "--repo", repo, "--dir", keys, "--root-threshold", "2")
    release = bump_version(baseline, ota / f"release-v{NEW_VERSION}", NEW_VERSION)
    targets_key = next(keys.glob("targets-*.pem"))
    out = pm25_train("release", "--repo", repo, "--manifest", release, "--targets-key", targets_key)
    info = out["released"]
    print(
        f"OTA: released {info['name']} v{info['version']} ({info['label']}), signed as TUF targets"
    )
    return repo


def bump_version(baseline: Path, where: Path, version: int) -> Path:
    """A copy of the release folder `baseline` with its manifest at `version`; the manifest path."""
    shutil.copytree(baseline, where)
    manifest = load_manifest(where / "manifest.json")
    label = f"baseline re-released as v{version}"
    write_manifest(
        manifest.model_copy(update={"version": version, "label": label}), where / "manifest.json"
    )
    return where / "manifest.json"


def pm25_train(*argv: str | Path) -> dict[str, Any]:
    """Run one ``pm25-train`` command, show it, return its JSON result."""
    args = [str(a) for a in argv]
    print("  $ pm25-train " + shlex.join(args))
    done = subprocess.run([*PM25_TRAIN, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DemoError(f"pm25-train {args[0]} failed: {done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result
