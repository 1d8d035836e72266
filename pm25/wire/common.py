"""Building blocks every wire message shares: the base models, the schema version, and the
annotated types for time, concentrations and identifiers.

Why integer unix seconds for every timestamp: they cost 10 bytes instead of the ~22 of ISO 8601,
every JSON parser reads them without a date library, and a camera reading every 10 s needs no
sub-second resolution. In Python they are always timezone-aware UTC ``datetime`` objects; naive
datetimes are refused because a guessed time zone silently shifts a whole series.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializerFunctionWrapHandler,
    StringConstraints,
    WithJsonSchema,
    model_serializer,
)

from pm25.topics import DEVICE_ID_PATTERN

__all__ = [
    "MAX_PM25",
    "MAX_SEQ",
    "MAX_UNIX_TIME",
    "SCHEMA_VERSION",
    "Code",
    "DeviceId",
    "Message",
    "MessageId",
    "Pm25Value",
    "Seq",
    "ShortText",
    "UtcTime",
    "WireModel",
]

SCHEMA_VERSION: Final = 1
MAX_PM25: Final = 2000.0  # µg/m³; above any value ever measured outdoors, so larger is a bug
MAX_SEQ: Final = 2**53 - 1  # the largest integer a JavaScript consumer reads exactly
MAX_UNIX_TIME: Final = 2**32 - 1  # year 2106; also keeps datetime conversion from overflowing


def _to_utc(value: object) -> datetime:
    """Accept integer unix seconds (the wire) or an aware datetime (Python); floor to seconds."""
    if isinstance(value, bool):  # bool is an int subclass: refuse it explicitly
        raise ValueError("expected integer unix seconds (UTC), got a boolean")
    if isinstance(value, int):
        if not 0 <= value <= MAX_UNIX_TIME:
            raise ValueError(f"unix time {value} is outside 0..{MAX_UNIX_TIME}")
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: timestamps must be timezone-aware UTC")
        utc = value.astimezone(UTC).replace(microsecond=0)
        if not 0 <= utc.timestamp() <= MAX_UNIX_TIME:
            raise ValueError(f"time {utc.isoformat()} is outside the unix range 0..{MAX_UNIX_TIME}")
        return utc
    raise ValueError(f"expected integer unix seconds (UTC), got {type(value).__name__}")


def _to_unix(value: datetime) -> int:
    return int(value.timestamp())


UtcTime = Annotated[
    datetime,
    PlainValidator(_to_utc),
    PlainSerializer(_to_unix, return_type=int),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_UNIX_TIME}),
]
"""A UTC instant: integer unix seconds on the wire, an aware ``datetime`` in Python."""


def _round_tenth(value: float) -> float:
    # The wire resolution is 0.1 µg/m³, far below any camera estimate's uncertainty; rounding at
    # construction keeps Python objects equal to what a round trip through the wire gives back.
    return round(value, 1)


def _compact_number(value: float) -> int | float:
    # 12.0 -> 12 saves two bytes per value; JSON has one number type, so consumers see no change.
    return int(value) if value.is_integer() else value


Pm25Value = Annotated[
    float,
    Field(ge=0, le=MAX_PM25, allow_inf_nan=False),
    AfterValidator(_round_tenth),
    PlainSerializer(_compact_number),
]
"""A PM2.5 concentration or standard deviation in µg/m³, 0..2000, rounded to 0.1."""

Seq = Annotated[int, Field(ge=0, le=MAX_SEQ)]
"""A per-device sequence number: assigned by the device's outbox, monotonic across restarts."""

DeviceId = Annotated[str, StringConstraints(pattern=DEVICE_ID_PATTERN)]
"""1-64 of lowercase letters, digits, '-', '_' (one MQTT topic level, no wildcards)."""

MessageId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
"""A unique id chosen by the sender (a UUID or ULID fits)."""

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
"""A short machine-readable code in snake_case, e.g. ``camera_unavailable``."""

ShortText = Annotated[str, StringConstraints(max_length=200)]
"""Free text for humans, bounded so a message cannot balloon."""


class WireModel(BaseModel):
    """Base of every wire model: unknown fields refused, immutable, no NaN or infinity.

    Serialisation omits optional fields that are ``None`` or empty: on a metered link an absent
    key costs nothing, and the JSON Schema documents the default a consumer should assume.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_serializer(mode="wrap")
    def _omit_empty(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name, info in type(self).model_fields.items():
            if not info.is_required() and name in data and _is_empty(data[name]):
                del data[name]
        return data


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, list | tuple | dict) and len(value) == 0)


def require_in_schema(*names: str) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` hook marking fields required in the JSON Schema.

    ``v`` (and a command's ``type``) have defaults for Python callers' convenience, but decoding
    requires them on the wire, so the published schema must say so too.
    """

    def hook(schema: dict[str, Any]) -> None:
        required = schema.setdefault("required", [])
        for name in reversed(names):
            if name not in required:
                required.insert(0, name)

    return hook


class Message(WireModel):
    """Base of every top-level message: carries the schema version ``v``."""

    model_config = ConfigDict(json_schema_extra=require_in_schema("v"))

    v: Literal[1] = Field(
        default=SCHEMA_VERSION,
        description="Schema version of this message. Always present on the wire; currently 1.",
    )
