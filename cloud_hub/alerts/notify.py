"""Alert notifications: an MQTT message under the pinned prefix and, per rule, a webhook.

Webhook delivery retries with doubling delays; the sleep is passed in so tests do not wait.
Only this module and ``cloud_hub.mqtt_client`` talk to the outside for alerts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx

from cloud_hub.errors import StoreUnavailable
from pm25 import topics
from pm25.wire import AlertNotice, encode

log = logging.getLogger(__name__)


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
) -> None:
    """POST the notice; retry on network errors and 5xx; StoreUnavailable when all tries fail."""
    delay = 1.0
    last = ""
    with httpx.Client(timeout=timeout_s, transport=transport) as client:
        for attempt in range(retries + 1):
            try:
                r = client.post(url, content=encode(notice), headers=_JSON)
                if r.status_code < 500:
                    if r.status_code >= 400:
                        log.warning("webhook refused", extra={"status": r.status_code})
                    return
                last = f"HTTP {r.status_code}"
            except httpx.HTTPError as e:
                last = type(e).__name__
            if attempt < retries:
                sleep(delay)
                delay = min(delay * 2, 60.0)
    raise StoreUnavailable(f"webhook failed after {retries + 1} tries: {last}")


_JSON = {"Content-Type": "application/json"}
