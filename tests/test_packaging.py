"""The project is one installable distribution whose camera-unit install stays small."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "fastapi", "mlflow")


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_edge_extra_excludes_server_and_training_stacks() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    edge = " ".join(project["optional-dependencies"]["edge"]).lower()
    core = " ".join(project["dependencies"]).lower()
    for heavy in HEAVY:
        assert heavy not in edge, f"{heavy} must not be in the edge extra"
        assert heavy not in core, f"{heavy} must not be a core dependency"


@pytest.mark.parametrize("package", ["pm25", "edge_agent"])
def test_camera_side_packages_do_not_import_heavy_stacks(package: str) -> None:
    # Import every module of the package in a fresh interpreter and look at what got loaded.
    code = (
        "import importlib, pkgutil, sys\n"
        f"import {package} as p\n"
        "for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print(','.join(sorted(h for h in {HEAVY!r} if h in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "", f"{package} imported {out.stdout.strip()}"


@pytest.mark.parametrize("script", ["edge-agent", "cloud-hub", "pm25-train"])
def test_console_scripts_have_help(script: str) -> None:
    exe = Path(sys.executable).parent / script
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert f"usage: {script}" in out.stdout


def test_every_package_is_typed() -> None:
    for package in ("pm25", "edge_agent", "cloud_hub", "training"):
        assert (ROOT / package / "py.typed").is_file()
