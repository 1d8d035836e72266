"""Structured JSON logs: one JSON object per line on stderr, secrets redacted.

Fields passed with ``extra={...}`` appear as keys. Any key that looks like a secret (password,
token, secret, authorization) is replaced by ``"***"`` whatever the caller passed, so a careless
``extra`` cannot leak one.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

SECRET_KEY = re.compile(r"pass|secret|token|authorization|credential", re.IGNORECASE)
# Attributes every LogRecord has; everything else came from ``extra``.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD or key.startswith("_"):
                continue
            doc[key] = "***" if SECRET_KEY.search(key) else value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure(level: str = "INFO") -> None:
    """Send all logs as JSON lines to stderr at ``level`` (replaces earlier handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
