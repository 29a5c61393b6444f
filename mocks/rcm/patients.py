"""Mock Kipu RCM: patients with their status and profile, treatment episodes with intake, and the
two ways patient data arrives (a CRM prospect webhook, and HL7 v2 ADT over MLLP or HTTP)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from flask import Response
from flask_openapi3 import APIBlueprint, RawModel
from flask_openapi3.models import MediaType, Schema

from kipu_harness.wire import hl7v2

from ..common.base import ApiError, SystemContext, ctx, load
from ..common.routes import answers, blueprint, path_model
from ..common.schemas import PLAIN, ssn_digits
from . import ordering
from .schemas import PatientsQuery, ProfileIn, ProspectIn
from .schemas_records import PatientOut, PatientsOut

PROSPECTIVE, ADMITTED = "Prospective Patient", "Admitted"
_PLAIN = re.compile(PLAIN)

patients = blueprint("patients", __name__, "/rcm", "patients",
                     "Patients, their profile and treatment episodes; prospects from the CRM, ADT from the EMR")
PatientPath = path_model("patient_id")


class Hl7Message(RawModel):
    """One HL7 v2 ADT message, ER7 text (segments separated by CR or LF)."""

    mimetypes = ["text/plain", "application/hl7-v2"]


# What the document promises of a message: UTF-8 text of segments, an MSH first and a PID among
# them. Text that is not so breaks the document (422); a message of that shape that the RCM still
# cannot read or apply is refused by HL7's rules (409). Either way the answer is an AR/AE ACK.
_SEGMENTS = r"(?:[\r\n]+[A-Z][A-Z0-9]{2}\|[^\r\n]*)*"
HL7_SHAPE = rf"^MSH\|[^\r\n]*{_SEGMENTS}?[\r\n]+PID\|[^\r\n]*{_SEGMENTS}[\r\n]*$"
_HL7_SHAPE = re.compile(HL7_SHAPE)


def _ack(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def _document_body(bp: APIBlueprint, rule: str) -> None:
    """flask-openapi3 documents a raw body as any string: say which strings."""
    schema = Schema(type="string", pattern=HL7_SHAPE, description="an HL7 v2 ADT message (ER7): MSH first, a PID")
    body = bp.paths[rule].post.requestBody
    body.required = True
    for media in body.content.values():
        media.media_type_schema = schema


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


@patients.post("/prospects", responses=answers(201, PatientOut, 409))
def receive_prospect(body: ProspectIn):
    """Webhook: a CRM prospect becomes a Prospective Patient (WF-1.2)"""
    prospect_id, first, last, phone, birthday = (body.crm_prospect_id, body.first_name, body.last_name, body.phone,
                                                 body.birthday)
    middle = body.middle_name or ""

    def change(tx):
        existing = tx.find("patient", crm_prospect_id=prospect_id)
        patient = existing[0] if existing else tx.insert("patient", _new_patient(ctx().clock.now().isoformat(), crm_prospect_id=prospect_id))
        if patient["status"] == PROSPECTIVE:  # the EMR owns the data once the patient is admitted
            patient["profile"].update(first_name=first, last_name=last, middle_initial=middle_initial(middle),
                                      birthday=birthday, phone=phone)
        tx.put("patient", patient)
        return patient

    patient, _ = ctx().write(change, "prospect.received", kind="patient")
    return {"patient": patient}, 201


def middle_initial(middle: str | None) -> str:
    """AMB-06: the first letter, upper case; an empty middle name stays empty."""
    return middle.strip()[:1].upper() if middle and middle.strip() else ""


@patients.post("/hl7", responses={200: _ack("AA: the message was applied (or had been: a duplicate; or it is "
                                             "older than the patient's last one applied: not applied)"),
                                   409: _ack("AE/AR: a message of the documented shape that the RCM refuses, "
                                             "with the reason; AE with ERR-3 206: try later (an A08 or A03 "
                                             "before the patient's A01 or A04)"),
                                   422: _ack("AR: text that is not an HL7 message (no MSH, no PID, not UTF-8)")})
def receive_hl7_http(raw: Hl7Message):
    """Receive one HL7 v2 ADT message (text/plain ER7); answers with an ACK"""
    data = raw.get_data()
    try:
        text = data.decode("utf-8")
        ack = receive_hl7(ctx(), text)
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "replace")
        ctx().journal("hl7", "received", text)
        reason = f"the message is not UTF-8 text (byte {exc.start})"
        ack, text = _answered(ctx(), hl7v2.make_ack(text, "AR", reason), f"AR {reason}"), ""
    code, _ = hl7v2.ack_code(ack)
    status = 200 if code == "AA" else 409 if _HL7_SHAPE.search(text) else 422
    return Response(ack.replace("\r", "\n"), status=status, mimetype="text/plain")


_document_body(patients, "/rcm/hl7")


def receive_hl7(context: SystemContext, text: str) -> str:
    """Apply one ADT message at most once, in its patient's order, and answer AA, or AE/AR with the
    reason (AE with ERR-3 206: try later; see ordering.py)."""
    context.journal("hl7", "received", text)
    try:
        message = hl7v2.parse_adt(text)
        _sendable(message.patient)
    except Exception as exc:  # noqa: BLE001 - whatever cannot be read is rejected with its reason, never a 500
        reason = str(exc) if isinstance(exc, hl7v2.HL7Error) else f"the message could not be read ({type(exc).__name__})"
        return _answered(context, hl7v2.make_ack(text, "AR", reason), f"AR {reason}")
    try:
        def change(tx):
            # Each patient's messages in the order the EMR made them, each at most once (ordering.py).
            return ordering.apply_in_order(tx, message, text, _find, lambda: apply_adt(tx, message, context))

        outcome, _ = context.write(change, "patient.received")
    except ordering.Answer as answer:
        return _answered(context, hl7v2.make_ack(text, answer.code, answer.reason, error=answer.error),
                         f"{answer.code} {answer.reason}")
    except ApiError as exc:
        # A rule of the RCM refused it: that lasts, so AR (never retried), not AE 207 ("try later").
        return _answered(context, hl7v2.make_ack(text, "AR", exc.message), f"AR {exc.message}")
    return _answered(context, hl7v2.make_ack(text, "AA"), ordering.summary(message, outcome))


def _answered(context: SystemContext, ack: str, summary: str) -> str:
    """Journal how the RCM answered (the ACK's code first) with the ACK itself, and return it."""
    context.journal("hl7", summary, ack)
    return ack


def _sendable(patient: hl7v2.AdtPatient) -> None:
    """Nothing the RCM stores may be unsendable later: no control characters in any field."""
    values = [(f.name, getattr(patient, f.name)) for f in dataclasses.fields(patient)]
    values += [(f"diagnosis {d.code}", d.description) for d in patient.diagnoses]
    for name, value in values:
        if isinstance(value, str) and not _PLAIN.fullmatch(value):
            raise hl7v2.HL7Error(f"{name}: contains control characters")


def apply_adt(tx, message: "hl7v2.AdtMessage", context: SystemContext) -> dict[str, Any]:
    p = message.patient
    now = context.clock.now().isoformat()
    patient = _find(tx, p)
    if patient is None:  # an A04 or A01 (ordering.py holds back an A08 or A03 without one)
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


@patients.get("/patients", responses=answers(200, PatientsOut))
def list_patients(query: PatientsQuery):
    """List patients; filter by emr_patient_id or crm_prospect_id"""
    equal = {k: v for k, v in (("emr_patient_id", None if query.emr_patient_id is None else str(query.emr_patient_id)),
                               ("crm_prospect_id", query.crm_prospect_id)) if v is not None}
    with ctx().store.read() as tx:
        return {"patients": tx.find("patient", **equal) if equal else tx.all("patient")}


@patients.get("/patients/<id:patient_id>", responses=answers(200, PatientOut))
def get_patient(path: PatientPath):
    """A patient with profile and treatment episodes"""
    with ctx().store.read() as tx:
        return {"patient": load(tx, "patient", path.patient_id)}


@patients.patch("/patients/<id:patient_id>/profile", responses=answers(200, PatientOut, 409))
def edit_profile(path: PatientPath, body: ProfileIn):
    """Edit the profile in the RCM (overwritten by the next EMR send)"""
    values = body.model_dump(exclude_unset=True)
    if values.get("social_security_number"):
        values["social_security_number"] = ssn_digits(values["social_security_number"])

    def change(tx):
        patient = load(tx, "patient", path.patient_id)
        patient["profile"].update(values)
        tx.put("patient", patient)
        return patient

    patient, _ = ctx().write(change, "profile.edited", kind="patient")
    return {"patient": patient}
