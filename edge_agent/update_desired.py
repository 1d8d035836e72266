"""What the device's rollout wants it to run: the newest of the hub's decisions, and its rules.

Two messages carry a decision: the ``update_notice`` command (sent once per device by the rollout
engine) and the retained ``desired`` message (re-sent by the broker on every connect, so a device
that missed its notice still learns it). Both end up here as a :class:`Desired`; the newest by
``rev`` wins, so a notice queued in the session while the rollout was aborted cannot undo the
hold that came after it. Nothing here is persisted: after a restart the broker sends the retained
decision again, and a device that cannot reach the broker installs nothing (it fails safe rather
than acting on a decision the hub may have withdrawn meanwhile).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from pm25.errors import WireError
from pm25.ota import manifest_target
from pm25.topics import Kind
from pm25.wire import DesiredUpdate, UpdateNoticeCommand, decode, notice_rev


@dataclass(frozen=True, slots=True)
class Desired:
    """One decision of the hub about this device."""

    action: Literal["install", "hold"]
    release: int
    rollout_id: str
    rev: int
    reason: str | None = None

    @classmethod
    def from_notice(cls, cmd: UpdateNoticeCommand) -> Desired:
        rev = notice_rev(int(cmd.issued_at.timestamp()))
        return cls("install", cmd.release, cmd.rollout_id, rev)

    @classmethod
    def from_message(cls, msg: DesiredUpdate) -> Desired:
        return cls(msg.action, msg.release, msg.rollout_id, msg.rev, msg.reason)


def newer(new: Desired, current: Desired | None) -> bool:
    """Whether ``new`` replaces ``current``: later rev; at an equal rev a hold beats an install."""
    if current is None or new.rev > current.rev:
        return True
    if new.rev < current.rev:
        return False
    return not (current.action == "hold" and new.action == "install")


def same(a: Desired, b: Desired) -> bool:
    """The same decision, whatever its rev (a notice and its retained message, a redelivery)."""
    return (a.action, a.release, a.rollout_id) == (b.action, b.release, b.rollout_id)


class DesiredState:
    """The newest decision so far (thread-safe: the uplink writes, the update thread reads)."""

    def __init__(self, model_name: str | None = None) -> None:
        self._target = None if model_name is None else manifest_target(model_name)
        self._lock = threading.Lock()
        self._current: Desired | None = None
        self.refused: str | None = None  # why the last desired payload was refused, if it was

    def current(self) -> Desired | None:
        with self._lock:
            return self._current

    def offer(self, new: Desired) -> str | None:
        """Take ``new`` if it is the newest decision; else the reason it is refused."""
        with self._lock:
            cur = self._current
            if cur is not None and same(new, cur):  # notice and retained message of one decision
                self._current = cur if cur.rev >= new.rev else new
                return None
            if not newer(new, cur):
                assert cur is not None  # newer() is True when there is no current decision
                return (f"superseded by the hub's later {cur.action} of v{cur.release} "
                        f"(rollout {cur.rollout_id})")  # fmt: skip
            self._current = new
            return None

    def parse(self, payload: bytes) -> Desired:
        """A ``desired`` payload as a decision of this device's model family; WireError if not.

        An empty payload is what clearing a retained message delivers; the hub never does that
        (it supersedes), so whoever did is refused and the last decision stands.
        """
        if not payload:
            raise WireError("desired: empty payload (retained message cleared); kept the last one")
        msg = decode(Kind.DESIRED, payload)
        if self._target is not None and msg.target != self._target:
            raise WireError(f"desired: target {msg.target!r} is not this device's model "
                            f"family ({self._target})")  # fmt: skip
        return Desired.from_message(msg)

    def approves(self, version: int) -> str | None:
        """Why ``version`` may not be installed now (None = it is what the rollout assigns)."""
        cur = self.current()
        if cur is None:
            return "no rollout assigns a release to this device"
        if cur.action == "hold":
            return f"rollout {cur.rollout_id} holds v{cur.release}: {cur.reason or 'stopped'}"
        if cur.release != version:
            return f"rollout {cur.rollout_id} assigns v{cur.release}, not v{version}"
        return None
