"""Mock payer / clearinghouse: answers X12 270 eligibility inquiries with 271s, driven by the
member outcomes a test or a developer configures (active, inactive, auth_required, not_found)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from kipu_harness.events import Problem
from kipu_harness.wire.x12 import eligibility as x12

from ..common import openapi
from ..common.api import new_app
from ..common.base import ApiError, SystemContext, ctx, json_body
from ..common.checks import Checker

OPENAPI = openapi.document(
    "Mock payer and clearinghouse",
    "Answers X12 005010X279A1 270 eligibility inquiries with 271 responses. A member's outcome is "
    "configured with POST /payer/members; members not configured are active.",
    [
        ("POST", "/payer/members", "Set a member's eligibility outcome",
         openapi.fields("member_id", "outcome", required=("member_id", "outcome"))),
        ("GET", "/payer/members", "The configured member outcomes", None),
        ("POST", "/payer/x12/270", "Send a 270 (text/plain X12); answers with a 271", None),
        ("POST", "/clearinghouse/x12/837", "Send an 837P/837I; answers with the 999 and a 277CA (JSON)", None),
    ],
)

payer = Blueprint("payer", __name__, url_prefix="/payer")


def create_app(context: SystemContext) -> Flask:
    app = new_app(context, title=OPENAPI["info"]["title"], description=OPENAPI["info"]["description"], apis=())
    app.register_blueprint(payer)
    app.register_blueprint(clearinghouse)
    return app


clearinghouse = Blueprint("clearinghouse", __name__, url_prefix="/clearinghouse")


@clearinghouse.post("/x12/837")
def receive_claims():
    """An 837P or 837I: validated with pyx12, answered with its 999 and a 277CA (WF-5.4)."""
    from kipu_harness.wire.x12 import claims as x12_claims

    text = request.get_data(as_text=True)
    ctx().journal("x12", "837 received", text)
    checked = x12_claims.validate_837(text)
    claim_ids = [seg.split("*")[1] for seg in text.replace("\n", "").split("~") if seg.startswith("CLM*")]
    with ctx().store.transaction() as tx:
        control = tx.insert("x12_interchange", {"at": ctx().clock.now().isoformat()})["id"]
    envelope = x12.Envelope(sender_id="CLEARINGHOUSE", receiver_id="KIPURCM", interchange_control=control,
                            group_control=control, transaction_control=control, created_at=ctx().clock.now())
    ack_277 = ""
    if claim_ids:
        try:
            ack_277 = x12_claims.build_277ca(x12_claims.parse_837(text), checked.ok, envelope,
                                             reason=" ".join("; ".join(checked.errors).split())[:200])
        except (x12_claims.ClaimError, ValueError, IndexError, KeyError) as exc:
            # Too broken to acknowledge claim by claim: the 999 alone answers it.
            ctx().journal("x12", f"no 277CA: {exc}")
    ctx().journal("x12", f"999 {'accepted' if checked.ok else 'rejected'}", checked.ack_999)
    return jsonify({"accepted": checked.ok, "errors": list(checked.errors), "ack_999": checked.ack_999,
                    "ack_277ca": ack_277})


@payer.post("/members")
def set_member():
    c = Checker(json_body())
    c.unknown({"member_id", "outcome"})
    member_id = c.text("member_id", required=True, max_len=80)
    outcome = c.choice("outcome", x12.OUTCOMES, required=True)
    c.done("invalid member")

    def change(tx):
        found = tx.find("member", member_id=member_id)
        member = found[0] if found else tx.insert("member", {"member_id": member_id})
        member["outcome"] = outcome
        tx.put("member", member)
        return member

    member, _ = ctx().write(change, kind="member")
    return jsonify({"member": member}), 201


@payer.get("/members")
def members():
    with ctx().store.read() as tx:
        return jsonify({"members": tx.all("member")})


@payer.post("/x12/270")
def eligibility_inquiry():
    text = request.get_data(as_text=True)
    ctx().journal("x12", "270 received", text)
    try:
        inquiry, envelope = x12.parse_270(text)
    except x12.X12Error as exc:
        ctx().journal("x12", f"270 rejected: {exc}")
        raise ApiError(400, "the 270 is not valid X12 005010X279A1", [Problem("x12", str(exc))]) from None
    with ctx().store.transaction() as tx:
        found = tx.find("member", member_id=inquiry.subscriber.member_id)
        control = tx.insert("x12_interchange", {"at": ctx().clock.now().isoformat()})["id"]
    outcome = found[0]["outcome"] if found else "active"
    reply_envelope = x12.Envelope(sender_id=envelope.receiver_id, receiver_id=envelope.sender_id,
                                  interchange_control=control, group_control=control,
                                  transaction_control=control, created_at=ctx().clock.now())
    answer = x12.build_271(inquiry, outcome, reply_envelope)
    ctx().journal("x12", f"271 sent ({outcome})", answer)
    return Response(answer, mimetype="text/plain")
