"""Electronic eligibility from the RCM (WF-3.4): build a 270 from the insurance set, exchange it
with the payer, read the 271, and keep both in the journal and the result on the insurance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kipu_harness.events import Problem
from kipu_harness.wire.x12 import eligibility as x12

from ..common.base import ApiError, SystemContext, ctx
from ..common.routes import answers, blueprint, path_model
from .insurance import insurance_entry
from .schemas import EligibilityReviewIn
from .schemas_records import EligibilityOut, InsuranceOut

# The billing facility the 270 names as information receiver (2100B). The Konnector settings of
# a later issue replace this; the NPI passes the Luhn check over 80840 + NPI.
FACILITY_NAME, FACILITY_NPI = "KIPU HARNESS RECOVERY", "1234567893"
GENDER_CODES = {"Female": "F", "Male": "M"}


def _party(member_id: str, first: str, last: str, birthday: str | None, gender: str | None) -> x12.Party:
    if not birthday:
        raise ApiError(409, "eligibility needs a birthday", [Problem("policy_holder.birthday", "is required for a 270")])
    return x12.Party(member_id=member_id, first_name=first or "", last_name=last or "",
                     dob=dt.date.fromisoformat(birthday), gender=GENDER_CODES.get(gender or "", "U"))


def build_request(patient: dict[str, Any], entry: dict[str, Any], today: dt.date, trace: str) -> x12.EligibilityRequest:
    holder, payer = entry["policy_holder"], entry["payer"]
    subscriber = _party(holder["insurance_id"], holder["first_name"], holder["last_name"], holder["birthday"],
                        holder["gender"])
    dependent = None
    if holder["relationship"] != "Self":
        profile = patient["profile"]
        gender = patient["treatment_episodes"][-1]["intake"]["insurance"]["insurance_set"]["policy_holder"]["gender"]
        dependent = _party("", profile["first_name"], profile["last_name"], profile["birthday"], gender)
    return x12.EligibilityRequest(
        payer_name=payer["name"], payer_id=payer["payer_id"], provider_name=FACILITY_NAME, provider_npi=FACILITY_NPI,
        subscriber=subscriber, dependent=dependent, service_date=today, trace_number=trace,
    )


def run_check(context: SystemContext, patient_id: Any, episode_id: Any, insurance_id: Any) -> dict[str, Any]:
    with context.store.transaction() as tx:
        patient, entry = insurance_entry(tx, patient_id, episode_id, insurance_id)
        control = tx.insert("x12_interchange", {"at": context.clock.now().isoformat()})["id"]
    try:
        request = build_request(patient, entry, context.clock.today(), trace=f"{patient['id']}-{insurance_id}-{control}")
    except x12.X12Error as exc:
        raise ApiError(409, "no 270 can be built from this insurance", [Problem("x12", str(exc))]) from None
    envelope = x12.Envelope(sender_id="KIPURCM", receiver_id=entry["payer"]["payer_id"], interchange_control=control,
                            group_control=control, transaction_control=control, created_at=context.clock.now())
    try:
        inquiry = x12.build_270(request, envelope)
    except x12.X12Error as exc:  # data the RCM holds but a 270 cannot carry: say which
        raise ApiError(409, "no 270 can be built from this insurance", [Problem("x12", str(exc))]) from None
    context.journal("x12", f"270 sent to {entry['payer']['name']} (ISA13 {control:09d})", inquiry)
    try:
        status, reply = context.links.exchange("payer", "/payer/x12/270", inquiry)
    except ConnectionError as exc:
        raise ApiError(503, "the payer cannot be reached", [Problem("payer", str(exc))]) from None
    if status != 200:
        raise ApiError(502, "the payer refused the 270", [Problem("x12", reply[:300])])
    context.journal("x12", "271 received", reply)
    try:
        answer = x12.parse_271(reply)
    except x12.X12Error as exc:
        raise ApiError(502, "the payer's 271 is not valid", [Problem("x12", str(exc))]) from None
    if answer.trace_number != request.trace_number:
        raise ApiError(502, "the payer's 271 answers another inquiry",
                       [Problem("x12", f"TRN02 {answer.trace_number!r}, expected {request.trace_number!r}")])
    result = {
        "status": answer.status,
        "benefits": [{"info": b.info, "service_types": list(b.service_types),
                      "authorization_required": b.authorization_required, "message": b.message}
                     for b in answer.benefits],
        "reject_reason": answer.reject_reason,
        "trace_number": answer.trace_number,
        "checked_at": context.clock.now().isoformat(),
        "reviewed": None,
    }

    def change(tx):
        fresh, fresh_entry = insurance_entry(tx, patient_id, episode_id, insurance_id)
        fresh_entry["eligibility"] = result
        tx.put("patient", fresh)
        return fresh

    context.write(change, "eligibility.checked")
    return result


# -- routes: Check Eligibility and its review (WF-3.4) ---------------------------------------

eligibility = blueprint("eligibility", __name__, "/rcm", "eligibility",
                        "Electronic eligibility: X12 270 to the payer, 271 back, reviewed in the RCM (WF-3.4)")
InsurancePath = path_model("patient_id", "episode_id", "insurance_id")
_BASE = "/patients/<id:patient_id>/episodes/<id:episode_id>/insurances/<id:insurance_id>/eligibility"


@eligibility.post(_BASE, responses=answers(200, EligibilityOut, 409, 502, 503))
def check_eligibility(path: InsurancePath):
    """Check eligibility: X12 270 to the payer, 271 back (WF-3.4)"""
    return {"eligibility": run_check(ctx(), path.patient_id, path.episode_id, path.insurance_id)}


@eligibility.post(f"{_BASE}/review", responses=answers(200, InsuranceOut, 409))
def review_eligibility(path: InsurancePath, body: EligibilityReviewIn):
    """Review and complete the eligibility result (WF-3.4)"""
    ids = (path.patient_id, path.episode_id, path.insurance_id)

    def change(tx):
        patient, entry = insurance_entry(tx, *ids)
        if not entry.get("eligibility"):
            raise ApiError(409, "no eligibility result to review", [Problem("eligibility", "run a check first")])
        reviewed = {"by": body.reviewed_by, "at": ctx().clock.now().isoformat(), "note": body.note or ""}
        entry["eligibility"].update(reviewed=reviewed)
        tx.put("patient", patient)
        return patient

    ctx().write(change, "eligibility.reviewed", kind="patient")
    with ctx().store.read() as tx:
        return {"insurance": insurance_entry(tx, *ids)[1]}
