"""The mock clearinghouse: an 837P or 837I validated with pyx12 and answered with its 999 and a
277CA (WF-5.4). A claim it cannot accept is rejected in the 999 and the 277CA; text with no
interchange to acknowledge is a 400; never a 5xx."""

from __future__ import annotations

from kipu_harness.events import Problem
from kipu_harness.wire.x12 import claims as x12_claims

from ..common.base import ApiError, ctx
from ..common.routes import answers, blueprint
from .schemas import ClaimsAnswer, X12Text

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
    if not checked.ack_999:
        ctx().journal("x12", f"837 rejected: {'; '.join(checked.errors)}")
        raise ApiError(400, "the 837 is not a readable X12 interchange",
                       [Problem("x12", error) for error in checked.errors or ("cannot be read",)])
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
