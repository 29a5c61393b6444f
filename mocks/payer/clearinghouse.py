"""The mock clearinghouse: an 837P or 837I validated with pyx12 and answered with its 999 and a
277CA (WF-5.4). A claim it cannot accept is rejected in the 999 and the 277CA; text with no
interchange to acknowledge is a 400; never a 5xx. A file of many interchanges is answered
interchange by interchange (``/x12/837/batch``)."""

from __future__ import annotations

from typing import Any

from kipu_harness.events import Problem
from kipu_harness.wire.x12 import claims as x12_claims
from kipu_harness.wire.x12.claims import batch as x12_batch

from ..common.base import ApiError, ctx
from ..common.routes import answers, blueprint
from .schemas import ClaimsAnswer, ClaimsBatchAnswer, X12Text

MAX_BATCH = 1000  # interchanges in one file: bounded work for one request

clearinghouse = blueprint("clearinghouse", __name__, "/clearinghouse", "clearinghouse",
                          "Claims: X12 837P/837I answered with a 999 and a 277CA (WF-5.4)")


@clearinghouse.post("/x12/837", responses=answers(200, ClaimsAnswer, 400))
def receive_claims(raw: X12Text):
    """Send an 837P or 837I: validated with pyx12, answered with its 999 and a 277CA (WF-5.4)

    An interchange pyx12 can read is answered with a 999 that accepts it or rejects it with
    pyx12's findings, and a 277CA for the claims it could read; text with no readable
    interchange to acknowledge is a 400 naming the problem.
    """
    text = raw.get_data(as_text=True)
    ctx().journal("x12", "837 received", text)
    checked = _validated(text)
    answer = _answer(text, checked)
    if answer is None:
        raise ApiError(400, "the 837 is not a readable X12 interchange",
                       [Problem("x12", error) for error in checked.errors or ("cannot be read",)])
    return answer


@clearinghouse.post("/x12/837/batch", responses=answers(200, ClaimsBatchAnswer, 400))
def receive_claims_batch(raw: X12Text):
    """Send a file of 837 interchanges, one after another: each answered as on its own (WF-5.4)

    Each interchange (ISA through IEA, with the separators its own ISA declares) is validated
    with pyx12, on two cores when there are many, and answered in the file's order with its
    999 and 277CA, exactly as ``POST /clearinghouse/x12/837`` would answer it; one that cannot be
    read is answered not accepted, with the reason and no 999. Text with no interchange, or more
    than MAX_BATCH of them, is a 400.
    """
    texts = x12_batch.interchanges(raw.get_data(as_text=True))
    if not texts or not texts[0].startswith("ISA"):
        raise ApiError(400, "the file holds no X12 interchange", [Problem("x12", "expected an ISA segment first")])
    if len(texts) > MAX_BATCH:
        raise ApiError(400, f"the file holds {len(texts)} interchanges",
                       [Problem("x12", f"at most {MAX_BATCH} interchanges a file")])
    for text in texts:
        ctx().journal("x12", "837 received", text)
    answers_ = []
    for text, checked in zip(texts, x12_batch.validate_837_all(texts, validate=_validated)):
        answer = _answer(text, checked)
        answers_.append(answer or {"accepted": False, "errors": list(checked.errors or ("cannot be read",)),
                                   "ack_999": "", "ack_277ca": ""})
    return {"interchanges": answers_}


def _answer(text: str, checked: x12_claims.Validation) -> dict[str, Any] | None:
    """The answer to one interchange: its 999 and 277CA, journaled; None when it has no
    interchange to acknowledge."""
    if not checked.ack_999:
        ctx().journal("x12", f"837 rejected: {'; '.join(checked.errors)}")
        return None
    claim_ids = [seg.split("*")[1] for seg in text.replace("\n", "").split("~") if seg.startswith("CLM*")]
    with ctx().store.transaction() as tx:
        control = tx.insert("x12_interchange", {"at": ctx().clock.now().isoformat()})["id"]
    envelope = x12_claims.Envelope(sender_id="CLEARINGHOUSE", receiver_id="KIPURCM", interchange_control=control,
                                   group_control=control, transaction_control=control, created_at=ctx().clock.now())
    ack_277 = ""
    if claim_ids:
        try:
            ack_277 = x12_claims.build_277ca(x12_claims.parse_837(text), checked.ok, envelope,
                                             reason=" ".join("; ".join(checked.errors).split())[:200])
        except (x12_claims.ClaimError, ValueError, IndexError, KeyError, AttributeError, TypeError) as exc:
            # Too broken to acknowledge claim by claim: the 999 alone answers it.
            ctx().journal("x12", f"no 277CA: {exc}")
    ctx().journal("x12", f"999 {'accepted' if checked.ok else 'rejected'}", checked.ack_999)
    return {"accepted": checked.ok, "errors": list(checked.errors), "ack_999": checked.ack_999,
            "ack_277ca": ack_277}


def _validated(text: str) -> x12_claims.Validation:
    """pyx12's verdict. pyx12 itself fails on some broken interchanges (an IndexError on a segment
    outside any group, say): that text is unreadable, not a server error."""
    try:
        return x12_claims.validate_837(text)
    except Exception as exc:  # noqa: BLE001 - whatever pyx12 raises, the text is at fault
        return x12_claims.Validation(False, (f"pyx12 cannot read it ({type(exc).__name__}: {exc})",), "")
