"""JSON logs: one object per line, extras as keys, secrets never written."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from cloud_hub.logs import JsonFormatter
from tests.cloud_hub.hub_support import PASSWORD, running_hub


def test_json_line_with_extras_and_redaction() -> None:
    record = logging.makeLogRecord(
        {"name": "x", "levelname": "INFO", "msg": "hi %s", "args": ("there",)}
    )
    record.device_id = "cam-1"
    record.password = "hunter2"
    record.api_token = "pm25h_abc"
    doc = json.loads(JsonFormatter().format(record))
    assert doc["msg"] == "hi there" and doc["device_id"] == "cam-1"
    assert doc["password"] == "***" and doc["api_token"] == "***"


def test_login_flow_never_logs_passwords_or_tokens(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with running_hub(tmp_path) as h:
        h.client.post("/api/v1/auth/login", json={"username": "admin", "password": "wrong one"})
        tokens = list(h.tokens.values())
    formatter = JsonFormatter()
    text = "\n".join(formatter.format(r) for r in caplog.records)
    assert "login failed" in text and "login" in text
    assert PASSWORD not in text and "wrong one" not in text
    assert not any(t in text for t in tokens)
