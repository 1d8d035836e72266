"""The wire contract: every MQTT message as a pydantic model, plus :func:`encode`/:func:`decode`.

Topics live in :mod:`pm25.topics`; the protocol is described in ``docs/protocol.md`` and every
message has a JSON Schema in ``docs/schemas/`` (``python -m pm25.schemas``).
"""

from pm25.aqi import AqiCategory
from pm25.wire.alerts import AlertNotice
from pm25.wire.codec import (
    MAX_DEPTH,
    MAX_PAYLOAD_BYTES,
    MAX_SAMPLE_PAYLOAD_BYTES,
    AnyCommand,
    WireMessage,
    decode,
    encode,
    max_payload_bytes,
)
from pm25.wire.commands import (
    CaptureSampleCommand,
    Command,
    CommandAck,
    ConfigCommand,
    PingCommand,
    UpdateNoticeCommand,
)
from pm25.wire.common import MAX_PM25, MAX_SEQ, SCHEMA_VERSION, Message, UtcTime, WireModel
from pm25.wire.desired import DesiredUpdate, notice_rev
from pm25.wire.device import Heartbeat, Latency, Note, Roi, Sample, Status
from pm25.wire.readings import (
    MAX_BATCH_READINGS,
    Aggregate,
    Gap,
    QualityFlag,
    Reading,
    ReadingBatch,
)

__all__ = [
    "MAX_BATCH_READINGS",
    "MAX_DEPTH",
    "MAX_PAYLOAD_BYTES",
    "MAX_PM25",
    "MAX_SAMPLE_PAYLOAD_BYTES",
    "MAX_SEQ",
    "SCHEMA_VERSION",
    "Aggregate",
    "AlertNotice",
    "AnyCommand",
    "AqiCategory",
    "CaptureSampleCommand",
    "Command",
    "CommandAck",
    "ConfigCommand",
    "DesiredUpdate",
    "Gap",
    "Heartbeat",
    "Latency",
    "Message",
    "Note",
    "PingCommand",
    "QualityFlag",
    "Reading",
    "ReadingBatch",
    "Roi",
    "Sample",
    "Status",
    "UpdateNoticeCommand",
    "UtcTime",
    "WireMessage",
    "WireModel",
    "decode",
    "encode",
    "max_payload_bytes",
    "notice_rev",
]
