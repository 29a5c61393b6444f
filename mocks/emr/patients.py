"""Mock Kipu EMR: patients in the shape of Kipu's public API v3, and the user actions the
integration hangs on (accept a pushed record, generate the MR Number, Send to Kipu RCM, set a
discharge date, Manage Insurance, Manage Review) as explicit endpoints."""

from __future__ import annotations

import uuid
from typing import Any

from kipu_harness.events import Problem

from ..common import windows
from ..common.base import ApiError, ctx, load
from ..common.routes import answers, blueprint, path_model
from .kipu import HIDDEN_INSURANCE, check_range, page, page_of, present, require_master_id, shown
from .mirror import as_shown
from .mirror_schemas import PatientRead
from .placement import locations, track
from .schemas import AdmissionsQuery, CensusQuery, CrmPush, Discharge, NewPatient, PatientOut, PatientQuery, \
    PatientsPage, PatientUpdate, as_stored

patients = blueprint("emr_patients", __name__, "/api", "patients",
                     "Patients in Kipu's API v3 shape, and the Facesheet actions that reach the RCM (WF-1.5, WF-2, PAT)")
crm_inbound = blueprint("emr_crm_inbound", __name__, "/api/integrations/crm", "CRM push",
                        "What the CRM's integration posts: a treatment opportunity waiting to be accepted (WF-1.4)")
PatientPath = path_model("patient_id")


# -- rules the document cannot state: 409 ------------------------------------------------------

def _not_future(values: dict[str, Any]) -> None:
    dob = values.get("dob")
    if dob and dob > ctx().clock.today().isoformat():
        raise ApiError(409, "invalid patient", [Problem("dob", f"{dob} is in the future")])


def _check_dates(patient: dict[str, Any]) -> None:
    """An admission before birth or a discharge before admission is impossible."""
    problems = []
    admission, discharge, dob = patient.get("admission_date"), patient.get("discharge_date"), patient.get("dob")
    if admission and dob and admission[:10] < dob:
        problems.append(Problem("admission_date", f"{admission} is before the date of birth {dob}"))
    if discharge and admission and discharge < admission:
        problems.append(Problem("discharge_date", f"{discharge} is before the admission date {admission}"))
    if problems:
        raise ApiError(409, "impossible dates", problems)


def _accepted(patient: dict[str, Any]) -> None:
    if patient["pre_admission_status"] == "pending":
        raise ApiError(409, "the patient record is pending: accept it first",
                       [Problem("pre_admission_status", "is pending; POST .../accept before admitting")])


def new_patient(values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    now = ctx().clock.now().isoformat()
    blank = {k: None for k in ("middle_name", "dob", "gender", "ssn", "phone", "email", "address_street",
                               "address_city", "state", "address_zip", "admission_date", "level_of_care",
                               "program", "location_id", "building_name", "room_name", "bed_name",
                               "payment_method", "discharge_type", "insurance_company")}
    patient = {
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
        "program_history": [],
        **extra,
    }
    track(patient, now)
    return patient


def _touch(patient: dict[str, Any]) -> None:
    """A change of the patient: it is among GET /api/patients/latest for today."""
    patient["last_updated_at"] = ctx().clock.now().isoformat()


# -- reads -------------------------------------------------------------------------------------

@patients.get("/patients/census", responses=answers(200, PatientsPage))
def census(query: CensusQuery):
    """Paged census (phi_level required, page, per, exclude_preadmission)

    phi_level: high shows everything; medium leaves out ssn; low also leaves out dob, phone, email,
    address_street, address_city, state, address_state and address_zip (AMB-09).
    """
    number, per = query.numbers()
    with ctx().store.read() as tx:
        # Only the page is read: the census of 100,000 costs what a census of 1,000 does.
        total, rows = tx.page("patient", (number - 1) * per, per, truthy="mr_number" if query.exclude_preadmission else None)
        places = locations(tx)
    return page_of([shown(present(p, places), query.phi_level) for p in rows], total, "patients", query)


@patients.get("/patients/admissions", responses=answers(200, PatientsPage, 409))
def admissions(query: AdmissionsQuery):
    """Paged admissions between start_date and end_date (phi_level required, as on the census)"""
    check_range(query)
    with ctx().store.read() as tx:
        rows = [p for p in tx.all("patient")
                if p["admission_date"] and query.start_date <= p["admission_date"][:10] <= query.end_date]
        places = locations(tx)
    return page([shown(present(p, places), query.phi_level) for p in rows], "patients", query)


@patients.get("/patients/<id:patient_id>", responses=answers(200, PatientRead))
def get_patient(path: PatientPath, query: PatientQuery):
    """One patient with its mirrored insurances (patient_master_id and phi_level required)

    phi_level leaves out what it does on the census, and of each insurance: medium the
    subscriber_SSN; low also subscriber_DOB, the subscriber's address and policy_no (AMB-09).
    """
    with ctx().store.read() as tx:
        patient = load(tx, "patient", path.patient_id)
        insurances = [as_shown(patient, i) for i in tx.find("insurance", patient_id=patient["id"])]
    require_master_id(patient, query.patient_master_id)
    insurances = [shown(i, query.phi_level, HIDDEN_INSURANCE) for i in insurances]
    return {"patient": {**shown(present(patient), query.phi_level), "insurances": insurances}}


# -- writes ------------------------------------------------------------------------------------

@patients.post("/patients", responses=answers(201, PatientOut, 409))
def create_patient(body: NewPatient):
    """Create a pre-admitted patient (WF-1.5); body {document: {recipient_id, data}}"""
    values = body.document.data.stored()
    _not_future(values)
    record = new_patient(values)
    _check_dates(record)
    patient, extra = ctx().write(lambda tx: tx.insert("patient", record), "patient.created", kind="patient")
    return {"patient": present(patient), **extra}, 201


@patients.patch("/patients/<id:patient_id>", responses=answers(200, PatientOut, 409))
def update_patient(path: PatientPath, body: PatientUpdate):
    """Update demographics or the admission date; body {document: {data}}, only the named fields change"""
    values = body.document.data.stored(only_named=True)
    _not_future(values)

    def change(tx):
        patient = load(tx, "patient", path.patient_id)
        readmission = (values.get("admission_date") and patient["discharge_date"]
                       and values["admission_date"] > patient["discharge_date"])
        patient.update(values, last_updated_at=ctx().clock.now().isoformat())
        if readmission:
            # A new Admission Date after the discharge is a new stay: it has no discharge yet.
            patient["discharge_date"] = None
        _check_dates(patient)
        track(patient, patient["last_updated_at"])
        tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, "patient.updated", {"changed": sorted(values)}, kind="patient")
    return {"patient": present(patient), **extra}


@patients.post("/patients/<id:patient_id>/accept", responses=answers(200, PatientOut, 409))
def accept(path: PatientPath):
    """Accept a record pushed from the CRM (WF-2.1)"""
    def change(tx):
        patient = load(tx, "patient", path.patient_id)
        if patient["pre_admission_status"] != "pending":
            raise ApiError(409, "nothing to accept",
                           [Problem("pre_admission_status", f"is {patient['pre_admission_status']}, not pending")])
        patient["pre_admission_status"] = "accepted"
        _touch(patient)
        tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, "patient.accepted", kind="patient")
    return {"patient": present(patient), **extra}


@patients.post("/patients/<id:patient_id>/discharge", responses=answers(200, PatientOut, 409))
def discharge(path: PatientPath, body: Discharge):
    """Set the Discharge/Transition Date (PAT-14)"""
    def change(tx):
        patient = load(tx, "patient", path.patient_id)
        if not patient["admission_date"]:
            raise ApiError(409, "the patient has no admission date",
                           [Problem("admission_date", "is required before a discharge")])
        patient["discharge_date"] = body.discharge_date
        if body.discharge_type is not None:
            patient["discharge_type"] = body.discharge_type
        _check_dates(patient)
        _touch(patient)
        tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, "discharge.set", kind="patient")
    return {"patient": present(patient), **extra}


# -- the Facesheet actions ----------------------------------------------------------------------

def _action(patient_id: int, action: str, event: str) -> dict[str, Any]:
    def change(tx):
        patient = load(tx, "patient", patient_id)
        _accepted(patient)
        if action == "mr_number":
            if patient["mr_number"]:
                raise ApiError(409, "the MR Number already exists", [Problem("mr_number", f"is {patient['mr_number']}")])
            patient["mr_number"] = f"MR{ctx().clock.today():%Y}{patient['id']:05d}"
            _touch(patient)
            tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, event, kind="patient")
    if action in ("manage_insurance", "manage_review"):
        # The EMR hands the user into the RCM's entry for this patient: a scoped, expiring link.
        scope = action.removeprefix("manage_")
        token, window = windows.issue(ctx().secret, str(patient["id"]), scope, ctx().clock.now(),
                                      ctx().settings.window_ttl_minutes)
        extra["window"] = {"path": f"/rcm/window/{patient['id']}/{scope}", "token": token,
                           "expires_at": window.expires_at.isoformat()}
    return {"patient": present(patient), **extra}


@patients.post("/patients/<id:patient_id>/mr_number", responses=answers(200, PatientOut, 409))
def mr_number(path: PatientPath):
    """Generate the MR Number (WF-2.3, PAT-02); a complete patient is sent to the RCM"""
    return _action(path.patient_id, "mr_number", "mr_number.generated")


@patients.post("/patients/<id:patient_id>/send_to_rcm", responses=answers(200, PatientOut, 409))
def send_to_rcm(path: PatientPath):
    """Send to Kipu RCM from the Facesheet (WF-2.4); an incomplete patient is refused, naming what is missing"""
    return _action(path.patient_id, "send_to_rcm", "send_to_rcm.clicked")


@patients.post("/patients/<id:patient_id>/manage_insurance", responses=answers(200, PatientOut, 409))
def manage_insurance(path: PatientPath):
    """Manage Insurance (PAT-02): a link into the RCM's insurance entry for the patient"""
    return _action(path.patient_id, "manage_insurance", "manage_insurance.clicked")


@patients.post("/patients/<id:patient_id>/manage_review", responses=answers(200, PatientOut, 409))
def manage_review(path: PatientPath):
    """Manage Review (PAT-02): a link into the RCM's utilization review entry for the patient"""
    return _action(path.patient_id, "manage_review", "manage_review.clicked")


# -- the CRM's push ------------------------------------------------------------------------------

@crm_inbound.post("/patients", responses=answers(201, PatientOut, 409))
def receive_from_crm(body: CrmPush):
    """Receive a treatment opportunity pushed by the CRM: it waits, pending, to be accepted (WF-2.1)

    The same prospect pushed again updates its one record (SYS-05).
    """
    prospect, opportunity = body.prospect, body.opportunity
    values = as_stored(prospect.model_dump(exclude={"id"}))
    values.update(level_of_care=opportunity.level_of_care, program=opportunity.program)
    _not_future(values)

    def change(tx):
        existing = tx.find("patient", crm_prospect_id=prospect.id)
        if existing:
            patient = existing[0]
            if patient["pre_admission_status"] == "pending":
                patient.update(values)
                track(patient, ctx().clock.now().isoformat())
            patient["crm_opportunity_id"] = opportunity.id
            _touch(patient)
            tx.put("patient", patient)
            return patient
        return tx.insert("patient", new_patient(
            values, record_source="crm", pre_admission_status="pending",
            crm_prospect_id=prospect.id, crm_opportunity_id=opportunity.id,
        ))

    patient, _ = ctx().write(change, "patient.received", kind="patient")
    return {"patient": present(patient)}, 201
