"""The alert notice the hub publishes on ``pm25/v1/<device_id>/alert`` and POSTs to webhooks.

It lives in the wire contract, not in the hub, because outside consumers read it: any MQTT client
subscribed to ``pm25/v1/+/alert`` (or a webhook receiver) decodes it with a JSON parser.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pm25.wire.common import Code, DeviceId, Message, ShortText, UtcTime

__all__ = ["AlertNotice"]


class AlertNotice(Message):
    """An alert rule started firing for a device, or stopped (``resolved``)."""

    rule_id: int = Field(ge=1, description="Id of the alert rule in the hub.")
    rule: ShortText = Field(description="Name of the rule, as the operator wrote it.")
    kind: Code = Field(description="Rule kind, e.g. pm25_above, aqi_above, offline.")
    device_id: DeviceId = Field(description="The device the alert is about.")
    state: Literal["firing", "resolved"] = Field(description="firing or resolved.")
    message: ShortText = Field(description="Human-readable explanation.")
    t: UtcTime = Field(description="When the hub decided, unix seconds UTC.")
