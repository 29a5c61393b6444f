"""The RCM Work Center (WF-5.4): claims from the treatments submitted on the Attendance Calendar,
built as X12 837I or 837P (the RCM service decides: BAT-11), sent to the clearinghouse, and
followed by its 999 and 277CA. A patient without insurance gets a private-pay statement and no
payer claim (PROC-07)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from typing import Any

from flask import jsonify

from kipu_harness.events import Problem
from kipu_harness.wire.x12 import claims as x12
from kipu_harness.wire.x12.envelope import Envelope

from ..common.base import ApiError, SystemContext, ctx, require_role
from ..common.routes import answers, blueprint
from .billing_schemas import BillingUser, ClaimsOut, ClaimsQuery
from .insurance import episode_of

work_center = blueprint("work_center", __name__, "/rcm/work_center", "work center",
                        "Step 5 in the RCM: claims as X12 837I/837P to the clearinghouse, and its 999 and 277CA "
                        "(WF-5.4)")
FORMATS = {"institutional": "837I", "professional": "837P"}
RELATIONSHIP_CODES = {"Self": "18", "Spouse": "01", "Child": "19", "Other": "G8"}
GENDERS = {"Female": "F", "Male": "M"}


@work_center.get("/claims", responses=answers(200, ClaimsOut))
def claims(query: ClaimsQuery):
    """The Work Center's claims and private-pay statements, with the 837 sent and its 999 and 277CA (WF-5.4)

    ``patient_id``: only that RCM patient's, as the Work Center's patient filter shows them;
    ``patient_ids``: only those (comma-separated).
    """
    patients = query.patients()
    with ctx().store.read() as tx:
        found = tx.all("claim") if patients is None else _of(tx, "claim", patients)
        return jsonify({"claims": found})


def _of(tx, kind: str, patients: list[int]) -> list[dict[str, Any]]:
    """The records of these patients, through the patient_id index, by id."""
    return sorted((r for patient in patients for r in tx.find(kind, patient_id=patient)), key=lambda r: r["id"])


@work_center.post("/claims", responses=answers(201, ClaimsOut, 403, 409))
def create_claims(header: BillingUser, query: ClaimsQuery):
    """Create and send claims for every submitted treatment not yet on one; needs the billing role (WF-5.4, SET-05)

    One claim per patient, episode, claim format (the RCM service's: BAT-11), pay type and
    rendering provider; a private-pay patient gets a statement and no payer claim (PROC-07).
    ``patient_id``: only that RCM patient's treatments, so one biller's work does not bill
    another's; ``patient_ids``: only those patients' (comma-separated), in one run. Two claims or
    more go to the clearinghouse in one file. Nothing submitted to bill: 409.
    """
    context = ctx()
    with context.store.transaction() as tx:
        require_role(tx)
        # One patient's treatments through the patient_id index: a biller's run per patient reads
        # only that patient's, however long the Attendance Calendar grows.
        patients = query.patients()
        held = tx.all("attendance") if patients is None else _of(tx, "attendance", patients)
        entries = [e for e in held if e["status"] == "submitted"]
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for entry in entries:
            service = tx.get("rcm_service", entry["service_id"])
            # One claim per rendering provider too: the claim names one (2310B / 2310A).
            key = (entry["patient_id"], entry["episode_id"], service["claim_format"], entry["pay_type"],
                   entry["rendering_provider"], entry.get("facility") or "")
            groups.setdefault(key, []).append({**entry, "service": service})
        drafts = [_draft(tx, context, key, rows) for key, rows in sorted(groups.items())]
    if not drafts:
        raise ApiError(409, "nothing to bill", [Problem("attendance", "submit treatments on the Attendance Calendar first")])
    made = _send_all(context, drafts)
    return {"claims": made}, 201


def _draft(tx, context: SystemContext, key: tuple, rows: list[dict[str, Any]]) -> dict[str, Any]:
    patient_id, episode_id, claim_format, pay_type, _provider, facility = key
    patient = tx.get("patient", patient_id)
    episode = episode_of(patient, episode_id)
    record = tx.insert("claim", {"patient_id": patient_id, "episode_id": episode_id, "pay_type": pay_type,
                                 "format": FORMATS[claim_format], "status": "draft",
                                 "attendance_ids": [r["id"] for r in rows]})
    for row in rows:
        entry = tx.get("attendance", row["id"])
        entry["status"] = "claimed"
        tx.put("attendance", entry)
    primary = _primary(episode) if pay_type == "insurance" else None
    lines = _lines(tx, rows, primary["payer"]["id"] if primary else None)
    record["lines"] = [{**line, "charge": str(line["charge"]), "service_date": line["service_date"].isoformat()}
                       for line in lines]
    if pay_type == "private":
        # PROC-07: billed to the patient with the private-pay codes; nothing goes to a payer.
        record.update(status="private pay statement", total=str(sum(line["charge"] for line in lines)))
        tx.put("claim", record)
        return {"record": record}
    claim = build_claim(tx, record["id"], patient, episode, FORMATS[claim_format], lines, rows, facility)
    record["claim_id"] = claim.claim_id
    tx.put("claim", record)
    return {"record": record, "claim": claim}


def _primary(episode: dict[str, Any]) -> dict[str, Any]:
    """The insurance a payer claim goes to: the first by priority."""
    return sorted(episode["intake"]["insurance"]["insurance_set"]["insurances"],
                  key=lambda i: ("primary", "secondary", "tertiary").index(i["priority"]))[0]


def _lines(tx, rows: list[dict[str, Any]], payer_id: int | None) -> list[dict[str, Any]]:
    """BAT-10: one unit per charge; N of the same service on one day become one line of N units.
    Modifiers come only from the RCM service and claim rules (BAT-09): a rule for a payer only on
    that payer's claims, a rule for none on every payer claim."""
    counted = Counter((r["service_id"], r["date_of_service"], r["service_profile"], r["rendering_provider"]) for r in rows)
    rules = [r for r in tx.all("claim_rule") if r.get("payer") in (None, payer_id)]
    lines = []
    for (service_id, day, profile, provider), units in sorted(counted.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        service = tx.get("rcm_service", service_id)
        modifiers = [m for m in [service["modifier"]] if m]
        modifiers += [r["add_modifier"] for r in rules if r["procedure_code"] == service["procedure_code"]]
        lines.append({"procedure_code": service["procedure_code"], "revenue_code": service["revenue_code"],
                      "modifiers": modifiers[:4], "units": units, "place_of_service": profile,
                      "charge": Decimal(service["rate"]) * units, "service_date": dt.date.fromisoformat(day),
                      "rendering_provider": provider, "service": service["name"]})
    return lines


def build_claim(tx, number: int, patient, episode, claim_format: str, lines, rows, facility_name: str = "") -> "x12.Claim":
    settings = tx.get("billing_setting", 1)
    # The billing provider is the facility the treatments bill under (SET-02..SET-04).
    facility = next((f for f in settings.get("facilities", []) if f["name"] == facility_name), settings["facility"])
    address = x12.Address(facility["street"], facility["city"], facility["state"], facility["zip"])
    billing = x12.Provider(facility["name"], facility["npi"], facility["tax_id"], address)
    provider_npi = lines[0]["rendering_provider"]
    provider = next(p for p in tx.all("provider") if p["npi"] == provider_npi)
    rendering = x12.Provider(provider["name"], provider["npi"])
    insurance = _primary(episode)
    holder, profile = insurance["policy_holder"], patient["profile"]
    intake = episode["intake"]
    patient_address = x12.Address(intake["patient_profile"].get("address") or "", intake["patient_profile"].get("city") or "",
                                  intake["patient_profile"].get("state") or "", intake["patient_profile"].get("zip_code") or "")
    patient_person = x12.Person(profile["first_name"], profile["last_name"], dt.date.fromisoformat(profile["birthday"]),
                                GENDERS.get(intake["insurance"]["insurance_set"]["policy_holder"]["gender"] or "", "U"),
                                patient_address)
    relationship = RELATIONSHIP_CODES[holder["relationship"]]
    if relationship == "18":
        subscriber_person = patient_person
    else:
        subscriber_person = x12.Person(holder["first_name"], holder["last_name"], dt.date.fromisoformat(holder["birthday"]),
                                       GENDERS.get(holder["gender"] or "", "U"), patient_address)
    subscriber = x12.Subscriber(subscriber_person, holder["insurance_id"], insurance["payer"]["name"],
                                insurance["payer"]["payer_id"], relationship)
    diagnoses = tuple(d["code"] for d in intake["behavioral_diagnoses"]["diagnoses"])
    # BAT-14: the claim's diagnoses are the patient's, as last sent from the EMR; an 837P holds 12
    # (the rest stay on the record) and each line points at no more than 4.
    diagnoses = diagnoses[: x12.MAX_DIAGNOSES[claim_format]]
    pointers = tuple(range(1, min(4, len(diagnoses)) + 1))
    service_lines = tuple(
        x12.ServiceLine(procedure_code=line["procedure_code"], charge=line["charge"], units=line["units"],
                        service_date=line["service_date"], modifiers=tuple(line["modifiers"]),
                        revenue_code=line["revenue_code"], diagnosis_pointers=pointers,
                        place_of_service=line["place_of_service"] if claim_format == "837P" else "")
        for line in lines)
    admit = intake["admit_discharge"].get("admit_date")
    return x12.Claim(
        claim_id=f"KH{number:06d}", claim_format=claim_format, billing_provider=billing, rendering_provider=rendering,
        subscriber=subscriber, patient=None if relationship == "18" else patient_person, diagnoses=diagnoses,
        lines=service_lines, place_of_service=lines[0]["place_of_service"],
        admission_date=dt.date.fromisoformat(admit) if admit and claim_format == "837I" else None,
    )


def _send_all(context: SystemContext, drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each draft's payer claim built as its own 837 interchange and sent to the clearinghouse, and
    its answer recorded; the statements as they are. Two claims or more go in one file to the
    clearinghouse's batch route, which answers each interchange as on its own (and validates a
    long file on two cores); one goes on its own."""
    built: dict[int, str] = {}  # claim record id -> its 837
    names: dict[int, str] = {}  # claim record id -> the claim id the 837 carries (CLM01)
    done: dict[int, dict[str, Any]] = {}
    for draft in drafts:
        if "claim" not in draft:
            continue
        number = draft["record"]["id"]
        envelope = Envelope(sender_id="KIPURCM", receiver_id="CLEARINGHOUSE", interchange_control=number,
                            group_control=number, transaction_control=number, created_at=context.clock.now())
        try:
            built[number] = x12.build_837([draft["claim"]], envelope)
        except x12.ClaimError as exc:
            done[number] = _update(context, number, status="not sent", detail=str(exc))
            continue
        names[number] = draft["claim"].claim_id
        context.journal("x12", f"837 sent ({draft['record']['format']}, claim {names[number]})", built[number])
    if built:
        numbers = list(built)
        try:
            if len(numbers) == 1:
                status, reply = context.links.exchange("payer", "/clearinghouse/x12/837", built[numbers[0]])
                replies = [_acknowledgment(status, _parsed(reply))]
            else:
                status, reply = context.links.exchange("payer", "/clearinghouse/x12/837/batch", "".join(built.values()))
                replies = _acknowledgments(status, reply, len(numbers))
        except ConnectionError as exc:
            for number in numbers:
                done[number] = _update(context, number, status="not sent",
                                       detail=f"clearinghouse unreachable: {exc}", x12=built[number])
        else:
            for number, answer in zip(numbers, replies):
                context.journal("x12", f"999 and 277CA received for claim {names[number]}",
                                answer["ack_999"] + answer["ack_277ca"])
                done[number] = _update(context, number, status="accepted" if answer["accepted"] else "rejected",
                                       x12=built[number], ack_999=answer["ack_999"], ack_277ca=answer["ack_277ca"],
                                       errors=answer["errors"])
    return [done.get(draft["record"]["id"], draft["record"]) for draft in drafts]  # a statement as it is


def _acknowledgments(status: int, reply: str, count: int) -> list[dict[str, Any]]:
    """The batch route's answers, one per interchange sent; a refusal, or anything but one answer
    each, rejects every claim with the reason."""
    answer = _parsed(reply)
    each = answer.get("interchanges") if status == 200 else None
    if isinstance(each, list) and len(each) == count and all(isinstance(a, dict) for a in each):
        return [_acknowledgment(200, a) for a in each]
    if status == 200:
        missing = f"the clearinghouse did not answer each of the {count} interchanges"
        return [{"accepted": False, "ack_999": "", "ack_277ca": "", "errors": [missing]} for _ in range(count)]
    return [_acknowledgment(status, answer) for _ in range(count)]


def _parsed(reply: str) -> dict[str, Any]:
    try:
        answer = json.loads(reply)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _acknowledgment(status: int, answer: dict[str, Any]) -> dict[str, Any]:
    """The clearinghouse's answer to one interchange; accepted only when it says so in a 200, and a
    refusal (the Error shape) or anything unreadable rejects the claim with the reason."""
    if status == 200 and isinstance(answer.get("errors", []), list):
        errors = [str(e) for e in answer.get("errors", [])]
    else:
        problems = answer.get("problems") if isinstance(answer.get("problems"), list) else []
        errors = [f"the clearinghouse answered {status}: {p.get('problem') if isinstance(p, dict) else p}"
                  for p in problems] or [f"the clearinghouse answered {status}"]
    acks = {key: answer.get(key) if isinstance(answer.get(key), str) else "" for key in ("ack_999", "ack_277ca")}
    return {"accepted": status == 200 and answer.get("accepted") is True, "errors": errors, **acks}


def _update(context: SystemContext, claim_id: int, **values: Any) -> dict[str, Any]:
    def change(tx):
        record = tx.get("claim", claim_id)
        record.update(values)
        tx.put("claim", record)
        return record

    record, _ = context.write(change, "claim.updated", kind="claim")
    return record
