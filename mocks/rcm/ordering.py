"""The order and identity of the ADT messages the RCM receives: each patient's messages are applied
in the order the EMR made them, each message at most once, whatever order and however often they
arrive (faults, retries, a reordering network).

On the wire: MSH-10 names a message, MSH-13 is the EMR's sequence number for the patient (1, 2,
3... as it queued them) and MSH-7/EVN-2 the time it was made. In the RCM's transaction, in order:

1. **Identity.** The RCM keeps every MSH-10 it has applied (or judged stale) with a digest of the
   message. The same MSH-10 with the same text again is a duplicate: AA, nothing applied. The same
   MSH-10 with other text is another message reusing the id: AR, ERR-3 205, journaled, nothing
   applied.
2. **What it needs.** An A08 (update) or A03 (discharge) needs the record the patient's A04 or A01
   made: before it, the RCM answers AE with ERR-3 206 ("application record locked", the agreed
   "try later"), so the sender holds the message and sends it again; nothing is kept, so the retry
   is judged afresh. A gap in the sequence is not waited for: every ADT carries the whole patient
   (demographics, visit, every diagnosis sent), so the newest one applied holds everything an
   older one would have brought, and a message the RCM rejected for good would otherwise hold up
   its patient for ever.
3. **Order.** A message not newer than the last one applied for the patient (a sequence number
   at most the stored one; without one on either side, an MSH-7 before the stored one) is
   acknowledged AA and not applied over the newer data ("stale, not applied" in the journal).
   A newer one is applied and becomes the patient's last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from kipu_harness.wire import hl7v2
from kipu_harness.wire.hl7v2.parse import normalize

APPLIED = "applied:adt"  # per RCM patient: the sequence, MSH-7 and MSH-10 of the last message applied
NEEDS_RECORD = ("A08", "A03")


class Answer(Exception):
    """A message the RCM does not apply, answered with ``code`` and ERR-3 ``error``."""

    def __init__(self, code: str, error: str, reason: str):
        super().__init__(reason)
        self.code, self.error, self.reason = code, error, reason


def digest(text: str) -> str:
    """What makes two copies of a message the same message: its segments, however they are separated."""
    return "sha256:" + hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def apply_in_order(tx, message: hl7v2.AdtMessage, text: str, find: Callable[[Any, Any], dict | None],
                   apply: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Apply ``message`` with ``apply()`` if it is new and newer; returns the patient, or
    ``{"duplicate": True}`` / ``{"stale": reason}``. Raises :class:`Answer` for AE 206 and AR 205."""
    earlier = tx.remember(message.control_id, digest(text))
    if earlier is not None:
        # "AA": kept before messages had digests; the id alone then said it was the same message.
        if earlier in (digest(text), "AA"):
            return {"duplicate": True}
        raise Answer("AR", "205", f"MSH-10: control id {message.control_id} was already used by another message "
                                  "(different content); refused, not applied")
    patient = find(tx, message.patient)
    known = patient is not None and patient.get("emr_patient_id") == message.patient.patient_id
    if message.trigger in NEEDS_RECORD and not known:
        raise Answer("AE", "206", f"{message.trigger} for unknown patient {message.patient.patient_id}: "
                                  "its A01 or A04 has not arrived; try later")
    last = tx.get(APPLIED, patient["id"]) if known else None
    why = stale(message, last)
    if why:
        return {"stale": why}
    patient = apply()
    tx.put(APPLIED, {"id": patient["id"], "sequence": message.sequence, "sent_at": message.sent_at.isoformat(),
                     "control_id": message.control_id})
    return patient


def stale(message: hl7v2.AdtMessage, last: dict[str, Any] | None) -> str:
    """Why ``message`` is not newer than ``last`` (the last one applied), or "" if it is."""
    if last is None:
        return ""
    if message.sequence is not None and last.get("sequence") is not None:
        if message.sequence <= last["sequence"]:
            return f"sequence {message.sequence}, {last['sequence']} applied ({last['control_id']})"
        return ""
    applied_at = dt.datetime.fromisoformat(last["sent_at"])
    if message.sent_at < applied_at:
        return f"sent {message.sent_at.isoformat()}, one sent {last['sent_at']} applied ({last['control_id']})"
    return ""


def summary(message: hl7v2.AdtMessage, outcome: dict[str, Any]) -> str:
    """The journal line for an AA."""
    if outcome.get("duplicate"):
        return "AA duplicate (already applied)"
    if outcome.get("stale"):
        return f"AA {message.trigger} stale, not applied: {outcome['stale']}"
    return f"AA {message.trigger} applied"
