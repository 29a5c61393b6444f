"""Kipu API v3 shapes the EMR's resources share: a patient as read, paged envelopes with string
pagination, and the patient_master_id every patient read requires."""

from __future__ import annotations

import math
from typing import Any

from kipu_harness.events import Problem

from ..common.base import ApiError, ctx, load
from .schemas import Paged


def present(patient: dict[str, Any]) -> dict[str, Any]:
    """A patient as Kipu's v3 read API shows it."""
    view = {k: v for k, v in patient.items() if k not in ("id", "diagnoses", "rcm")}
    view["casefile_id"] = f"{patient['id']}:{patient['patient_master_id']}"
    view["id"] = patient["id"]
    view["diagnosis_codes"] = ", ".join(d["code"] for d in patient["diagnoses"])
    view["diagnoses"] = patient["diagnoses"]
    view["rcm_connection"] = patient["rcm"]
    return view


def page(items: list[dict[str, Any]], key: str, query: Paged) -> dict[str, Any]:
    """One page of ``items`` under ``key``, with Kipu's pagination (every number a string)."""
    number, per = query.numbers()
    total = len(items)
    pagination = {
        "current_page": str(number),
        "total_pages": str(max(1, math.ceil(total / per))),
        "records_per_page": str(per),
        "total_records": str(total),
    }
    return {"pagination": pagination, key: items[(number - 1) * per : number * per]}


def require_master_id(patient: dict[str, Any], given: str | None) -> None:
    if not given:
        raise ApiError(400, "patient_master_id is required", [Problem("patient_master_id", "is required")])
    if given != patient["patient_master_id"]:
        raise ApiError(404, "patient not found", [Problem("patient_master_id", "does not match the patient")])


def patient_block(patient_id: int, master_id: str | None, key: str, rows) -> dict[str, Any]:
    """Kipu's shape for a patient's sub-resource: `{"patient": {casefile_id, names, dob, <key>: [...]}}`."""
    with ctx().store.read() as tx:
        patient = load(tx, "patient", patient_id)
        found = rows(tx, patient)
    require_master_id(patient, master_id)
    view = present(patient)
    head = {k: view[k] for k in ("casefile_id", "first_name", "middle_name", "last_name", "dob")}
    return {"patient": {**head, key: found}}
