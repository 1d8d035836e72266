"""The rollout state machine (pure): which action is allowed in which state, and where it leads.

```
draft ──start──► running(k) ──advance──► running(k+1) … ──advance (last)──► completed
                   │   ▲
             pause │   │ resume
                   ▼   │
                  paused
draft, running, paused ──abort──► aborted
running, paused ──roll_back──► rolled_back
```

``fail`` is what the evaluator does when a gate fails: it becomes ``pause`` or ``roll_back`` as the
rollout's ``on_failure`` says. completed, aborted and rolled_back are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cloud_hub.errors import Conflict

State = Literal["draft", "running", "paused", "completed", "aborted", "rolled_back"]
Action = Literal["start", "advance", "pause", "resume", "abort", "roll_back"]
FINAL: frozenset[State] = frozenset({"completed", "aborted", "rolled_back"})

_ALLOWED: dict[Action, frozenset[State]] = {
    "start": frozenset({"draft"}),
    "advance": frozenset({"running"}),
    "pause": frozenset({"running"}),
    "resume": frozenset({"paused"}),
    "abort": frozenset({"draft", "running", "paused"}),
    "roll_back": frozenset({"running", "paused"}),
}


@dataclass(frozen=True, slots=True)
class Position:
    state: State
    stage: int  # index of the current stage (0 before start)


def apply(pos: Position, action: Action, stages: int) -> Position:
    """The position after ``action``; :class:`Conflict` if the action is not allowed now."""
    if pos.state not in _ALLOWED[action]:
        raise Conflict(f"cannot {action.replace('_', ' ')} a rollout that is {pos.state}")
    if action == "start":
        return Position("running", 0)
    if action == "advance":
        last = pos.stage >= stages - 1
        return Position("completed", pos.stage) if last else Position("running", pos.stage + 1)
    target: dict[Action, State] = {
        "pause": "paused",
        "resume": "running",
        "abort": "aborted",
        "roll_back": "rolled_back",
    }
    return Position(target[action], pos.stage)
