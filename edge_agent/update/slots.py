"""A/B model slots: ``<models>/slot-a``, ``slot-b`` and an ``active`` pointer file.

A new release is staged only into the slot the pointer does not name, so the running model is
never touched; activation is one atomic pointer write (temp file, fsync, rename, directory fsync),
and the previous slot stays intact until the next release is staged: rollback is another pointer
write.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final, Literal, get_args

from pm25.ota import atomic_write

Slot = Literal["a", "b"]
SLOTS: Final[tuple[Slot, ...]] = get_args(Slot)


class Slots:
    """The two slots of one device and the pointer to the active one."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        self.pointer = models_dir / "active"

    def path(self, slot: Slot) -> Path:
        """Directory of a slot."""
        return self.models_dir / f"slot-{slot}"

    def active(self) -> Slot | None:
        """The active slot, or None before the first install (or if the pointer is garbage)."""
        try:
            value = self.pointer.read_text().strip()
        except OSError:
            return None
        return value if value in SLOTS else None

    def inactive(self) -> Slot:
        """The slot a new release may be staged into."""
        return "b" if self.active() == "a" else "a"

    def prepare(self, slot: Slot) -> Path:
        """Empty a slot for staging; refused for the active one."""
        if slot == self.active():
            raise ValueError(f"slot {slot} is active: never stage over the running model")
        path = self.path(slot)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def activate(self, slot: Slot) -> None:
        """Point at `slot`, atomically and durably."""
        self.models_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(self.pointer, f"{slot}\n".encode())

    def active_manifest(self) -> Path | None:
        """Manifest of the active slot's model, if any."""
        slot = self.active()
        return None if slot is None else self.path(slot) / "manifest.json"
