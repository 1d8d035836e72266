"""The MQTT topics of the wire contract: the only place in the code base that spells a topic string.

Every topic is ``pm25/v1/<device_id>/<kind>``. Device to cloud: ``readings``, ``heartbeat``,
``status`` (retained; ``offline`` is the last will), ``ack``, ``sample``. Cloud to device: ``cmd``
and ``desired`` (retained: the release the device's rollout assigns it, see ``docs/ota.md``).
Callers build topics with the functions below and take incoming topics apart with
:func:`parse_topic`, which refuses anything outside the contract, so a typo can never become a
silently unused topic. ``v1`` in the prefix is the topic namespace version; payloads carry their own
schema version (see ``docs/protocol.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from pm25.errors import WireError

__all__ = [
    "DEVICE_ID_PATTERN",
    "PREFIX",
    "TOPIC_SPECS",
    "Kind",
    "TopicSpec",
    "ack",
    "alert",
    "all_devices",
    "cmd",
    "desired",
    "heartbeat",
    "parse_topic",
    "readings",
    "sample",
    "shared",
    "status",
    "topic",
    "validate_device_id",
]

PREFIX: Final = "pm25/v1"

# Lowercase so ids are unambiguous in URLs, file names and case-insensitive stores; no MQTT
# separators or wildcards ('/', '+', '#') so an id always fills exactly one topic level.
DEVICE_ID_PATTERN: Final = r"^[a-z0-9_-]{1,64}$"
_DEVICE_ID_RE: Final = re.compile(DEVICE_ID_PATTERN)
# Shared-subscription group names follow the same rule: one topic level, no wildcards.
_GROUP_RE: Final = _DEVICE_ID_RE


class Kind(StrEnum):
    """The last topic level: which message a topic carries."""

    READINGS = "readings"
    HEARTBEAT = "heartbeat"
    STATUS = "status"
    CMD = "cmd"
    ACK = "ack"
    SAMPLE = "sample"
    DESIRED = "desired"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """How a kind of message travels: who sends it, at which QoS, and whether it is retained."""

    direction: Literal["device_to_cloud", "cloud_to_device"]
    qos: Literal[0, 1, 2]
    retained: bool


# QoS 1 everywhere: at-least-once plus sequence numbers (readings) or ids (commands) gives
# exactly-once processing without the extra round trip of QoS 2 on a metered link.
TOPIC_SPECS: Final[dict[Kind, TopicSpec]] = {
    Kind.READINGS: TopicSpec("device_to_cloud", 1, retained=False),
    Kind.HEARTBEAT: TopicSpec("device_to_cloud", 1, retained=False),
    Kind.STATUS: TopicSpec("device_to_cloud", 1, retained=True),
    Kind.ACK: TopicSpec("device_to_cloud", 1, retained=False),
    Kind.SAMPLE: TopicSpec("device_to_cloud", 1, retained=False),
    Kind.CMD: TopicSpec("cloud_to_device", 1, retained=False),
    # Retained so a device that was away learns its assigned release on reconnect (docs/ota.md).
    Kind.DESIRED: TopicSpec("cloud_to_device", 1, retained=True),
}


def validate_device_id(device_id: str) -> str:
    """Return ``device_id`` unchanged if it is valid, else raise :class:`WireError`."""
    if not isinstance(device_id, str) or not _DEVICE_ID_RE.fullmatch(device_id):
        raise WireError(
            f"invalid device id {device_id!r}: expected 1-64 of lowercase letters, digits, '-', '_'"
        )
    return device_id


def topic(device_id: str, kind: Kind | str) -> str:
    """The topic on which ``device_id`` sends or receives messages of ``kind``."""
    return f"{PREFIX}/{validate_device_id(device_id)}/{_kind(kind).value}"


def readings(device_id: str) -> str:
    """Device to cloud: batches of readings (``ReadingBatch``)."""
    return topic(device_id, Kind.READINGS)


def heartbeat(device_id: str) -> str:
    """Device to cloud: periodic health (``Heartbeat``)."""
    return topic(device_id, Kind.HEARTBEAT)


def status(device_id: str) -> str:
    """Device to cloud, retained: online/offline (``Status``); the offline status is the will."""
    return topic(device_id, Kind.STATUS)


def cmd(device_id: str) -> str:
    """Cloud to device: commands (``Command``)."""
    return topic(device_id, Kind.CMD)


def desired(device_id: str) -> str:
    """Cloud to device, retained: the release the device's rollout assigns (``DesiredUpdate``)."""
    return topic(device_id, Kind.DESIRED)


def ack(device_id: str) -> str:
    """Device to cloud: the answer to each command (``CommandAck``)."""
    return topic(device_id, Kind.ACK)


def sample(device_id: str) -> str:
    """Device to cloud: a region-of-interest JPEG asked for by ``capture_sample`` (``Sample``)."""
    return topic(device_id, Kind.SAMPLE)


def alert(device_id: str) -> str:
    """Hub to consumers: an alert fired or resolved for ``device_id`` (not a device topic)."""
    return f"{PREFIX}/{validate_device_id(device_id)}/alert"


def all_devices(kind: Kind | str) -> str:
    """Subscription filter for ``kind`` from every device, e.g. ``pm25/v1/+/readings``."""
    return f"{PREFIX}/+/{_kind(kind).value}"


def shared(group: str, topic_filter: str) -> str:
    """A shared subscription ``$share/<group>/<filter>``: the broker spreads messages over a group.

    Several hub replicas subscribing with the same group each get a share of the devices' messages
    instead of every replica getting all of them (MQTT 5; EMQX and Mosquitto >= 2 support it).
    """
    if not isinstance(group, str) or not _GROUP_RE.fullmatch(group):
        raise WireError(f"invalid shared subscription group {group!r}")
    if not topic_filter.startswith(f"{PREFIX}/"):
        raise WireError(f"shared subscription filter {topic_filter!r} is outside {PREFIX}/")
    return f"$share/{group}/{topic_filter}"


def parse_topic(topic_name: str) -> tuple[str, Kind]:
    """Split a concrete topic into ``(device_id, kind)``; :class:`WireError` if it is not ours.

    Wildcards, shared-subscription prefixes, extra or missing levels, unknown kinds and invalid
    device ids are all refused: a message on such a topic is not part of the contract.
    """
    if not isinstance(topic_name, str):
        raise WireError(f"topic must be a string, got {type(topic_name).__name__}")
    parts = topic_name.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}" != PREFIX:
        raise WireError(f"topic {topic_name!r} is not of the form {PREFIX}/<device_id>/<kind>")
    device_id = validate_device_id(parts[2])
    return device_id, _kind(parts[3])


def _kind(kind: Kind | str) -> Kind:
    try:
        return Kind(kind)
    except ValueError:
        known = ", ".join(k.value for k in Kind)
        raise WireError(f"unknown message kind {kind!r}; expected one of {known}") from None
