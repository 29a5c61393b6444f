"""The EMR's billing (WF-5.1, WF-5.2, PROC-04/05/08, SET-01/06/07): billable templates, documenting
services through group sessions and evaluations, and the Billing Audit Tool Report that reviews,
edits, selects and transmits charges to the RCM."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, request

from kipu_harness.events import Problem

from ..common import facility
from ..common.base import ApiError, ctx, json_body, load, require_role
from ..common.checks import Checker

billing = Blueprint("emr_billing", __name__, url_prefix="/api")
EDITABLE = ("rendering_provider", "service_description", "modifier", "place_of_service")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@billing.get("/billing/codes")
def codes():
    with ctx().store.read() as tx:
        return jsonify({"billing_codes": tx.all("billing_code")})


@billing.get("/rendering_providers")
def rendering_providers():
    with ctx().store.read() as tx:
        return jsonify({"rendering_providers": tx.all("rendering_provider")})


@billing.post("/rendering_providers")
def add_rendering_provider():
    """SET-07: which rendering providers the EMR may send to the RCM."""
    c = Checker(json_body())
    c.unknown({"name", "npi", "send_to_rcm"})
    name, npi = c.text("name", required=True), c.text("npi", required=True)
    c.done("invalid rendering provider")
    send = bool(c.body.get("send_to_rcm", True))
    record, _ = ctx().write(lambda tx: tx.insert("rendering_provider", {"name": name, "npi": npi, "send_to_rcm": send}),
                            kind="rendering_provider")
    return jsonify({"rendering_provider": record}), 201


# -- billable templates (SET-06) ------------------------------------------------------------------

@billing.get("/billable_templates")
def templates():
    with ctx().store.read() as tx:
        return jsonify({"billable_templates": tx.all("billable_template")})


@billing.post("/billable_templates")
def add_template():
    """A group session or evaluation template, billed per diem (a level of care) or as ancillary."""
    body = json_body()
    c = Checker(body)
    c.unknown({"name", "kind", "billing", "level_of_care", "service_description", "cpt", "hcpcs", "revenue_code",
               "modifier", "claim_format", "place_of_service", "required_minutes"})
    template = {
        "name": c.text("name", required=True),
        "kind": c.choice("kind", ("group_session", "evaluation"), required=True),
        "billing": c.choice("billing", ("per_diem", "ancillary"), required=True),
        "modifier": c.text("modifier") or "",
        "place_of_service": c.text("place_of_service") or "55",
        "required_minutes": body.get("required_minutes", 0),
        "level_of_care": c.text("level_of_care"),
    }
    if not _whole(template["required_minutes"]):
        c.problem("required_minutes", "a whole number of minutes (0 or more) is required")
    with ctx().store.read() as tx:
        # The EMR's levels of care, in the facility file's shape, for facility.emr_template.
        levels = {lc["care_level_name"]: {"name": lc["care_level_name"], "uid": lc.get("care_level_uid"),
                                          "procedure_code": lc.get("billing_codes", {}).get("HCode", ""),
                                          "revenue_code": lc.get("billing_codes", {}).get("RCode", "")}
                  for lc in tx.all("care_level")}
    if template["billing"] == "per_diem" and template["level_of_care"] not in levels:
        c.problem("level_of_care", "a per-diem template needs a level of care of the EMR")
    if template["billing"] == "ancillary":
        template.update(service_description=c.text("service_description", required=True), cpt=c.text("cpt") or "",
                        hcpcs=c.text("hcpcs") or "", revenue_code=c.text("revenue_code") or "",
                        claim_format=c.choice("claim_format", ("Institutional", "Professional")) or "Professional")
    c.done("invalid billable template")
    values = facility.emr_template(template, levels)
    record, _ = ctx().write(lambda tx: tx.insert("billable_template", values), kind="billable_template")
    return jsonify({"billable_template": record}), 201


# -- documenting services (WF-5.1) ----------------------------------------------------------------

def _item(tx, patient: dict[str, Any], template: dict[str, Any], day: str, minutes: int | None,
          source: str, rendering_provider: str = "") -> dict[str, Any]:
    """One billed item for the Billing Audit Tool Report, as the EMR sees the service."""
    insurances = sorted(tx.find("insurance", patient_id=patient["id"]), key=lambda i: i["insurance_type"] != "Primary")
    required = int(template.get("required_minutes") or 0)
    return tx.insert("billing_item", {
        "patient_id": patient["id"], "source": source, "template_id": template["id"],
        "date_of_service": day, "admit_date": (patient.get("admission_date") or "")[:10],
        "location": patient.get("building_name") or "", "program": patient.get("program") or "",
        "insurance": insurances[0]["insurance_company"] if insurances else "Private Pay",
        "level_of_care": template.get("level_of_care"), "level_of_care_uid": template.get("level_of_care_uid"),
        "service_description": template["service_description"],
        "codes": {"cpt": template["cpt"], "hcpcs": template["hcpcs"], "revenue": template["revenue_code"]},
        "modifier": template["modifier"], "units": 1, "claim_format": template["claim_format"],
        "rendering_provider": rendering_provider, "diagnosis_codes": [d["code"] for d in patient["diagnoses"]],
        "place_of_service": template["place_of_service"],
        "duration": {"minutes": minutes, "required": required, "met": minutes is None or minutes >= required},
        "status": "open", "transmission": None,
    })


@billing.post("/group_sessions")
def document_group_session():
    body = json_body()
    c = Checker(body)
    c.unknown({"template_id", "date", "leader", "attendance"})
    day = c.date("date", required=True)
    attendance = body.get("attendance")
    if not isinstance(attendance, list) or not attendance:
        c.problem("attendance", "a list of {patient_id, present, minutes} is required")
    else:
        for n, row in enumerate(attendance):
            if not isinstance(row, dict) or not isinstance(row.get("present"), bool):
                c.problem(f"attendance[{n}]", "must be an object with patient_id, present (true/false), minutes")
            elif row.get("minutes") is not None and not _whole(row["minutes"]):
                c.problem(f"attendance[{n}].minutes", "a whole number of minutes is required")
    c.done("invalid group session")
    items: list[dict[str, Any]] = []

    def change(tx):
        template = load(tx, "billable_template", body.get("template_id"))
        if template["kind"] != "group_session":
            raise ApiError(422, "not a group session template", [Problem("template_id", "is an evaluation template")])
        session = tx.insert("group_session", {"template_id": template["id"], "date": day.isoformat(),
                                              "leader": body.get("leader"), "attendance": attendance})
        for row in attendance:
            patient = load(tx, "patient", row.get("patient_id"))
            if row.get("present"):
                items.append(_item(tx, patient, template, day.isoformat(), row.get("minutes"), f"group session {session['id']}"))
        return session

    session, _ = ctx().write(change, "group_session.documented", kind="group_session")
    return jsonify({"group_session": session, "billing_items": items}), 201


@billing.post("/patients/<patient_id>/patient_evaluations")
def document_evaluation(patient_id: str):
    body = json_body()
    c = Checker(body)
    c.unknown({"template_id", "date", "minutes", "rendering_provider"})
    day = c.date("date", required=True)
    if body.get("minutes") is not None and not _whole(body["minutes"]):
        c.problem("minutes", "a whole number of minutes is required")
    c.done("invalid evaluation")

    def change(tx):
        template = load(tx, "billable_template", body.get("template_id"))
        if template["kind"] != "evaluation":
            raise ApiError(422, "not an evaluation template", [Problem("template_id", "is a group session template")])
        patient = load(tx, "patient", patient_id)
        return _item(tx, patient, template, day.isoformat(), body.get("minutes"), "evaluation",
                     body.get("rendering_provider") or "")

    item, _ = ctx().write(change, "evaluation.documented", kind="billing_item")
    return jsonify({"billing_item": item}), 201


# -- the Billing Audit Tool Report (WF-5.2, PROC-05, PROC-08) ---------------------------------------

def review(tx, item: dict[str, Any]) -> dict[str, Any]:
    """Errors block transmission; warnings do not."""
    errors, warnings = [], []
    patient = tx.get("patient", item["patient_id"])
    if not (item["codes"]["cpt"] or item["codes"]["hcpcs"] or item["codes"]["revenue"]):
        errors.append("no billing code: configure the template's codes")
    if not patient["rcm"]["connected"]:
        errors.append("the patient was never sent to the RCM: generate the MR Number or Send to Kipu RCM")
    senders = {p["npi"] for p in tx.all("rendering_provider") if p["send_to_rcm"]}
    if item["rendering_provider"] and item["rendering_provider"] not in senders:
        errors.append(f"rendering provider {item['rendering_provider']} is not configured to be sent to the RCM")
    if not item["duration"]["met"]:
        warnings.append(f"required duration not met ({item['duration']['minutes']} of {item['duration']['required']} "
                        "minutes): it still bills one unit")
    if item["insurance"] == "Private Pay":
        warnings.append("no insurance: billed with private-pay codes")
    return {**item, "errors": errors, "warnings": warnings}


@billing.get("/billing_audit_tool")
def report():
    with ctx().store.read() as tx:
        items = [review(tx, i) for i in tx.all("billing_item")]
    start, end = request.args.get("start_date"), request.args.get("end_date")
    if start:
        items = [i for i in items if i["date_of_service"] >= start]
    if end:
        items = [i for i in items if i["date_of_service"] <= end]
    if "patient_id" in request.args:
        items = [i for i in items if str(i["patient_id"]) == request.args["patient_id"]]
    return jsonify({"billing_items": items})


@billing.patch("/billing_audit_tool/items/<item_id>")
def edit_item(item_id: str):
    body = json_body()
    c = Checker(body)
    c.unknown(set(EDITABLE))
    values = {k: c.text(k) or "" for k in body if k in EDITABLE}
    c.done("invalid billing item")

    def change(tx):
        require_role(tx)
        item = load(tx, "billing_item", item_id)
        if item["status"] == "transmitted":
            raise ApiError(409, "already transmitted", [Problem("status", "a transmitted charge cannot be edited")])
        item.update(values)
        tx.put("billing_item", item)
        return item

    item, _ = ctx().write(change, "billing_item.edited", kind="billing_item")
    with ctx().store.read() as tx:
        return jsonify({"billing_item": review(tx, item)})


@billing.post("/billing_audit_tool/transmit")
def transmit():
    """Send the selected charges; an item with errors is not sent, an RCM batch error comes back on it."""
    body = json_body()
    ids = body.get("item_ids")
    if not isinstance(ids, list) or not ids:
        raise ApiError(422, "nothing selected", [Problem("item_ids", "a non-empty list of billing item ids")])
    context = ctx()
    with context.store.transaction() as tx:
        require_role(tx)
        items = [review(tx, load(tx, "billing_item", i)) for i in ids]
        patients = {i["patient_id"]: tx.get("patient", i["patient_id"]) for i in items}
    results = {i["id"]: {"status": "blocked", "errors": i["errors"]} for i in items if i["errors"]}
    for patient_id, patient in patients.items():
        batch = [i for i in items if i["patient_id"] == patient_id and not i["errors"] and i["status"] != "transmitted"]
        if batch:
            results.update(_send_batch(context, patient, batch))
    skipped = {i["id"]: {"status": "already transmitted"} for i in items if i["status"] == "transmitted"}
    results = {**skipped, **results}

    def change(tx):
        for item_id, result in results.items():
            item = tx.get("billing_item", item_id)
            if result["status"] in ("accepted", "error"):
                item["status"] = "transmitted" if result["status"] == "accepted" else "error"
                item["transmission"] = result
                tx.put("billing_item", item)
        return {"id": 0}

    context.write(change, "charges.transmitted")
    return jsonify({"results": [{"item_id": k, **v} for k, v in sorted(results.items())]})


def _send_batch(context, patient: dict[str, Any], items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    charges = [{
        "emr_item_id": i["id"],
        # Transmitted (BAT-03, BAT-10, BAT-12): what the RCM keeps.
        "date_of_service": i["date_of_service"], "units": 1, "rendering_provider": i["rendering_provider"],
        # Not transmitted: used only to pick the episode (BAT-04) and the service (BAT-05..BAT-15).
        "admit_date": i["admit_date"], "location": i["location"], "insurance": i["insurance"], "program": i["program"],
        "place_of_service": i["place_of_service"],
        "match": {"level_of_care_uid": i["level_of_care_uid"] or "", "service_description": i["service_description"],
                  "revenue_code": i["codes"]["revenue"], "procedure_code": i["codes"]["hcpcs"] or i["codes"]["cpt"],
                  "modifier": i["modifier"], "claim_format": i["claim_format"].lower(),
                  "place_of_service": i["place_of_service"]},
    } for i in items]
    body = json.dumps({"emr_patient_id": str(patient["id"]), "charges": charges})
    context.journal("billing", f"charge batch to the RCM: {len(charges)} charge(s)", body)
    try:
        status, answer = context.links.post_json("rcm", "/rcm/charges/batch", body)
    except ConnectionError as exc:
        return {i["id"]: {"status": "not sent", "errors": [f"the RCM is unreachable: {exc}"]} for i in items}
    if status != 200:
        return {i["id"]: {"status": "not sent", "errors": [f"the RCM answered {status}: {answer}"]} for i in items}
    return {r["emr_item_id"]: {k: v for k, v in r.items() if k != "emr_item_id"} for r in answer["results"]}
