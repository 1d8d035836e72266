"""What a retrain report upload may contain, checked without I/O: bytes in, accepted files out.

Only these names exist (so a name can never be a path), each with a size limit and a content
check: the PNGs must start with the PNG signature, the markdown must be UTF-8 text, and
decision.json must be a JSON object whose ``promote`` agrees with the upload's ``promoted``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

from cloud_hub.errors import TooLarge, ValidationFailed

MiB = 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MARKDOWN, DECISION = "report.md", "decision.json"
# name → (content type, byte limit). The plots are what training/retrain/report.py draws.
ALLOWED: dict[str, tuple[str, int]] = {
    MARKDOWN: ("text/markdown; charset=utf-8", 1 * MiB),
    DECISION: ("application/json", 4 * MiB),
    "bands.png": ("image/png", 4 * MiB),
    "devices.png": ("image/png", 4 * MiB),
}
REQUIRED = (MARKDOWN, DECISION)
MAX_REASONS, MAX_REASON_CHARS = 50, 500


@dataclass(frozen=True)
class Headline:
    """The held-out field figures that say at a glance how the two models compared."""

    field_frames: int | None = None
    champion_rmse: float | None = None
    challenger_rmse: float | None = None


@dataclass(frozen=True)
class Accepted:
    files: dict[str, bytes]
    headline: Headline
    reasons: list[str]


def decode_files(encoded: dict[str, str]) -> dict[str, bytes]:
    """Base64 → bytes per whitelisted name; unknown names, bad base64 and oversize files refused."""
    unknown = sorted(set(encoded) - set(ALLOWED))
    if unknown:
        raise ValidationFailed(f"unknown report files {unknown}; allowed: {sorted(ALLOWED)}")
    missing = [n for n in REQUIRED if n not in encoded]
    if missing:
        raise ValidationFailed(f"a retrain report needs {missing}")
    out = {}
    for name, text in encoded.items():
        limit = ALLOWED[name][1]
        if len(text) > (limit + 2) // 3 * 4:  # before decoding: never hold more than the limit
            raise TooLarge(f"{name} is larger than its limit of {limit} bytes")
        try:
            out[name] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as e:
            raise ValidationFailed(f"{name} is not valid base64: {e}") from e
        if len(out[name]) > limit:
            raise TooLarge(f"{name} is larger than its limit of {limit} bytes")
    return out


def accept(files: dict[str, bytes], promoted: bool) -> Accepted:
    """Check each file's content; the headline figures and reasons come from decision.json."""
    for name, data in files.items():
        if name.endswith(".png") and not data.startswith(PNG_MAGIC):
            raise ValidationFailed(f"{name} is not a PNG image (no PNG signature)")
    try:
        files[MARKDOWN].decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValidationFailed(f"{MARKDOWN} is not UTF-8 text: {e}") from e
    try:
        decision = json.loads(files[DECISION])
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationFailed(f"{DECISION} is not JSON: {e}") from e
    if not isinstance(decision, dict) or not isinstance(decision.get("promote"), bool):
        raise ValidationFailed(f"{DECISION} must be an object with a boolean 'promote'")
    if decision["promote"] != promoted:
        raise ValidationFailed(
            f"promoted is {promoted} but {DECISION} says promote is {decision['promote']}"
        )
    reasons = decision.get("reasons")
    reasons = reasons if isinstance(reasons, list) else []
    kept = [r[:MAX_REASON_CHARS] for r in reasons if isinstance(r, str)]
    return Accepted(files, headline(decision), kept[:MAX_REASONS])


def headline(decision: dict[str, Any]) -> Headline:
    """Field frames and both models' field RMSE, where decision.json has them (an export that
    failed has no evaluations: no figures, not an error)."""
    field = _get(decision, "evaluations", "field")
    if not isinstance(field, dict):
        return Headline()
    frames = _number(_get(field, "champion", "overall", "n"))  # metrics writes n as a float
    return Headline(
        field_frames=int(frames) if frames is not None and frames.is_integer() else None,
        champion_rmse=_number(_get(field, "champion", "overall", "rmse")),
        challenger_rmse=_number(_get(field, "challenger", "overall", "rmse")),
    )


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)
