"""Fixtures of the edge agent tests: small real ONNX models with manifests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.edge_agent.model_factory import build_fixture_model


@pytest.fixture(scope="session")
def fixture_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release with fp32 and int8 artifacts (built once; copy it before changing files)."""
    folder = tmp_path_factory.mktemp("fixture_model")
    build_fixture_model(folder)
    return folder


@pytest.fixture
def model_copy(fixture_model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the fixture release, free to corrupt; returns its folder."""
    folder = tmp_path / "model"
    shutil.copytree(fixture_model_dir, folder)
    return folder
