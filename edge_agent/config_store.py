"""Remote config changes: validate a merge patch against AgentConfig, persist, then apply."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge_agent.config import (
    FIXED_FIELDS,
    AgentConfig,
    load_config,
    merge_patch,
    read_overlay,
    write_overlay,
)
from edge_agent.errors import ConfigError, ConfigFieldError

log = logging.getLogger(__name__)


class ConfigStore:
    """Holds the current config; a good patch is persisted to the overlay, a bad one refused."""

    def __init__(
        self, path: Path | None, current: AgentConfig, on_change: Callable[[AgentConfig], None]
    ) -> None:
        self.path = path
        self.current = current
        self._on_change = on_change
        self._lock = threading.Lock()

    def apply_patch(self, patch: dict[str, Any]) -> str | None:
        """Refusal reason, or None when the patch was validated, persisted and handed over."""
        fixed = [f for f in FIXED_FIELDS if f in patch]
        if fixed:
            return f"field '{fixed[0]}' cannot be changed remotely"
        with self._lock:
            data_dir = self.current.data_dir
            try:
                overlay = merge_patch(read_overlay(data_dir), patch)
                new = load_config(self.path, overlay=overlay)
            except ConfigFieldError as e:
                return f"invalid patch: {e.problems}"[:200]
            except ConfigError as e:
                return str(e)[:200]
            write_overlay(data_dir, overlay)
            self.current = new
        log.info("config changed remotely: %s", sorted(patch))
        self._on_change(new)
        return None
