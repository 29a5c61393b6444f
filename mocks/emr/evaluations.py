"""The EMR's evaluations in Kipu's API v3 shape: evaluation templates (the EMR's billable templates
of kind evaluation) and patient evaluations, documented with Kipu's `document` body (each one bills
an item on the Billing Audit Tool Report, WF-5.1) and read as Kipu lists and shows them.

Choices where Kipu is silent (docs/ambiguities.md): the body's data is {evaluation_id, start_time,
end_time, duration (minutes), rendering_provider (an NPI)}; a documented evaluation is Completed,
unlocked, of no patient process, created_by the document's recipient_id; start_date and end_date
select by the day it was created; every template is a ``progress_note`` with ``notes`` content and
one item, the time of service (``start_end_time``), whose duration reads as a string of minutes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kipu_harness.events import Problem

from ..common.base import ApiError, ctx, load, not_found
from ..common.routes import answers, blueprint, path_model
from .billing import _item, _template, kipu_billing
from .directory import person_id
from .directory_schemas import on
from .evaluation_schemas import (EvaluationFilters, EvaluationOne, EvaluationsPage, PatientEvaluationFilters,
                                 PatientEvaluationIn, PatientEvaluationOne, PatientEvaluationOut,
                                 PatientEvaluationsPage, SettingsQuery)
from .kipu import page, require_master_id
from .schemas import Paged

evaluations = blueprint("emr_evaluations", __name__, "/api", "evaluations",
                        "Evaluation templates and patient evaluations as Kipu's API v3 has them; documenting one "
                        "bills it (WF-5.1)")
EvaluationPath = path_model("evaluation_id")
PatientEvaluationPath = path_model("patient_evaluation_id")
PatientPath = path_model("patient_id")
EVALUATION_TYPE, CONTENT, STATUS = "progress_note", "notes", "Completed"
_SETTINGS = ("billable", "billing_codes", "place_of_service", "ancillary", "billable_claim_format")


# -- evaluation templates ---------------------------------------------------------------------------

def _items(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": template["id"] * 100 + 1, "name": "Time of service", "field_type": "start_end_time"}]


def _content(template: dict[str, Any]) -> str:
    return template.get("evaluation_content") or CONTENT


def shown_evaluation(tx, template: dict[str, Any]) -> dict[str, Any]:
    billing = kipu_billing(template)
    return {"id": template["id"], "name": template["name"], "enabled": True, "patient_process_id": None,
            **{k: billing[k] for k in _SETTINGS}, "evaluation_type": EVALUATION_TYPE,
            "evaluation_content": _content(template),
            "locations": [{"location_id": p["location_id"], "location_name": p["location_name"]}
                          for p in tx.all("location")],
            "evaluation_items": _items(template)}


@evaluations.get("/evaluations", responses=answers(200, EvaluationsPage))
def list_evaluations(query: Paged):
    """Evaluation templates: the EMR's billable templates of kind evaluation (paged)"""
    with ctx().store.read() as tx:
        found = [shown_evaluation(tx, t) for t in tx.all("billable_template") if t["kind"] == "evaluation"]
    return page(found, "evaluations", query)


@evaluations.get("/evaluations/<id:evaluation_id>", responses=answers(200, EvaluationOne, 404))
def evaluation(path: EvaluationPath):
    """One evaluation template (a group session template: 404)"""
    with ctx().store.read() as tx:
        template = tx.get("billable_template", path.evaluation_id)
        if template is None or template["kind"] != "evaluation":
            raise not_found("evaluation", path.evaluation_id)
        return {"evaluation": shown_evaluation(tx, template)}


# -- patient evaluations: Kipu's view ------------------------------------------------------------------

def _listed(tx, record: dict[str, Any]) -> dict[str, Any]:
    template = tx.get("billable_template", record["evaluation_id"])
    patient = tx.get("patient", record["patient_id"])
    return {"id": record["id"], "name": template["name"], "status": record["status"],
            "patient_casefile_id": f"{patient['id']}:{patient['patient_master_id']}",
            "evaluation_id": record["evaluation_id"], "patient_process_id": None,
            "created_at": record["created_at"], "created_by": record["created_by"],
            "updated_at": record["updated_at"], "updated_by": record["updated_by"],
            "evaluation_content": _content(template), "billing_item_id": record["billing_item_id"]}


def _provider(tx, npi: str) -> dict[str, Any] | None:
    if not npi:
        return None
    found = [p for p in tx.all("rendering_provider") if p["npi"] == npi]
    if not found:
        return {"id": None, "name": None, "npi": npi}
    return {"id": person_id("provider", found[0]["id"]), "name": found[0]["name"], "npi": npi}


def _detail(tx, record: dict[str, Any], settings: bool) -> dict[str, Any]:
    view = _listed(tx, record)
    if not settings:
        return view
    template = tx.get("billable_template", record["evaluation_id"])
    billing = kipu_billing(template)
    [item] = _items(template)
    minutes = record["minutes"]
    return {**view, **{k: billing[k] for k in _SETTINGS}, "evaluation_type": EVALUATION_TYPE,
            "rendering_provider": _provider(tx, record["rendering_provider"]), "locked": record["locked"],
            "patient_evaluation_items": [{
                "id": record["id"] * 100 + 1, "evaluation_item_id": item["id"], "name": item["name"],
                "field_type": item["field_type"], "start_time": record["start_time"], "end_time": record["end_time"],
                "duration": None if minutes is None else str(minutes), "timestamp": record["created_at"]}]}


def _wanted(tx, record: dict[str, Any], view: dict[str, Any], query: EvaluationFilters) -> bool:
    day = record["created_at"][:10]
    if on(query.current_census_only):
        patient = tx.get("patient", record["patient_id"])
        if not patient.get("admission_date") or patient.get("discharge_date"):
            return False
    return ((query.evaluation_id is None or view["evaluation_id"] == query.evaluation_id)
            and (not on(query.completed_only) or view["status"] == STATUS)
            and (query.start_date is None or day >= query.start_date)
            and (query.end_date is None or day <= query.end_date)
            and (query.patient_process_id is None or view["patient_process_id"] == query.patient_process_id)
            and (query.evaluation_content is None or view["evaluation_content"] == query.evaluation_content))


def _found(query: EvaluationFilters, patient_id: int | None = None) -> list[dict[str, Any]]:
    if query.start_date and query.end_date and query.end_date < query.start_date:
        raise ApiError(409, "invalid query",
                       [Problem("end_date", f"{query.end_date} is before the start date {query.start_date}")])
    with ctx().store.read() as tx:
        records = [r for r in tx.all("patient_evaluation") if patient_id is None or r["patient_id"] == patient_id]
        return [v for r in records if _wanted(tx, r, v := _listed(tx, r), query)]


@evaluations.get("/patient_evaluations", responses=answers(200, PatientEvaluationsPage, 409))
def list_patient_evaluations(query: EvaluationFilters):
    """Patient evaluations of every patient (paged; filters as Kipu's)"""
    return page(_found(query), "patient_evaluations", query)


@evaluations.get("/patient_evaluations/<id:patient_evaluation_id>", responses=answers(200, PatientEvaluationOne, 404))
def patient_evaluation(path: PatientEvaluationPath, query: SettingsQuery):
    """One patient evaluation; include_settings=true adds its billing settings, provider and items"""
    with ctx().store.read() as tx:
        record = load(tx, "patient_evaluation", path.patient_evaluation_id)
        return {"patient_evaluation": _detail(tx, record, on(query.include_settings))}


@evaluations.get("/patients/<id:patient_id>/patient_evaluations",
                 responses=answers(200, PatientEvaluationsPage, 400, 404, 409))
def patient_evaluations_of(path: PatientPath, query: PatientEvaluationFilters):
    """A patient's evaluations (patient_master_id required; paged; filters as Kipu's)"""
    with ctx().store.read() as tx:
        patient = load(tx, "patient", path.patient_id)
    require_master_id(patient, query.patient_master_id)
    return page(_found(query, patient["id"]), "patient_evaluations", query)


# -- documenting one ------------------------------------------------------------------------------------

def _when(data) -> tuple[str, str | None, int | None]:
    """(start, end, minutes) of a documented evaluation, each as its item shows it."""
    given_time = "T" in data.start_time
    start = dt.datetime.fromisoformat(data.start_time if given_time else f"{data.start_time}T{ctx().settings.default_time}")
    minutes = data.duration
    if data.end_time:
        if not given_time:
            raise ApiError(409, "invalid patient evaluation",
                           [Problem("start_time", "needs a time (YYYY-MM-DDTHH:MM) when end_time is given")])
        end = dt.datetime.fromisoformat(data.end_time)
        if end < start:
            raise ApiError(409, "invalid patient evaluation",
                           [Problem("end_time", f"{data.end_time} is before the start time {data.start_time}")])
        lasted = int((end - start).total_seconds() // 60)
        if minutes is not None and minutes != lasted:
            raise ApiError(409, "invalid patient evaluation", [Problem(
                "duration", f"{minutes} minutes disagrees with start_time to end_time ({lasted} minutes)")])
        minutes = lasted
    else:
        end = start + dt.timedelta(minutes=minutes) if minutes is not None else None
    return start.isoformat(), end.isoformat() if end else None, minutes


@evaluations.post("/patients/<id:patient_id>/patient_evaluations", responses=answers(201, PatientEvaluationOut, 404, 409))
def document_evaluation(path: PatientPath, body: PatientEvaluationIn):
    """Document an evaluation of the patient with Kipu's {document: {recipient_id, data}}: one billing item (WF-5.1)"""
    data = body.document.data
    start, end, minutes = _when(data)
    made: list[dict[str, Any]] = []

    def change(tx):
        template = _template(tx, data.evaluation_id, "evaluation", field="evaluation_id")
        patient = load(tx, "patient", path.patient_id)
        item = _item(tx, patient, template, start[:10], minutes, "evaluation", data.rendering_provider or "")
        now = ctx().clock.now().isoformat()
        author = None if body.document.recipient_id is None else str(body.document.recipient_id)
        made.append(tx.insert("patient_evaluation", {
            "patient_id": patient["id"], "evaluation_id": template["id"], "start_time": start, "end_time": end,
            "minutes": minutes, "rendering_provider": data.rendering_provider or "", "billing_item_id": item["id"],
            "status": STATUS, "locked": False, "created_at": now, "created_by": author, "updated_at": now,
            "updated_by": author}))
        return item

    item, _ = ctx().write(change, "evaluation.documented", kind="billing_item")
    with ctx().store.read() as tx:
        return {"patient_evaluation": _detail(tx, made[0], True), "billing_item": item}, 201
