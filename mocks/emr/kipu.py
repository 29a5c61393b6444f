"""Kipu API v3 shapes the EMR's resources share: a patient as read, paged envelopes with string
pagination, and the patient_master_id every patient read requires."""

from __future__ import annotations

import math
from typing import Any

from kipu_harness.events import Problem

from ..common.base import ApiError, ctx, load
from .placement import location_name, locations
from .schemas import Between, Paged

# Kept on the patient, shown elsewhere (program_history) or not at all.
_NOT_SHOWN = ("id", "diagnoses", "rcm", "program_history", "deleted_at")
# Fields of patients stored before the EMR kept them.
_LATER = ("discharge_type", "payment_method", "insurance_company", "room_name", "bed_name")

# phi_level (AMB-09): what each level leaves out of a patient, and of each of its insurances.
HIDDEN = {
    "high": (),
    "medium": ("ssn",),
    "low": ("ssn", "dob", "phone", "email", "address_street", "address_city", "state", "address_state",
            "address_zip"),
}
HIDDEN_INSURANCE = {
    "high": (),
    "medium": ("subscriber_SSN",),
    "low": ("subscriber_SSN", "subscriber_DOB", "subscriber_address_street", "subscriber_address_city",
            "subscriber_address_state", "subscriber_address_zip", "policy_no"),
}


def present(patient: dict[str, Any], places: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A patient as Kipu's v3 read API shows it (everything: phi_level=high). ``places``: the EMR's
    locations, read once by a caller that presents many patients."""
    if places is None:
        with ctx().store.read() as tx:
            places = locations(tx)
    view = {k: v for k, v in patient.items() if k not in _NOT_SHOWN}
    view.update({k: patient.get(k) for k in _LATER})
    view["address_state"] = patient.get("state")  # Kipu reads `state`, writes `address_state`: both, to read
    view["location_name"] = location_name(patient.get("location_id"), places)
    view["casefile_id"] = f"{patient['id']}:{patient['patient_master_id']}"
    view["id"] = patient["id"]
    view["diagnosis_codes"] = ", ".join(d["code"] for d in patient["diagnoses"])
    view["diagnoses"] = patient["diagnoses"]
    view["rcm_connection"] = patient["rcm"]
    return view


def shown(view: dict[str, Any], phi_level: str, hidden: dict[str, tuple[str, ...]] = HIDDEN) -> dict[str, Any]:
    """``view`` without what ``phi_level`` leaves out (AMB-09)."""
    return {k: v for k, v in view.items() if k not in hidden[phi_level]}


def check_range(query: Between) -> None:
    """A date range that ends before it starts is refused (409), naming end_date."""
    if query.end_date < query.start_date:
        raise ApiError(409, "invalid query",
                       [Problem("end_date", f"{query.end_date} is before the start date {query.start_date}")])


def page(items: list[dict[str, Any]], key: str, query: Paged) -> dict[str, Any]:
    """One page of ``items`` under ``key``, with Kipu's pagination (every number a string)."""
    number, per = query.numbers()
    return page_of(items[(number - 1) * per : number * per], len(items), key, query)


def page_of(items: list[dict[str, Any]], total: int, key: str, query: Paged) -> dict[str, Any]:
    """``items``, the page ``query`` asks for of ``total`` records, under ``key`` with Kipu's pagination."""
    number, per = query.numbers()
    pagination = {
        "current_page": str(number),
        "total_pages": str(max(1, math.ceil(total / per))),
        "records_per_page": str(per),
        "total_records": str(total),
    }
    return {"pagination": pagination, key: items}


def require_master_id(patient: dict[str, Any], given: str | None) -> None:
    if not given:  # the query model requires it: only a caller that skipped the model gets here
        raise ApiError(422, "patient_master_id is required", [Problem("patient_master_id", "is required")])
    if given != patient["patient_master_id"]:
        raise ApiError(404, "patient not found", [Problem("patient_master_id", "does not match the patient")])


HEAD = ("casefile_id", "first_name", "middle_name", "last_name", "dob")


def patient_block(patient_id: int, master_id: str | None, key: str, rows) -> dict[str, Any]:
    """Kipu's shape for a patient's sub-resource: `{"patient": {casefile_id, names, dob, <key>: [...]}}`."""
    with ctx().store.read() as tx:
        patient = load(tx, "patient", patient_id)
        found = rows(tx, patient)
    require_master_id(patient, master_id)
    view = present(patient)
    head = {k: view[k] for k in HEAD}
    return {"patient": {**head, key: found}}
