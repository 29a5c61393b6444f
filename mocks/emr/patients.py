"""Mock Kipu EMR: patients in the shape of Kipu's public API v3, and the user actions the
integration hangs on (accept a pushed record, generate the MR Number, Send to Kipu RCM, add a
diagnosis, set a discharge date, Manage Insurance, Manage Review) as explicit endpoints."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, jsonify, request

from kipu_harness.events import Problem

from ..common import windows
from .kipu import document_data, page, patient_block, present, require_master_id
from ..common.base import ApiError, ctx, json_body, load
from ..common.checks import SEXES, Checker, icd10_billable

# Kipu's write model names (kipu-api-v3.md §3); reads use `state` where writes use `address_state`.
WRITE_FIELDS = (
    "first_name", "middle_name", "last_name", "dob", "gender", "ssn", "phone", "email",
    "address_street", "address_city", "address_state", "address_zip",
    "admission_date", "level_of_care", "program", "location_id", "building_name",
)
ACTIONS = {
    "mr_number": "mr_number.generated",
    "send_to_rcm": "send_to_rcm.clicked",
    "manage_insurance": "manage_insurance.clicked",
    "manage_review": "manage_review.clicked",
}





patients = Blueprint("patients", __name__, url_prefix="/api/patients")
crm_inbound = Blueprint("crm_inbound", __name__, url_prefix="/api/integrations/crm")


# -- representation ------------------------------------------------------------------------



def _check(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    c = Checker(data)
    c.unknown(set(WRITE_FIELDS))
    today = ctx().clock.today()
    values = {
        # A PATCH may leave the names out, but not blank them: the RCM needs them on every send.
        "first_name": c.text("first_name", required=creating or "first_name" in data),
        "middle_name": c.text("middle_name"),
        "last_name": c.text("last_name", required=creating or "last_name" in data),
        "dob": c.date("dob", not_future_of=today),
        "gender": c.choice("gender", SEXES),
        "ssn": c.ssn("ssn"),
        "phone": c.phone("phone"),
        "email": c.text("email"),
        "address_street": c.text("address_street"),
        "address_city": c.text("address_city"),
        "state": c.state("address_state"),
        "address_zip": c.zip("address_zip"),
        "admission_date": c.date_time("admission_date"),
        "level_of_care": c.text("level_of_care"),
        "program": c.text("program"),
        "location_id": c.text("location_id"),
        "building_name": c.text("building_name"),
    }
    c.done("invalid patient")
    if values["dob"]:
        values["dob"] = values["dob"].isoformat()
    # A PATCH changes only what it names; `address_state` is stored under Kipu's read name.
    named = {("state" if k == "address_state" else k) for k in data}
    return {k: v for k, v in values.items() if creating or k in named}


def _check_dates(patient: dict[str, Any]) -> None:
    """Cross-field checks: an admission before birth or a discharge before admission is impossible."""
    problems = []
    admission, discharge, dob = patient.get("admission_date"), patient.get("discharge_date"), patient.get("dob")
    if admission and dob and admission[:10] < dob:
        problems.append(Problem("admission_date", f"{admission} is before the date of birth {dob}"))
    if discharge and admission and discharge < admission:
        problems.append(Problem("discharge_date", f"{discharge} is before the admission date {admission}"))
    if problems:
        raise ApiError(422, "impossible dates", problems)


def new_patient(values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    now = ctx().clock.now().isoformat()
    blank = {k: None for k in ("middle_name", "dob", "gender", "ssn", "phone", "email", "address_street",
                               "address_city", "state", "address_zip", "admission_date", "level_of_care",
                               "program", "location_id", "building_name")}
    return {
        **blank,
        **values,
        "patient_master_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"kipu-harness:{now}:{uuid.uuid4()}")),
        "mr_number": None,
        "discharge_date": None,
        "pre_admission_status": "pre-admission",
        "record_source": "emr",
        "crm_prospect_id": None,
        "crm_opportunity_id": None,
        "diagnoses": [],
        "rcm": {"connected": False, "connected_at": None, "last_sent_at": None, "sends": 0},
        "created_at": now,
        "last_updated_at": now,
        **extra,
    }




# -- reads ---------------------------------------------------------------------------------

@patients.get("/census")
def census():
    with ctx().store.read() as tx:
        rows = tx.all("patient")
    if request.args.get("exclude_preadmission") == "true":
        rows = [p for p in rows if p["mr_number"]]
    return page([present(p) for p in rows], "patients")


@patients.get("/admissions")
def admissions():
    c = Checker(dict(request.args))
    start, end = c.date("start_date", required=True), c.date("end_date", required=True)
    c.done("invalid query")
    with ctx().store.read() as tx:
        rows = [p for p in tx.all("patient")
                if p["admission_date"] and start.isoformat() <= p["admission_date"][:10] <= end.isoformat()]
    return page([present(p) for p in rows], "patients")


@patients.get("/<patient_id>")
def get_patient(patient_id: str):
    with ctx().store.read() as tx:
        patient = load(tx, "patient", patient_id)
        insurances = tx.find("insurance", patient_id=patient["id"])
    require_master_id(patient)
    return jsonify({"patient": {**present(patient), "insurances": insurances}})


@patients.get("/<patient_id>/diagnosis_history")
def diagnosis_history(patient_id: str):
    return jsonify(patient_block(patient_id, "diagnosis_history", lambda tx, patient: patient["diagnoses"]))




# -- writes --------------------------------------------------------------------------------

@patients.post("")
def create_patient():
    values = _check(document_data(json_body()), creating=True)
    record = new_patient(values)
    _check_dates(record)
    patient, extra = ctx().write(lambda tx: tx.insert("patient", record), "patient.created", kind="patient")
    return jsonify({"patient": present(patient), **extra}), 201


@patients.patch("/<patient_id>")
def update_patient(patient_id: str):
    values = _check(document_data(json_body()), creating=False)

    def change(tx):
        patient = load(tx, "patient", patient_id)
        readmission = (values.get("admission_date") and patient["discharge_date"]
                       and values["admission_date"] > patient["discharge_date"])
        patient.update(values, last_updated_at=ctx().clock.now().isoformat())
        if readmission:
            # A new Admission Date after the discharge is a new stay: it has no discharge yet.
            patient["discharge_date"] = None
        _check_dates(patient)
        tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, "patient.updated", {"changed": sorted(values)}, kind="patient")
    return jsonify({"patient": present(patient), **extra})


def _accepted(patient: dict[str, Any]) -> None:
    if patient["pre_admission_status"] == "pending":
        raise ApiError(409, "the patient record is pending: accept it first",
                       [Problem("pre_admission_status", "is pending; POST .../accept before admitting")])


@patients.post("/<patient_id>/accept")
def accept(patient_id: str):
    def change(tx):
        patient = load(tx, "patient", patient_id)
        if patient["pre_admission_status"] != "pending":
            raise ApiError(409, "nothing to accept", [Problem("pre_admission_status", f"is {patient['pre_admission_status']}, not pending")])
        patient["pre_admission_status"] = "accepted"
        tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, "patient.accepted", kind="patient")
    return jsonify({"patient": present(patient), **extra})


@patients.post("/<patient_id>/diagnoses")
def add_diagnosis(patient_id: str):
    body = json_body()
    c = Checker(body)
    c.unknown({"code", "principal"})
    code = c.text("code", required=True, max_len=10)
    principal = body.get("principal", False)
    if not isinstance(principal, bool):
        c.problem("principal", "must be true or false")
    c.done("invalid diagnosis")
    dotted, description = icd10_billable(code)
    if dotted is None:
        raise ApiError(422, "invalid diagnosis", [Problem("code", description)])

    def change(tx):
        patient = load(tx, "patient", patient_id)
        if any(d["code"] == dotted for d in patient["diagnoses"]):
            raise ApiError(409, "diagnosis already on the patient", [Problem("code", f"{dotted} is already present")])
        if principal:
            for d in patient["diagnoses"]:
                d["principal"] = False
        patient["diagnoses"].append({
            "code": dotted,
            "description": description,
            "added_on": ctx().clock.today().isoformat(),
            "principal": principal or not patient["diagnoses"],
            "sequence": len(patient["diagnoses"]) + 1,
        })
        tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, "diagnosis.added", {"code": dotted}, kind="patient")
    return jsonify({"patient": present(patient), **extra}), 201


@patients.post("/<patient_id>/discharge")
def discharge(patient_id: str):
    c = Checker(json_body())
    c.unknown({"discharge_date"})
    when = c.date_time("discharge_date", required=True)
    c.done("invalid discharge")

    def change(tx):
        patient = load(tx, "patient", patient_id)
        if not patient["admission_date"]:
            raise ApiError(409, "the patient has no admission date", [Problem("admission_date", "is required before a discharge")])
        patient["discharge_date"] = when
        _check_dates(patient)
        tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, "discharge.set", kind="patient")
    return jsonify({"patient": present(patient), **extra})


def _action(patient_id: str, action: str):
    def change(tx):
        patient = load(tx, "patient", patient_id)
        _accepted(patient)
        if action == "mr_number":
            if patient["mr_number"]:
                raise ApiError(409, "the MR Number already exists", [Problem("mr_number", f"is {patient['mr_number']}")])
            patient["mr_number"] = f"MR{ctx().clock.today():%Y}{patient['id']:05d}"
            tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, ACTIONS[action], kind="patient")
    if action in ("manage_insurance", "manage_review"):
        # The EMR hands the user into the RCM's entry for this patient: a scoped, expiring link.
        scope = action.removeprefix("manage_")
        token, window = windows.issue(ctx().secret, str(patient["id"]), scope, ctx().clock.now(),
                                      ctx().settings.window_ttl_minutes)
        extra["window"] = {"path": f"/rcm/window/{patient['id']}/{scope}", "token": token,
                           "expires_at": window.expires_at.isoformat()}
    return jsonify({"patient": present(patient), **extra})


for _name in ACTIONS:
    patients.add_url_rule(
        f"/<patient_id>/{_name}", f"action_{_name}",
        lambda patient_id, _a=_name: _action(patient_id, _a), methods=["POST"],
    )


@crm_inbound.post("/patients")
def receive_from_crm():
    """A treatment opportunity pushed by the CRM lands as a pending record (WF-2.1).

    The same prospect pushed again updates its one record (SYS-05).
    """
    body = json_body()
    prospect, opportunity = body.get("prospect"), body.get("opportunity")
    problems = [Problem(k, "a JSON object is required") for k, v in (("prospect", prospect), ("opportunity", opportunity)) if not isinstance(v, dict)]
    if problems:
        raise ApiError(422, "invalid push", problems)
    values = _check({k: v for k, v in prospect.items() if k in WRITE_FIELDS}, creating=True)
    values.update(level_of_care=opportunity.get("level_of_care"), program=opportunity.get("program"))

    def change(tx):
        existing = tx.find("patient", crm_prospect_id=prospect.get("id"))
        if existing:
            patient = existing[0]
            if patient["pre_admission_status"] == "pending":
                patient.update(values)
            patient["crm_opportunity_id"] = opportunity.get("id")
            tx.put("patient", patient)
            return patient
        return tx.insert("patient", new_patient(
            values, record_source="crm", pre_admission_status="pending",
            crm_prospect_id=prospect.get("id"), crm_opportunity_id=opportunity.get("id"),
        ))

    patient, _ = ctx().write(change, "patient.received", kind="patient")
    return jsonify({"patient": present(patient)}), 201
