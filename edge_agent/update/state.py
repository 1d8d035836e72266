"""The persisted update state machine: written before each step, so a restart knows where it was.

idle → downloading → verifying → staged → self_test → shadow → activating → active
                                                             ↘ failed | rolled_back
The state is one small JSON file replaced atomically. `recovery` is the pure decision of what a
restart does with whatever state it finds; it never leaves the device without a working model.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge_agent.update.slots import Slot
from pm25.ota import atomic_write

Phase = Literal[
    "idle", "downloading", "verifying", "staged", "self_test", "shadow", "activating",
    "active", "failed", "rolled_back",
]  # fmt: skip
INTERRUPTIBLE: frozenset[Phase] = frozenset(
    {"downloading", "verifying", "staged", "self_test", "shadow"}
)
Recovery = Literal["none", "abandon", "confirm"]


class UpdateState(BaseModel):
    """Where the updater is, and for which release."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phase: Phase = Field("idle", description="Current step of the update.")
    version: int | None = Field(None, description="Release being installed (or last installed).")
    label: str | None = Field(None, description="Its label.")
    slot: Slot | None = Field(None, description="Slot the release is staged into.")
    previous: Slot | None = Field(None, description="Slot active before activation (rollback).")
    attempts: int = Field(0, ge=0, description="Download attempts for `version` so far.")
    detail: str | None = Field(None, description="Last failure or note, for the report.")
    clock_floor: datetime | None = Field(None, description="Latest trusted time seen (UTC).")


def recovery(state: UpdateState) -> Recovery:
    """What a restart does: abandon an unfinished install (the active model was never touched),
    confirm an activation that may or may not have flipped the pointer, or nothing."""
    if state.phase in INTERRUPTIBLE:
        return "abandon"
    if state.phase == "activating":
        return "confirm"
    return "none"


class StateFile:
    """The state on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> UpdateState:
        """The saved state; idle if none; idle with a note if the file is unreadable."""
        try:
            return UpdateState.model_validate_json(self.path.read_bytes())
        except FileNotFoundError:
            return UpdateState()
        except (OSError, ValidationError) as e:
            return UpdateState(detail=f"state file unreadable, reset: {type(e).__name__}")

    def save(self, state: UpdateState) -> UpdateState:
        """Write atomically and durably; returns `state` for chaining."""
        atomic_write(self.path, state.model_dump_json().encode())
        return state
