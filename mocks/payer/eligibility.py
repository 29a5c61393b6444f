"""The mock payer: member outcomes a test or a developer configures (active, inactive,
auth_required, not_found), and X12 005010X279A1 270 eligibility inquiries answered with 271s
driven by them (WF-3.4). A member not configured is active."""

from __future__ import annotations

from flask import Response, jsonify

from kipu_harness.events import Problem
from kipu_harness.wire.x12 import eligibility as x12

from ..common.base import ApiError, ctx
from ..common.routes import answers, blueprint
from .schemas import MemberIn, MemberOut, MembersOut, X12Text, x12_answer

payer = blueprint("payer", __name__, "/payer", "payer",
                  "Eligibility: member outcomes, and X12 270 inquiries answered with 271s (WF-3.4)")


@payer.post("/members", responses=answers(201, MemberOut))
def set_member(body: MemberIn):
    """Set a member's eligibility outcome: what the 271 answers for them"""
    def change(tx):
        found = tx.find("member", member_id=body.member_id)
        member = found[0] if found else tx.insert("member", {"member_id": body.member_id})
        member["outcome"] = body.outcome
        tx.put("member", member)
        return member

    member, _ = ctx().write(change, kind="member")
    return {"member": member}, 201


@payer.get("/members", responses=answers(200, MembersOut))
def members():
    """The configured member outcomes"""
    with ctx().store.read() as tx:
        return jsonify({"members": tx.all("member")})


@payer.post("/x12/270", responses=answers(200, None, 400, _200=x12_answer("the 271 (005010X279A1), as X12 text")))
def eligibility_inquiry(raw: X12Text):
    """Answer an X12 270 eligibility inquiry with a 271 (WF-3.4); a 270 that cannot be read: 400

    The 271 follows the member's configured outcome (active when none is set).
    """
    text = raw.get_data(as_text=True)
    ctx().journal("x12", "270 received", text)
    try:
        inquiry, envelope = x12.parse_270(text)
    except x12.X12Error as exc:
        ctx().journal("x12", f"270 rejected: {exc}")
        raise ApiError(400, "the 270 is not valid X12 005010X279A1", [Problem("x12", str(exc))]) from None
    try:
        # One transaction: a 270 whose content no 271 can carry takes no control number.
        with ctx().store.transaction() as tx:
            found = tx.find("member", member_id=inquiry.subscriber.member_id)
            outcome = found[0]["outcome"] if found else "active"
            control = tx.insert("x12_interchange", {"at": ctx().clock.now().isoformat()})["id"]
            reply_envelope = x12.Envelope(sender_id=envelope.receiver_id, receiver_id=envelope.sender_id,
                                          interchange_control=control, group_control=control,
                                          transaction_control=control, created_at=ctx().clock.now())
            answer = x12.build_271(inquiry, outcome, reply_envelope)
    except x12.X12Error as exc:
        ctx().journal("x12", f"270 rejected: {exc}")
        raise ApiError(400, "the 270 cannot be answered", [Problem("x12", str(exc))]) from None
    ctx().journal("x12", f"271 sent ({outcome})", answer)
    return Response(answer, mimetype="text/plain")
