"""Bytes in, validated messages out (and back): the one boundary where peers' payloads are checked.

:func:`decode` raises only :class:`WireError`, whatever the bytes: not UTF-8, not JSON, NaN or
infinity, nesting deeper than :data:`MAX_DEPTH`, larger than the cap for its kind, a missing or
unsupported schema version, wrong types, missing or unknown fields. The message names the field.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal, TypeVar, overload

from pydantic import TypeAdapter, ValidationError

from pm25.errors import WireError
from pm25.topics import Kind
from pm25.wire.commands import (
    CaptureSampleCommand,
    Command,
    CommandAck,
    ConfigCommand,
    PingCommand,
    UpdateNoticeCommand,
)
from pm25.wire.common import SCHEMA_VERSION, Message
from pm25.wire.desired import DesiredUpdate
from pm25.wire.device import Heartbeat, Sample, Status
from pm25.wire.readings import ReadingBatch

__all__ = [
    "MAX_DEPTH",
    "MAX_PAYLOAD_BYTES",
    "MAX_SAMPLE_PAYLOAD_BYTES",
    "AnyCommand",
    "WireMessage",
    "decode",
    "encode",
    "max_payload_bytes",
]

MAX_PAYLOAD_BYTES: Final = 256 * 1024
MAX_SAMPLE_PAYLOAD_BYTES: Final = 1024 * 1024  # a small ROI crop, base64: far below this
MAX_DEPTH: Final = 16  # our messages nest 4 deep; config patches get some room

AnyCommand = PingCommand | ConfigCommand | CaptureSampleCommand | UpdateNoticeCommand
WireMessage = ReadingBatch | Heartbeat | Status | AnyCommand | CommandAck | Sample | DesiredUpdate

_KIND_TYPES: Final[dict[Kind, Any]] = {
    Kind.READINGS: ReadingBatch,
    Kind.HEARTBEAT: Heartbeat,
    Kind.STATUS: Status,
    Kind.CMD: Command,
    Kind.ACK: CommandAck,
    Kind.SAMPLE: Sample,
    Kind.DESIRED: DesiredUpdate,
}
_ADAPTERS: Final[dict[Kind, TypeAdapter[Any]]] = {k: TypeAdapter(t) for k, t in _KIND_TYPES.items()}

M = TypeVar("M", bound=Message)


def max_payload_bytes(kind_or_model: Kind | str | type[Message]) -> int:
    """The largest payload accepted (and produced) for a kind or model."""
    is_sample = kind_or_model is Sample or kind_or_model == Kind.SAMPLE.value
    return MAX_SAMPLE_PAYLOAD_BYTES if is_sample else MAX_PAYLOAD_BYTES


def encode(msg: Message) -> bytes:
    """Compact UTF-8 JSON: no spaces, ``None`` and empty optional fields left out.

    Raises :class:`WireError` if the result is larger than the cap for its kind: better to learn
    it here than to have the broker drop the connection.
    """
    data = msg.model_dump_json().encode("utf-8")
    limit = max_payload_bytes(type(msg))
    if len(data) > limit:
        raise WireError(f"{type(msg).__name__} payload is {len(data)} bytes, limit {limit}")
    return data


@overload
def decode(kind_or_model: type[M], payload: bytes) -> M: ...
@overload
def decode(kind_or_model: Literal["readings", Kind.READINGS], payload: bytes) -> ReadingBatch: ...
@overload
def decode(kind_or_model: Literal["heartbeat", Kind.HEARTBEAT], payload: bytes) -> Heartbeat: ...
@overload
def decode(kind_or_model: Literal["status", Kind.STATUS], payload: bytes) -> Status: ...
@overload
def decode(kind_or_model: Literal["cmd", Kind.CMD], payload: bytes) -> AnyCommand: ...
@overload
def decode(kind_or_model: Literal["ack", Kind.ACK], payload: bytes) -> CommandAck: ...
@overload
def decode(kind_or_model: Literal["sample", Kind.SAMPLE], payload: bytes) -> Sample: ...
@overload
def decode(kind_or_model: Literal["desired", Kind.DESIRED], payload: bytes) -> DesiredUpdate: ...
@overload
def decode(kind_or_model: Kind | str, payload: bytes) -> WireMessage: ...
def decode(kind_or_model: Kind | str | type[Message], payload: bytes) -> Any:
    """Validate ``payload`` as the message of a topic kind (e.g. ``"readings"``) or a model class.

    Commands decode by kind ``"cmd"`` to the right command class via their ``type`` field.
    """
    if isinstance(kind_or_model, type):
        adapter: TypeAdapter[Any] = TypeAdapter(kind_or_model)
        name = kind_or_model.__name__
    else:
        kind = _kind(kind_or_model)
        adapter, name = _ADAPTERS[kind], kind.value
    text = _check_bytes(name, payload, max_payload_bytes(kind_or_model))
    _check_json(name, text)
    try:
        return adapter.validate_json(text, strict=True)
    except ValidationError as e:
        raise WireError(f"{name}: {_describe(e)}") from None


def _kind(kind: Kind | str) -> Kind:
    try:
        return Kind(kind)
    except ValueError:
        raise WireError(f"unknown message kind {kind!r}") from None


def _check_bytes(name: str, payload: object, limit: int) -> str:
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise WireError(f"{name}: payload must be bytes, got {type(payload).__name__}")
    if len(payload) > limit:
        raise WireError(f"{name}: payload is {len(payload)} bytes, limit {limit}")
    try:
        return bytes(payload).decode("utf-8")
    except UnicodeDecodeError as e:
        raise WireError(f"{name}: payload is not UTF-8 ({e.reason} at byte {e.start})") from None


def _refuse_constant(token: str) -> None:
    raise ValueError(f"{token} is not allowed (JSON has no NaN or infinity)")


def _check_json(name: str, text: str) -> None:
    """Parse once with the standard library to give precise errors pydantic would blur."""
    try:
        obj = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise WireError(f"{name}: JSON nested too deeply") from None
    except ValueError as e:  # JSONDecodeError is a ValueError, so are huge integers
        raise WireError(f"{name}: payload is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise WireError(f"{name}: payload must be a JSON object, got {type(obj).__name__}")
    if _depth(obj) > MAX_DEPTH:
        raise WireError(f"{name}: JSON nested deeper than {MAX_DEPTH} levels")
    if "v" not in obj:
        raise WireError(f"{name}: missing field 'v' (schema version)")
    version = obj["v"]
    if type(version) is not int or version != SCHEMA_VERSION:
        raise WireError(
            f"{name}: field 'v': unsupported schema version {version!r}, "
            f"this build reads {SCHEMA_VERSION}"
        )


def _depth(obj: dict[str, Any]) -> int:
    """Nesting depth of parsed JSON, iteratively (a deep payload must not exhaust the stack)."""
    deepest = 0
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(obj, 1)]
    while stack and deepest <= MAX_DEPTH:
        node, level = stack.pop()
        deepest = max(deepest, level)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, level + 1) for c in children if isinstance(c, dict | list))
    return deepest


def _describe(error: ValidationError, limit: int = 3) -> str:
    """'field pm[3]: Input should be less than or equal to 2000' for the first few errors."""
    parts = []
    for item in error.errors(include_url=False)[:limit]:
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in item["loc"]).lstrip(".")
        parts.append(f"field '{loc}': {item['msg']}" if loc else item["msg"])
    more = error.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
