"""How outbox deliveries travel: JSON webhooks over HTTP, and HL7 v2 (MLLP, or HTTP in-process);
and what each answer means for the message. The contract, for senders and receivers alike:

==================  ==============================================================================
delivered           HTTP 2xx; HL7 ``AA`` (or ``CA``). Marked delivered, never sent again.
retried later       no answer (connection refused or reset, a timeout, a closed connection); HTTP
                    5xx and 429; HL7 ``AE`` whose ERR-3 code is 206 (application record locked) or
                    207 (application internal error). The message stays pending, holds back the
                    later messages to the same destination, and is tried again with backoff (or
                    after the receiver's ``Retry-After``, in seconds or an HTTP date, if it gave
                    one).
rejected            any other answer: HTTP 4xx (but 429) and 3xx, HL7 ``AR`` (or ``CR``), ``AE``
                    with another ERR-3 code or none, or an answer that cannot be read. Kept in the
                    outbox with status ``rejected`` and the reason (``GET /_mock/outbox``), never
                    retried; the later messages go on.
==================  ==============================================================================

So a receiver that gets a message before the one it needs (an A08 or A03 before its A01) answers
``AE`` with ERR-3 206 (HL7) or 503 with ``Retry-After`` (JSON): the sender holds the message and
tries again. A receiver that refuses a message for good answers ``AR`` or a 4xx.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

from kipu_harness import hookimpl
from kipu_harness.events import Delivery, DeliveryResult
from kipu_harness.wire import hl7v2

TRY_LATER_HTTP = frozenset({429})  # besides every 5xx
TRY_LATER_HL7 = frozenset({"206", "207"})  # ERR-3 codes of HL7 table 0357 that mean "try again later"
HL7_TABLE = "HL70357"


@hookimpl
def harness_deliver(delivery: Delivery, links: Any) -> DeliveryResult | None:
    if delivery.wire == "json":
        answer = links.post_json(delivery.destination, delivery.path, delivery.body)
        status, body = answer
        return http_result(status, body, getattr(answer, "headers", {}))
    if delivery.wire == "hl7v2":
        return hl7_result(links.send_hl7(delivery.body))
    return None


def http_result(status: int, body: Any, headers: dict[str, str] | None = None) -> DeliveryResult:
    """What an HTTP answer means for the message (the table above)."""
    detail = f"HTTP {status}" + (f": {body.get('errors')}" if isinstance(body, dict) and body.get("errors") else "")
    if 200 <= status < 300:
        return DeliveryResult(ok=True, detail=detail)
    if status >= 500 or status in TRY_LATER_HTTP:
        after = retry_after((headers or {}).get("retry-after"))
        return DeliveryResult(ok=False, detail=detail, retry=True, retry_after=after)
    return DeliveryResult(ok=False, detail=detail)


def hl7_result(ack: str) -> DeliveryResult:
    """What an HL7 acknowledgement means for the message (the table above)."""
    try:
        code, reason = hl7v2.ack_code(ack)
    except Exception as exc:  # noqa: BLE001 - an answer that is no ACK is a refusal, said as such
        return DeliveryResult(ok=False, detail=f"unreadable acknowledgement ({type(exc).__name__})")
    if code in ("AA", "CA"):
        return DeliveryResult(ok=True, detail=f"{code} {reason}".strip())
    error = error_code(ack) if code == "AE" else ""
    detail = " ".join(part for part in (code, error, reason) if part)
    return DeliveryResult(ok=False, detail=detail, retry=error in TRY_LATER_HL7)


def error_code(ack: str) -> str:
    """The HL7 table 0357 error code of an ACK: ERR-3's identifier; failing that, any ERR field
    coded in table HL70357 (``code^text^HL70357``) where a sender put it elsewhere."""
    errs = [segment.split("|") for segment in ack.replace("\n", "\r").split("\r") if segment.startswith("ERR|")]
    for fields in errs:
        if len(fields) > 3 and fields[3].split("^")[0].strip():
            return fields[3].split("^")[0].strip()
    for fields in errs:
        for value in fields[1:]:
            parts = value.split("^")
            if len(parts) >= 3 and parts[2].strip() == HL7_TABLE and parts[0].strip():
                return parts[0].strip()
    return ""


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
