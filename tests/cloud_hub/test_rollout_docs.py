"""docs/rollouts.md: its JSON examples are what the code accepts, and its routes exist."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from cloud_hub.app import create_app
from cloud_hub.rollouts.spec import RolloutSpec
from cloud_hub.rollouts.views import RolloutCreate
from cloud_hub.settings import HubSettings
from pm25.wire.device import UpdateProgress

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rollouts.md").read_text()
BLOCKS = re.findall(r"```json\n(.*?)```", DOC, re.S)


def test_the_rollout_example_is_a_valid_request_and_spells_out_the_defaults() -> None:
    body = RolloutCreate.model_validate(json.loads(BLOCKS[0]))
    defaults = RolloutSpec().model_dump()
    shown = body.spec.model_dump()
    assert {k: v for k, v in shown.items() if k != "selector"} == {
        k: v for k, v in defaults.items() if k != "selector"
    }


def test_the_update_section_example_decodes() -> None:
    progress = UpdateProgress.model_validate_json(BLOCKS[1])
    assert progress.shadow is not None and progress.version == 3


def test_every_documented_route_exists() -> None:
    spec = create_app(HubSettings(data_dir=Path(tempfile.mkdtemp()))).openapi()
    paths = {re.sub(r"\{[a-z_]+\}", "{}", p.removeprefix("/api/v1")) for p in spec["paths"]}
    found = re.findall(r"`(?:GET|POST) (/(?:releases|rollouts)[^` ?]*)", DOC)
    documented = {re.sub(r"\{[a-z_]+\}", "{}", p) for p in found}
    assert documented and documented <= paths
