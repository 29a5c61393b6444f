"""The EMR's billing (WF-5.1, WF-5.2, PROC-04/05/08, SET-01/06/07): billable templates, the billing
item a documented service makes (group_sessions.py and evaluations.py document them), and the
Billing Audit Tool Report that reviews, edits, selects and transmits charges to the RCM."""

from __future__ import annotations

import json
from typing import Any

from kipu_harness.events import Problem

from ..common import facility
from ..common.base import ApiError, ctx, load, require_role
from ..common.routes import answers, blueprint, path_model
from .billing_schemas import (BillingCodes, ItemEdit, RenderingProviderIn, RenderingProviderOut, RenderingProviders,
                              Report, ReportQuery, ReviewedItemOut, TemplateIn, TemplateOut, Templates, TransmitIn,
                              Transmitted, UserHeader, dump)

billing = blueprint("emr_billing", __name__, "/api", "billing",
                    "Billable templates, documented services and the Billing Audit Tool Report (WF-5.1, WF-5.2)")
ItemPath = path_model("item_id")


@billing.get("/billing/codes", responses=answers(200, BillingCodes))
def codes():
    """Billing codes of the facility (CPT, HCPCS, revenue codes)"""
    with ctx().store.read() as tx:
        return {"billing_codes": tx.all("billing_code")}


@billing.get("/rendering_providers", responses=answers(200, RenderingProviders))
def rendering_providers():
    """Rendering providers and whether the EMR may send each to the RCM (SET-07)"""
    with ctx().store.read() as tx:
        return {"rendering_providers": tx.all("rendering_provider")}


@billing.post("/rendering_providers", responses=answers(201, RenderingProviderOut))
def add_rendering_provider(body: RenderingProviderIn):
    """Add a rendering provider the EMR may send to the RCM (SET-07)"""
    values = body.model_dump()
    record, _ = ctx().write(lambda tx: tx.insert("rendering_provider", values), kind="rendering_provider")
    return {"rendering_provider": record}, 201


# -- billable templates (SET-06) ------------------------------------------------------------------

@billing.get("/billable_templates", responses=answers(200, Templates))
def templates():
    """Billable templates: group sessions and evaluations, per diem or ancillary (SET-06)"""
    with ctx().store.read() as tx:
        return {"billable_templates": tx.all("billable_template")}


@billing.post("/billable_templates", responses=answers(201, TemplateOut, 409))
def add_template(body: TemplateIn):
    """Add a group session or evaluation template, billed per diem (a level of care) or as ancillary (SET-06)"""
    template = {"name": body.name, "kind": body.kind, "billing": body.billing, "modifier": body.modifier or "",
                "place_of_service": body.place_of_service or "55", "required_minutes": body.required_minutes or 0,
                "level_of_care": body.level_of_care}
    if body.billing == "ancillary":
        template.update(service_description=body.service_description, cpt=body.cpt or "", hcpcs=body.hcpcs or "",
                        revenue_code=body.revenue_code or "", claim_format=body.claim_format or "Professional")
    with ctx().store.read() as tx:
        # The EMR's levels of care, in the facility file's shape, for facility.emr_template.
        levels = {lc["care_level_name"]: {"name": lc["care_level_name"], "uid": lc.get("care_level_uid"),
                                          "procedure_code": (lc.get("selected_billing_code") or {}).get("HCode", ""),
                                          "revenue_code": (lc.get("selected_billing_code") or {}).get("RCode", "")}
                  for lc in tx.all("care_level")}
    if body.billing == "per_diem" and body.level_of_care not in levels:
        raise ApiError(409, "invalid billable template", [Problem(
            "level_of_care", f"{body.level_of_care!r} is not a level of care of the EMR: a per-diem template needs one")])
    values = facility.emr_template(template, levels)
    record, _ = ctx().write(lambda tx: tx.insert("billable_template", values), kind="billable_template")
    return {"billable_template": record}, 201


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


def _template(tx, template_id: int, kind: str, field: str = "template_id") -> dict[str, Any]:
    """The billable template ``field`` names, of ``kind`` (unknown: 404; of the other kind: 409)."""
    template = tx.get("billable_template", template_id)
    if template is None:
        raise ApiError(404, f"billable_template {template_id} not found",
                       [Problem(field, f"no billable_template with id {template_id}")])
    if template["kind"] != kind:
        names = {"group_session": "a group session", "evaluation": "an evaluation"}
        raise ApiError(409, f"not {names[kind]} template",
                       [Problem(field, f"is {names[template['kind']]} template")])
    return template


def kipu_billing(template: dict[str, Any]) -> dict[str, Any]:
    """A billable template's billing as Kipu shows it on a group session or an evaluation: its codes
    in Kipu's four slots, and which one it bills (the HCPCS code, else the CPT code, as a charge does)."""
    codes = {"HCode": template["hcpcs"], "CCode": template["cpt"], "RCode": template["revenue_code"], "Custom": ""}
    selected = "HCode" if template["hcpcs"] else "CCode" if template["cpt"] else None
    return {"billable": any(codes.values()), "billing_codes": codes, "selected_billing_code": selected,
            "place_of_service": template["place_of_service"], "ancillary": template["billing"] == "ancillary",
            "billable_claim_format": template["claim_format"]}


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


@billing.get("/billing_audit_tool", responses=answers(200, Report))
def report(query: ReportQuery):
    """The Billing Audit Tool Report: every billed item with the errors that block it and its warnings (WF-5.2)"""
    with ctx().store.read() as tx:
        items = [review(tx, i) for i in tx.all("billing_item")]
    if query.start_date:
        items = [i for i in items if i["date_of_service"] >= query.start_date]
    if query.end_date:
        items = [i for i in items if i["date_of_service"] <= query.end_date]
    if query.patient_id is not None:
        items = [i for i in items if i["patient_id"] == query.patient_id]
    return {"billing_items": items}


@billing.patch("/billing_audit_tool/items/<id:item_id>", responses=answers(200, ReviewedItemOut, 403, 409))
def edit_item(path: ItemPath, header: UserHeader, body: ItemEdit):
    """Edit a billing item before it is transmitted (PROC-05); the billing role is needed (SET-05)"""
    values = {k: v or "" for k, v in dump(body).items()}

    def change(tx):
        require_role(tx)
        item = load(tx, "billing_item", path.item_id)
        if item["status"] == "transmitted":
            raise ApiError(409, "already transmitted", [Problem("status", "a transmitted charge cannot be edited")])
        item.update(values)
        tx.put("billing_item", item)
        return item

    item, _ = ctx().write(change, "billing_item.edited", kind="billing_item")
    with ctx().store.read() as tx:
        return {"billing_item": review(tx, item)}


@billing.post("/billing_audit_tool/transmit", responses=answers(200, Transmitted, 403, 404, 409))
def transmit(header: UserHeader, body: TransmitIn):
    """Transmit the selected charges to the RCM (WF-5.2, PROC-08); the billing role is needed (SET-05)

    An item with errors is not sent; an RCM batch transmission error comes back on its item.
    """
    context = ctx()
    with context.store.transaction() as tx:
        require_role(tx)
        items = [review(tx, load(tx, "billing_item", i)) for i in body.item_ids]
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
    return {"results": [{"item_id": k, **v} for k, v in sorted(results.items())]}


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
