"""Kipu API v3 shapes the EMR's resources share: a patient as read, paged envelopes with string
pagination, `document` bodies, and the patient_master_id every patient read requires."""

from __future__ import annotations

import math
from typing import Any

from flask import jsonify, request

from kipu_harness.events import Problem

from ..common.base import ApiError, ctx, load


def present(patient: dict[str, Any]) -> dict[str, Any]:
    """A patient as Kipu's v3 read API shows it."""
    view = {k: v for k, v in patient.items() if k not in ("id", "diagnoses", "rcm")}
    view["casefile_id"] = f"{patient['id']}:{patient['patient_master_id']}"
    view["id"] = patient["id"]
    view["diagnosis_codes"] = ", ".join(d["code"] for d in patient["diagnoses"])
    view["diagnoses"] = patient["diagnoses"]
    view["rcm_connection"] = patient["rcm"]
    return view


def page(items: list[dict[str, Any]], key: str):
    numbers = {}
    for name, default in (("page", 1), ("per", 20)):
        try:
            numbers[name] = max(1, int(request.args.get(name, default)))
        except ValueError:
            raise ApiError(400, f"{name} must be an integer", [Problem(name, "must be an integer")]) from None
    number, per = numbers["page"], min(100, numbers["per"])
    total = len(items)
    pages = max(1, math.ceil(total / per))
    chunk = items[(number - 1) * per : number * per]
    # Kipu sends pagination values as strings.
    pagination = {
        "current_page": str(number),
        "total_pages": str(pages),
        "records_per_page": str(per),
        "total_records": str(total),
    }
    return jsonify({"pagination": pagination, key: chunk})


def document_data(body: dict[str, Any]) -> dict[str, Any]:
    document = body.get("document")
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise ApiError(422, "invalid document", [Problem("document.data", "a JSON object is required")])
    return document["data"]


def require_master_id(patient: dict[str, Any]) -> None:
    given = request.args.get("patient_master_id")
    if not given:
        raise ApiError(400, "patient_master_id is required", [Problem("patient_master_id", "is required")])
    if given != patient["patient_master_id"]:
        raise ApiError(404, "patient not found", [Problem("patient_master_id", "does not match the patient")])


def patient_block(patient_id: str, key: str, rows) -> dict[str, Any]:
    """Kipu's shape for a patient's sub-resource: `{"patient": {casefile_id, names, dob, <key>: [...]}}`."""
    with ctx().store.read() as tx:
        patient = load(tx, "patient", patient_id)
        found = rows(tx, patient)
    require_master_id(patient)
    view = present(patient)
    head = {k: view[k] for k in ("casefile_id", "first_name", "middle_name", "last_name", "dob")}
    return {"patient": {**head, key: found}}
