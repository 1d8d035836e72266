"""The retained per-device "desired update": which release a device's rollout assigns it, or a hold.

Why a retained message and not only the ``update_notice`` command: a command reaches a device only
if the device's persistent session still holds it when the device comes back (the session can
expire, the broker's queue can overflow, a device that never connected has no session). The
broker keeps the last retained message of a topic until it is replaced, and sends it on every
subscribe, so a device that was away for any length of time learns what it should run the moment
it reconnects, and re-reads it after every reconnect. See ``docs/ota.md``.

The hub never deletes the message, it supersedes it: a deleted message would leave a device that
was offline at the time with its last ``install`` in memory, and it would install a halted release.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pm25.wire.common import Message, MessageId, ShortText, UtcTime

__all__ = ["MAX_REV", "DesiredUpdate", "notice_rev"]

MAX_REV = 2**53 - 1  # milliseconds; the largest integer a JavaScript consumer reads exactly


def notice_rev(issued_at_s: int) -> int:
    """Where an ``update_notice`` issued at ``issued_at_s`` ranks against desired updates.

    A notice carries whole seconds; ranking it at the very start of its second means a hold
    decided in the same second (rev in milliseconds) always wins over it: stopping is the safe side.
    """
    return issued_at_s * 1000


class DesiredUpdate(Message):
    """What the hub wants a device to run: ``install`` a release, or ``hold`` (install nothing)."""

    action: Literal["install", "hold"] = Field(
        description="install: converge on `release`; hold: the rollout stopped, install nothing."
    )
    release: int = Field(ge=1, description="Release version the rollout assigns (or held).")
    target: str = Field(
        min_length=1, max_length=128, description="Repository target, <model>/manifest.json."
    )
    rollout_id: MessageId = Field(description="Rollout that decided this.")
    issued_at: UtcTime = Field(description="When the hub decided it, unix seconds UTC.")
    rev: int = Field(
        ge=0,
        le=MAX_REV,
        description="Hub time of the decision in milliseconds: the device keeps the newest "
        "(an update_notice ranks as issued_at x 1000).",
    )
    reason: ShortText | None = Field(default=None, description="Why a hold (paused, aborted...).")
