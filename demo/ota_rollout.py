"""The demo's OTA story, part 2: a staged rollout created over the hub's API, followed to its end.

Stages 34 % → 100 % of the units, automatic advance after a short soak, zone budget as the hub
defaults it. Every change of the rollout (state, stage, device counts) is printed with the gate
values it was decided on; at the end a summary (also ``<run dir>/ota-summary.json``) gives each
unit's model version as its own heartbeats report it.
"""

from __future__ import annotations

import json
import time
from typing import Any, Final

from demo.hub import Api
from demo.ota import MODEL_NAME, NEW_VERSION, prepare
from demo.stack import Stack

FRACTIONS: Final = (0.34, 1.0)
SOAK_S: Final = 5.0
FOLLOW_MAX_S: Final = 600.0
POLL_S: Final = 1.0


def install(stack: Stack) -> None:
    """Make `stack` run the OTA story (``make demo-ota``)."""
    stack.before_hub.append(prepare)
    stack.after_start.append(follow)


def follow(stack: Stack, api: Api) -> None:
    """Wait for every unit's first heartbeat on v1, create the rollout, print it until it ends."""
    wait_for_heartbeats(stack, api)
    spec = {
        "stages": {"fractions": list(FRACTIONS)},
        "mode": "auto",
        "gates": {"soak_s": SOAK_S, "silent_timeout_s": 300, "min_shadow_agreement": 0.8},
    }
    body = {"model_name": MODEL_NAME, "version": NEW_VERSION, "spec": spec}
    created = api.call("POST", "/rollouts", body)
    rid = created["id"]
    stages = " → ".join(f"{f:.0%}" for f in FRACTIONS)
    print(f"OTA: rollout {rid} created over the API: {MODEL_NAME} v{NEW_VERSION}, stages "
          f"{stages}, auto-advance after {SOAK_S:.0f} s soak")  # fmt: skip
    started = time.monotonic()
    last: tuple[object, ...] | None = None
    got = created
    while not stack.stop.wait(POLL_S):
        got = api.call("GET", f"/rollouts/{rid}")
        key = (got["state"], got["stage"], tuple(sorted(got["devices"].items())))
        if key != last:
            print(f"[{time.monotonic() - started:5.1f} s] " + transition(got))
            last = key
        if got["state"] != "running" or time.monotonic() - started > FOLLOW_MAX_S:
            break
    summary = summarise(api, stack, got, time.monotonic() - started)
    path = stack.run_dir / "ota-summary.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nOTA summary: rollout {summary['state']} in {summary['seconds']:.0f} s; unit models: "
          + ", ".join(f"{d} v{v}" for d, v in summary["model_versions"].items())
          + f" ({path}). The units keep running; Ctrl-C stops everything.\n")  # fmt: skip


def wait_for_heartbeats(stack: Stack, api: Api, timeout_s: float = 120.0) -> None:
    """Block until the hub has a model version for every unit (their first heartbeat)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not stack.stop.is_set():
        versions = unit_versions(api, stack)
        if all(v is not None for v in versions.values()):
            print("OTA: every unit reports model v" + ", v".join(map(str, set(versions.values()))))
            return
        stack.stop.wait(POLL_S)
    print("OTA: not every unit has sent a heartbeat yet; creating the rollout anyway")


def unit_versions(api: Api, stack: Stack) -> dict[str, int | None]:
    listed = {d["id"]: d.get("model_version") for d in api.call("GET", "/devices")}
    return {u.device_id: listed.get(u.device_id) for u in stack.units}


def transition(got: dict[str, Any]) -> str:
    """One line: state, stage, devices by state, and the gate values of the last decision."""
    stages = got["stages"]
    stage = min(got["stage"], len(stages) - 1)
    devices = ", ".join(f"{n} {s}" for s, n in sorted(got["devices"].items()))
    line = (f"rollout {got['state']}, stage {stage + 1}/{len(stages)} ({stages[stage]:.0%}): "
            f"{devices or 'no devices yet'}")  # fmt: skip
    gate = got.get("gate")
    if gate:
        agreement = gate.get("shadow_agreement")
        shown = "-" if agreement is None else f"{agreement:.2f}"
        line += (f" | gate {gate['verdict']}: {gate['updated']}/{gate['cohort']} updated, "
                 f"{gate['failed']} failed (rate {gate['failure_rate']:.2f}), shadow agreement "
                 f"{shown}")  # fmt: skip
        if gate.get("reasons"):
            line += " (" + "; ".join(gate["reasons"]) + ")"
    return line


def summarise(api: Api, stack: Stack, got: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {
        "rollout": got["id"],
        "state": got["state"],
        "seconds": round(seconds, 1),
        "version": NEW_VERSION,
        "devices": got["devices"],
        "gate": got.get("gate"),
        "model_versions": unit_versions(api, stack),
    }
