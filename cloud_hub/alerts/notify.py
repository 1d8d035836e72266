"""Alert notifications: an MQTT message under the pinned prefix and, per rule, a webhook.

Webhook delivery retries with doubling delays; the sleep is passed in so tests do not wait.
``cloud_hub.alerts.delivery`` records what came of each notice.
Only this module and ``cloud_hub.mqtt_client`` talk to the outside for alerts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from cloud_hub.errors import DeliveryFailed
from pm25 import topics
from pm25.wire import AlertNotice, encode


def publish_notice(publish: Callable[..., None], notice: AlertNotice) -> None:
    publish(topics.alert(notice.device_id), encode(notice))


def post_webhook(
    url: str,
    notice: AlertNotice,
    *,
    retries: int,
    timeout_s: float,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """POST the notice; the number of tries it took.

    Network errors and 5xx are retried; a 4xx is a refusal that a retry would not change, so it
    fails at once. Either way :class:`DeliveryFailed` says why and after how many tries."""
    delay = 1.0
    last = ""
    with httpx.Client(timeout=timeout_s, transport=transport) as client:
        for attempt in range(retries + 1):
            try:
                r = client.post(url, content=encode(notice), headers=_JSON)
                if r.status_code < 400:
                    return attempt + 1
                if r.status_code < 500:
                    raise DeliveryFailed(f"webhook refused: HTTP {r.status_code}", attempt + 1)
                last = f"HTTP {r.status_code}"
            except httpx.HTTPError as e:
                last = f"{type(e).__name__}: {e}"[:200]
            if attempt < retries:
                sleep(delay)
                delay = min(delay * 2, 60.0)
    raise DeliveryFailed(f"webhook failed after {retries + 1} tries: {last}", retries + 1)


_JSON = {"Content-Type": "application/json"}
