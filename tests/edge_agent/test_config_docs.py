"""docs/configuration.md is generated from the config models and must not go stale."""

from __future__ import annotations

from edge_agent.config import AgentConfig
from edge_agent.config_docs import DOC, render


def test_configuration_doc_is_current() -> None:
    assert DOC.read_text() == render(), "run: python -m edge_agent.config_docs --write"


def test_every_top_level_field_is_documented() -> None:
    text = DOC.read_text()
    for name in AgentConfig.model_fields:
        assert f"| `{name}` |" in text


def test_every_field_has_a_description() -> None:
    assert "|  |\n" not in render() and "| |\n" not in render()
