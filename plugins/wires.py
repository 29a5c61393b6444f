"""How outbox deliveries travel: JSON webhooks over HTTP, and HL7 v2 (MLLP, or HTTP in-process)."""

from __future__ import annotations

from typing import Any

from kipu_harness import hookimpl
from kipu_harness.events import Delivery, DeliveryResult
from kipu_harness.wire import hl7v2


@hookimpl
def harness_deliver(delivery: Delivery, links: Any) -> DeliveryResult | None:
    if delivery.wire == "json":
        status, body = links.post_json(delivery.destination, delivery.path, delivery.body)
        if status >= 500:
            # The destination is there but failing: treat it like an outage and retry later.
            raise ConnectionError(f"{delivery.destination} answered {status}")
        detail = f"HTTP {status}" + (f": {body.get('errors')}" if isinstance(body, dict) and body.get("errors") else "")
        return DeliveryResult(ok=status < 400, detail=detail)
    if delivery.wire == "hl7v2":
        ack = links.send_hl7(delivery.body)
        code, reason = hl7v2.ack_code(ack)
        return DeliveryResult(ok=code == "AA", detail=f"{code} {reason}".strip())
    return None
