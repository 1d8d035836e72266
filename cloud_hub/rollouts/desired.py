"""The retained per-device ``desired`` update the rollout engine keeps on the broker.

Why: an ``update_notice`` is a one-off command; a device that was offline past its session
expiry, or whose queued notice was lost, would never hear of its release. The retained
``DesiredUpdate`` on ``pm25/v1/<id>/desired`` is re-sent by the broker on every connect, and the
device re-checks it periodically (``docs/ota.md``). Rules:

- a device told in a wave gets ``install`` (with its notice);
- pause, abort and roll back give every device told so far a ``hold``; resume gives them
  ``install`` again. Never a deleted message: a device offline at the time would keep its last
  ``install`` in memory and install a halted release when it comes back;
- these are published *before* the transition commits: when the broker cannot take them the
  transition fails loudly (503 / the evaluator's next round) instead of stopping a rollout the
  devices were never told about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Literal

from cloud_hub.hub import Publisher, publish_many
from cloud_hub.registry.models import Rollout, RolloutDevice
from pm25 import topics
from pm25.wire import DesiredUpdate, encode

Outgoing = tuple[str, bytes]

# What a device told so far is asked to do after each operator or evaluator action.
AFTER_ACTION: dict[str, Literal["install", "hold"]] = {
    "pause": "hold",
    "abort": "hold",
    "roll_back": "hold",
    "resume": "install",
}


def message(
    rollout: Rollout, action: Literal["install", "hold"], now: float, reason: str | None = None
) -> bytes:
    """The payload for every device of ``rollout`` at hub time ``now`` (seconds)."""
    return encode(
        DesiredUpdate(
            action=action,
            release=rollout.version,
            target=rollout.target,
            rollout_id=rollout.id,
            issued_at=datetime.fromtimestamp(int(now), tz=UTC),
            rev=int(now * 1000),
            reason=reason if action == "hold" else None,
        )
    )


def for_devices(device_ids: Iterable[str], payload: bytes) -> list[Outgoing]:
    return [(topics.desired(device_id), payload) for device_id in device_ids]


def after_action(
    rollout: Rollout, action: str, rows: Sequence[RolloutDevice], now: float
) -> list[Outgoing]:
    """The desired updates to publish for ``action`` (none for start and advance)."""
    wanted = AFTER_ACTION.get(action)
    told = [r.device_id for r in rows if r.notified_at is not None]
    if wanted is None or not told:
        return []
    why = f"rollout {rollout.state.replace('_', ' ')}" if wanted == "hold" else None
    return for_devices(told, message(rollout, wanted, now, why))


def publish_all(publish: Publisher, outgoing: Sequence[Outgoing]) -> None:
    """Publish all as retained messages over one broker connection (a hold for a fleet of
    1,000 is 1,000 messages); any failure raises (StoreUnavailable)."""
    publish_many(publish, [(topic, payload, True) for topic, payload in outgoing])
