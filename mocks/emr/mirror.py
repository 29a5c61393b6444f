"""What the EMR mirrors of the RCM (INS, AUTH): insurance and utilization reviews as the RCM last
saved them, the fields the EMR fills itself, and the EMR's own level-of-care configuration."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from kipu_harness.events import Problem

from ..common.base import ApiError, ctx, json_body, load
from ..common.checks import Checker
from .kipu import document_data, page, patient_block

mirror = Blueprint("mirror", __name__, url_prefix="/api")

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# AUTH-08: the EMR's Managed flag from the RCM's authorization status.
MANAGED = {"Authorized": "Managed", "Denied": "Managed", "Pending": "Managed",
           "Required - Not Obtained": "Managed", "Not Required": "Nonmanaged"}
SELF_ONLY = ("subscriber_SSN", "subscriber_address_street", "subscriber_address_city",
             "subscriber_address_state", "subscriber_address_zip")
INSURANCE_EDITABLE = ("insurance_company", "insurance_phone", "policy_no", "plan_name", "effective_date",
                      "insurance_type", "subscriber_first_name", "subscriber_last_name", "subscriber_relationship",
                      "subscriber_DOB", "subscriber_gender")
DATE_FIELDS = {"effective_date", "subscriber_DOB", "start_date", "end_date", "authorization_date", "next_review"}
REVIEW_EDITABLE = ("start_date", "end_date", "number_of_days", "authorization_date", "authorization_number",
                   "status", "level_of_care", "next_review", "insurance")


def managed(rcm_status: str, settings: Any) -> str:
    if rcm_status == "Authorized - Not Required":  # AMB-01: the overview lists it under neither
        return settings.auth_not_required_managed.capitalize()
    return MANAGED[rcm_status]


def self_fields(patient: dict[str, Any], relationship: str) -> dict[str, str]:
    """INS-11/INS-14 (AMB-04): the EMR's own data for Self, N/A for anyone else."""
    if relationship != "Self":
        return {name: "N/A" for name in SELF_ONLY}
    return {
        "subscriber_SSN": patient.get("ssn") or "",
        "subscriber_address_street": patient.get("address_street") or "",
        "subscriber_address_city": patient.get("address_city") or "",
        "subscriber_address_state": patient.get("state") or "",
        "subscriber_address_zip": patient.get("address_zip") or "",
    }


def days_of_week(tx, level_of_care: str | None) -> dict[str, bool] | None:
    """AUTH-11: from the EMR's own level-of-care configuration, never from the RCM."""
    found = [c for c in tx.all("care_level") if c["care_level_name"] == level_of_care]
    return found[0]["days_of_the_week"] if found else None


def _patient_for(tx, body: dict[str, Any]) -> dict[str, Any]:
    pid = body.get("emr_patient_id")
    patient = tx.get("patient", int(pid)) if str(pid).isdigit() else None
    if patient is None:
        raise ApiError(404, f"EMR patient {pid} not found", [Problem("emr_patient_id", "no such patient")])
    return patient


def _replace(tx, kind: str, patient_id: int, key: str, incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Make the patient's mirror equal to what the RCM sent: upsert by the RCM's id, drop the rest."""
    current = {r[key]: r for r in tx.find(kind, patient_id=patient_id)}
    now = ctx().clock.now().isoformat()
    kept = []
    for values in incoming:
        record = current.pop(values[key], None) or tx.insert(kind, {"patient_id": patient_id})
        # The RCM's save wins over any local edit (INS-15): the record is rebuilt from the message.
        record = {"id": record["id"], "patient_id": patient_id, **values, "edited_in_emr": [], "updated_at": now}
        tx.put(kind, record)
        kept.append(record)
    for stale in current.values():
        tx.delete(kind, stale["id"])
    return kept


@mirror.post("/integrations/rcm/insurances")
def receive_insurances():
    body = json_body()

    def change(tx):
        patient = _patient_for(tx, body)
        incoming = [{**i, **self_fields(patient, i["subscriber_relationship"])} for i in body.get("insurances", [])]
        _replace(tx, "insurance", patient["id"], "rcm_insurance_id", incoming)
        return patient

    ctx().write(change, "insurance.received")
    return jsonify({"received": len(body.get("insurances", []))})


@mirror.post("/integrations/rcm/utilization_reviews")
def receive_reviews():
    body = json_body()

    def change(tx):
        patient = _patient_for(tx, body)
        incoming = [{**r, "managed": managed(r["authorization_status"], ctx().settings),
                     "days_of_week": days_of_week(tx, r["level_of_care"])}
                    for r in body.get("utilization_reviews", [])]
        _replace(tx, "utilization_review", patient["id"], "rcm_review_id", incoming)
        return patient

    ctx().write(change, "utilization_review.received")
    return jsonify({"received": len(body.get("utilization_reviews", []))})


def _local_edit(kind: str, patient_id: str, record_id: str, editable: tuple[str, ...]):
    """An edit made only in the EMR: kept here, never sent to the RCM (INS-15)."""

    data = document_data(json_body())
    c = Checker(data)
    c.unknown(set(editable))
    values = {}
    for k in (k for k in data if k in editable):
        if k in DATE_FIELDS:
            day = c.date(k)
            values[k] = day.isoformat() if day else None
        elif k == "number_of_days":
            if not isinstance(data[k], int) or isinstance(data[k], bool) or data[k] < 1:
                c.problem(k, "a whole number of at least 1 is required")
            values[k] = data[k]
        else:
            values[k] = c.text(k)
    c.done(f"invalid {kind.replace('_', ' ')}")

    def change(tx):
        record = load(tx, kind, record_id)
        if str(record["patient_id"]) != str(patient_id):
            raise ApiError(404, f"{kind} {record_id} not found", [Problem("id", f"not a record of patient {patient_id}")])
        record.update(values)
        record["edited_in_emr"] = sorted(set(record.get("edited_in_emr", [])) | set(values))
        tx.put(kind, record)
        return record

    record, _ = ctx().write(change, f"{kind}.edited_in_emr", kind=kind)
    return record


@mirror.patch("/patients/<patient_id>/insurances/<insurance_id>")
def edit_insurance(patient_id: str, insurance_id: str):
    return jsonify({"insurance": _local_edit("insurance", patient_id, insurance_id, INSURANCE_EDITABLE)})


@mirror.patch("/patients/<patient_id>/ur/<review_id>")
def edit_review(patient_id: str, review_id: str):
    return jsonify({"utilization_review": _local_edit("utilization_review", patient_id, review_id, REVIEW_EDITABLE)})


@mirror.get("/patients/<patient_id>/ur")
def patient_reviews(patient_id: str):

    return jsonify(patient_block(patient_id, "utilization_reviews",
                                 lambda tx, patient: tx.find("utilization_review", patient_id=patient["id"])))


def _latest(kind: str, key: str):

    c = Checker(dict(request.args))
    start, end = c.date("start_date", required=True), c.date("end_date", required=True)
    if start and end and end < start:
        c.problem("end_date", f"{end} is before the start date {start}")
    c.done("invalid query")
    with ctx().store.read() as tx:
        rows = [r for r in tx.all(kind) if start.isoformat() <= r["updated_at"][:10] <= end.isoformat()]
    return page(rows, key)


@mirror.get("/insurances/latest")
def insurances_latest():
    return _latest("insurance", "insurances")


@mirror.get("/utilization_reviews/latest")
def reviews_latest():
    return _latest("utilization_review", "utilization_reviews")


@mirror.get("/care_levels")
def care_levels():
    with ctx().store.read() as tx:
        return jsonify({"care_levels": tx.all("care_level")})


@mirror.post("/care_levels")
def create_care_level():
    """EMR configuration (AUTH-11): a level of care and the days of the week it runs."""
    body = json_body()
    c = Checker(body)
    c.unknown({"care_level_name", "days_of_the_week"})
    name = c.text("care_level_name", required=True)
    days = body.get("days_of_the_week")
    if not isinstance(days, dict) or set(days) != set(DAYS) or not all(isinstance(v, bool) for v in days.values()):
        c.problem("days_of_the_week", f"an object with true/false for each of {', '.join(DAYS)} is required")
    c.done("invalid level of care")

    def change(tx):
        if any(lc["care_level_name"] == name for lc in tx.all("care_level")):
            raise ApiError(409, "level of care exists", [Problem("care_level_name", f"{name!r} already exists")])
        record = tx.insert("care_level", {"care_level_name": name, "days_of_the_week": days})
        record["care_level_id"] = record["id"]
        tx.put("care_level", record)
        return record

    record, _ = ctx().write(change, "care_level.created", kind="care_level")
    return jsonify({"care_level": record}), 201

