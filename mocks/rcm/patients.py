"""Mock Kipu RCM: patients with their status and profile, treatment episodes with intake, and the
two ways patient data arrives (a CRM prospect webhook, and HL7 v2 ADT over MLLP or HTTP)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from kipu_harness.wire import hl7v2

from ..common.base import ApiError, SystemContext, ctx, json_body, load
from ..common.checks import Checker

PROSPECTIVE, ADMITTED = "Prospective Patient", "Admitted"
PROFILE_FIELDS = ("first_name", "last_name", "middle_initial", "birthday", "phone", "social_security_number")



rcm = Blueprint("rcm", __name__, url_prefix="/rcm")


def _new_patient(now: str, **ids: Any) -> dict[str, Any]:
    return {
        "status": PROSPECTIVE,
        "emr_patient_id": None,
        "crm_prospect_id": None,
        **ids,
        "profile": {"patient_id": None, "first_name": None, "last_name": None, "middle_initial": "",
                    "birthday": None, "phone": None, "social_security_number": None},
        "treatment_episodes": [],
        "created_at": now,
        "updated_at": now,
    }


@rcm.post("/prospects")
def receive_prospect():
    body = json_body()
    c = Checker(body)
    c.unknown({"crm_prospect_id", "first_name", "middle_name", "last_name", "birthday", "phone"})
    prospect_id = body.get("crm_prospect_id")
    if not isinstance(prospect_id, int) or isinstance(prospect_id, bool):
        c.problem("crm_prospect_id", "an integer is required")
    first, last = c.text("first_name", required=True), c.text("last_name", required=True)
    middle, phone = c.text("middle_name") or "", c.phone("phone")
    birthday = c.date("birthday")
    c.done("invalid prospect")

    def change(tx):
        existing = tx.find("patient", crm_prospect_id=prospect_id)
        patient = existing[0] if existing else tx.insert("patient", _new_patient(ctx().clock.now().isoformat(), crm_prospect_id=prospect_id))
        if patient["status"] == PROSPECTIVE:  # the EMR owns the data once the patient is admitted
            patient["profile"].update(first_name=first, last_name=last, middle_initial=middle_initial(middle),
                                      birthday=birthday.isoformat() if birthday else None, phone=phone)
        tx.put("patient", patient)
        return patient

    patient, _ = ctx().write(change, "prospect.received", kind="patient")
    return jsonify({"patient": patient}), 201


def middle_initial(middle: str | None) -> str:
    """AMB-06: the first letter, upper case; an empty middle name stays empty."""
    return middle.strip()[:1].upper() if middle and middle.strip() else ""


@rcm.post("/hl7")
def receive_hl7_http():
    text = request.get_data(as_text=True)
    ack = receive_hl7(ctx(), text)
    code, _ = hl7v2.ack_code(ack)
    return Response(ack.replace("\r", "\n"), status=200 if code == "AA" else 422, mimetype="text/plain")


def receive_hl7(context: SystemContext, text: str) -> str:
    """Apply one ADT message exactly once and answer AA, or AE/AR with the reason."""
    context.journal("hl7", "received", text)
    try:
        message = hl7v2.parse_adt(text)
    except hl7v2.HL7Error as exc:
        ack = hl7v2.make_ack(text, "AR", str(exc))
        context.journal("hl7", f"AR {exc}")
        return ack
    try:
        def change(tx):
            if tx.remember(message.control_id, "AA") is not None:
                return {"duplicate": True}
            return apply_adt(tx, message, context)

        outcome, _ = context.write(change, "patient.received")
    except ApiError as exc:
        context.journal("hl7", f"AE {exc.message}")
        return hl7v2.make_ack(text, "AE", exc.message)
    summary = "AA duplicate (already applied)" if outcome.get("duplicate") else f"AA {message.trigger} applied"
    context.journal("hl7", summary)
    return hl7v2.make_ack(text, "AA")


def apply_adt(tx, message: "hl7v2.AdtMessage", context: SystemContext) -> dict[str, Any]:
    p = message.patient
    now = context.clock.now().isoformat()
    patient = _find(tx, p)
    if patient is None:
        if message.trigger == "A03":
            raise ApiError(422, f"A03 for unknown patient {p.patient_id}")
        patient = tx.insert("patient", _new_patient(now, emr_patient_id=p.patient_id, crm_prospect_id=_int(p.crm_prospect_id)))
    patient["emr_patient_id"] = p.patient_id
    patient["profile"].update(
        patient_id=p.patient_id,
        first_name=p.first_name,
        last_name=p.last_name,
        middle_initial=middle_initial(p.middle_name),
        birthday=p.dob.isoformat() if p.dob else None,
        phone=p.phone or None,
        social_security_number=p.ssn or None,
    )
    if message.trigger != "A04":
        patient["status"] = ADMITTED
        update_episode(patient, p, context.settings)
    patient["updated_at"] = now
    tx.put("patient", patient)
    return patient


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _find(tx, p: "hl7v2.AdtPatient") -> dict[str, Any] | None:
    """One person is one record (SYS-05): match on the EMR Patient ID, then on the CRM prospect."""
    found = tx.find("patient", emr_patient_id=p.patient_id)
    if not found and p.crm_prospect_id:
        found = tx.find("patient", crm_prospect_id=_int(p.crm_prospect_id))
    return found[0] if found else None


def update_episode(patient: dict[str, Any], p: "hl7v2.AdtPatient", settings: Any) -> None:
    admit = p.admit_at.strftime("%Y-%m-%d") if p.admit_at else None
    episodes = patient["treatment_episodes"]
    current = episodes[-1] if episodes else None
    readmission = (
        current is not None
        and current["intake"]["admit_discharge"]["discharge_date"]
        and admit
        and admit > current["intake"]["admit_discharge"]["discharge_date"]
    )
    # AMB-08: a re-send after discharge keeps the episode; a new admission date after the
    # discharge opens a new one, unless the deployment reopens the old episode instead.
    if current is None or (readmission and settings.resend_after_discharge == "keep-episode"):
        current = new_episode(len(episodes) + 1)
        episodes.append(current)
    ranked = sorted(p.diagnoses, key=lambda d: d.rank)
    intake = current["intake"]
    # The ADT owns these parts of the intake; insurance and U/R entered in the RCM stay as they are.
    intake["patient_profile"] = {
        "medical_record_number": p.mr_number,
        "address": p.address_street or None,
        "city": p.address_city or None,
        "state": p.address_state or None,
        "zip_code": p.address_zip or None,
    }
    intake["admit_discharge"] = {
        "admit_date": admit,
        "admit_time": p.admit_at.strftime("%H:%M") if p.admit_at else None,
        "discharge_date": p.discharge_at.strftime("%Y-%m-%d") if p.discharge_at else None,
        "discharge_time": p.discharge_at.strftime("%H:%M") if p.discharge_at else None,
    }
    intake["behavioral_diagnoses"] = {
        "admitting_diagnosis": ranked[0].code if ranked else None,
        "principal_diagnosis": ranked[0].code if ranked else None,
        "diagnoses": [
            {"code": d.code, "description": d.description, "start_date": d.added_on.isoformat(), "rank": d.rank}
            for d in ranked
        ],
    }
    insurance_set = intake["insurance"]["insurance_set"]
    insurance_set["policy_holder"]["gender"] = SEXES.get(p.sex, "Unknown")  # PAT-09
    for insurance in insurance_set["insurances"]:
        if insurance["policy_holder"]["relationship"] == "Self":
            apply_self(insurance["policy_holder"], patient)


SEXES = {"F": "Female", "M": "Male"}


def new_episode(number: int) -> dict[str, Any]:
    return {
        "id": number,
        "intake": {
            "patient_profile": {},
            "admit_discharge": {},
            "behavioral_diagnoses": {"admitting_diagnosis": None, "principal_diagnosis": None, "diagnoses": []},
            "insurance": {"insurance_set": {"policy_holder": {"gender": None}, "insurances": []}},
        },
        "scheduling_and_utilization": {"utilization_reviews": [], "standalone_authorizations": []},
    }


def apply_self(policy_holder: dict[str, Any], patient: dict[str, Any]) -> None:
    """AMB-03/AMB-04: when the patient is the subscriber, the EMR's data is the policy holder's.

    Name, birthday and gender come from the profile and the Birth Sex; SSN and address travel
    with the patient send and land here, only for Self.
    """
    profile = patient["profile"]
    episode = patient["treatment_episodes"][-1]["intake"] if patient["treatment_episodes"] else {}
    address = episode.get("patient_profile", {})
    gender = episode.get("insurance", {}).get("insurance_set", {}).get("policy_holder", {}).get("gender")
    policy_holder.update(
        first_name=profile["first_name"], last_name=profile["last_name"], birthday=profile["birthday"],
        gender=gender or policy_holder.get("gender"),
        ssn=profile["social_security_number"],
        address={k: address.get(k) for k in ("address", "city", "state", "zip_code")},
    )


@rcm.get("/patients")
def list_patients():
    with ctx().store.read() as tx:
        rows = tx.all("patient")
    if "emr_patient_id" in request.args:
        rows = [r for r in rows if r["emr_patient_id"] == request.args["emr_patient_id"]]
    if "crm_prospect_id" in request.args:
        rows = [r for r in rows if str(r["crm_prospect_id"]) == request.args["crm_prospect_id"]]
    return jsonify({"patients": rows})


@rcm.get("/patients/<patient_id>")
def get_patient(patient_id: str):
    with ctx().store.read() as tx:
        return jsonify({"patient": load(tx, "patient", patient_id)})


@rcm.patch("/patients/<patient_id>/profile")
def edit_profile(patient_id: str):
    body = json_body()
    c = Checker(body)
    c.unknown(set(PROFILE_FIELDS))
    values = {k: c.text(k) for k in body if k in PROFILE_FIELDS}
    if "birthday" in body:
        values["birthday"] = c.date("birthday")
        values["birthday"] = values["birthday"].isoformat() if values["birthday"] else None
    c.done("invalid profile")

    def change(tx):
        patient = load(tx, "patient", patient_id)
        patient["profile"].update(values)
        tx.put("patient", patient)
        return patient

    patient, _ = ctx().write(change, "profile.edited", kind="patient")
    return jsonify({"patient": patient})
