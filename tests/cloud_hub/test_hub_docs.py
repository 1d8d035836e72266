"""docs/hub.md documents every settings field and every API route."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from pydantic import BaseModel

from cloud_hub.app import create_app
from cloud_hub.settings import HubSettings

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = (DOCS / "hub.md").read_text() + (DOCS / "closed-loop.md").read_text()


def _env_names(model: type[BaseModel], prefix: str = "CLOUD_HUB_") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            names += _env_names(ann, f"{prefix}{name.upper()}__")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_documented() -> None:
    missing = [n for n in _env_names(HubSettings) if f"`{n}`" not in DOC]
    assert missing == []


def test_every_route_is_documented() -> None:
    spec = create_app(HubSettings(data_dir=Path(tempfile.mkdtemp()))).openapi()
    missing = []
    for path in spec["paths"]:
        short = path.removeprefix("/api/v1")
        pattern = re.escape(re.sub(r"\{[a-z_]+\}", "{id}", short)).replace(r"\{id\}", r"\{id\}")
        if not re.search(pattern + r"[`?\s]", DOC.replace("{user_id}", "{id}")):
            missing.append(path)
    assert missing == []
