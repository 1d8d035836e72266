"""docs/deployment.md and docs/operations.md stay true to the code and the deploy files."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from edge_agent.simulate import cli as cli_simulate

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT = (ROOT / "docs/deployment.md").read_text()
OPERATIONS = (ROOT / "docs/operations.md").read_text()


def test_every_simulate_option_in_the_docs_exists() -> None:
    simulate = argparse.ArgumentParser()
    cli_simulate.add_arguments(simulate)
    known = {s for a in simulate._actions for s in a.option_strings}
    section = DEPLOYMENT[DEPLOYMENT.index("## Load testing") :]
    used = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", section))
    assert used and used - known == set()


def test_every_deploy_path_in_the_docs_exists() -> None:
    paths = set(re.findall(r"`(deploy/[\w./-]+)`", DEPLOYMENT + OPERATIONS))
    assert "deploy/k8s/hub.yaml" in paths
    assert [p for p in paths if not (ROOT / p).exists()] == []


def test_every_heartbeat_error_code_the_agent_can_report_is_in_the_runbook() -> None:
    code = re.compile(
        r"""(?:errors\[|problems\[|_failed\(\s*)"([a-z_]+)"|"([a-z_]+)": f?"[^"]*"""
        r"(?:restarts|dropped)"
    )
    found: set[str] = set()
    for path in (ROOT / "edge_agent").rglob("*.py"):
        if "simulate" not in path.parts:
            found.update(a or b for a, b in code.findall(path.read_text()))
    found.update({"camera_unavailable", "producer_restarted", "uplink_restarted"})  # built names
    assert {"broker_auth_failed", "disk_full", "model_load_failed"} <= found
    documented = set(re.findall(r"^\| `([a-z_]+)`", OPERATIONS, re.MULTILINE))
    documented |= set(re.findall(r"`([a-z_]+_restarted)`", OPERATIONS))
    assert found - documented == set()
