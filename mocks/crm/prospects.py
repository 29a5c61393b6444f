"""The CRM's resources: prospects, their insurance, treatment opportunities, and the push to the EMR."""

from __future__ import annotations

from flask import jsonify

from kipu_harness.events import Problem

from ..common.base import ApiError, ctx, load
from ..common.routes import answers, blueprint, path_model, refusal
from ..common.schemas import ssn_digits
from .schemas import (InsuranceIn, OpportunityIn, OpportunityOut, ProspectIn, ProspectOut, ProspectsOut,
                      Pushed)

prospects = blueprint("prospects", __name__, "/crm", "prospects", "Step 1: prospects before admission (WF-1.x)")
ProspectPath = path_model("prospect_id")
OpportunityPath = path_model("opportunity_id")


def _not_future(field: str, value: str | None) -> None:
    if value and value > ctx().clock.today().isoformat():
        raise ApiError(409, "invalid prospect", [Problem(field, f"{value} is in the future")])


@prospects.post("/prospects", responses=answers(201, ProspectOut, 409))
def create_prospect(body: ProspectIn):
    """Create a prospect (WF-1.1); the RCM gets a Prospective Patient at once (WF-1.2)"""
    _not_future("dob", body.dob)
    record = body.model_dump()
    record.update(middle_name=record["middle_name"] or "", ssn=ssn_digits(record["ssn"]), insurance=[],
                  created_at=ctx().clock.now().isoformat())
    prospect, _ = ctx().write(lambda tx: tx.insert("prospect", record), "prospect.created", kind="prospect")
    return jsonify({"prospect": prospect}), 201


def _owned_by_rcm():
    """SYS-04: the CRM records which payer a prospect names, but never creates or edits one."""
    raise ApiError(403, "payers are managed only in the RCM",
                   [Problem("payer", "cannot be created or edited in the CRM; manage payers in the RCM")])


_REFUSED = "Refused: payers are managed only in the RCM (SYS-04)"
refusal(prospects, ("post",), "/payers", None, _REFUSED, _owned_by_rcm)
refusal(prospects, ("patch", "put", "delete"), "/payers/<id:payer_id>", path_model("payer_id"), _REFUSED, _owned_by_rcm)


@prospects.get("/prospects", responses=answers(200, ProspectsOut))
def list_prospects():
    """List prospects"""
    with ctx().store.read() as tx:
        return jsonify({"prospects": tx.all("prospect")})


@prospects.get("/prospects/<id:prospect_id>", responses=answers(200, ProspectOut))
def get_prospect(path: ProspectPath):
    """A prospect with its insurance and treatment opportunities"""
    with ctx().store.read() as tx:
        prospect = load(tx, "prospect", path.prospect_id)
        prospect["opportunities"] = tx.find("opportunity", prospect_id=prospect["id"])
    return jsonify({"prospect": prospect})


@prospects.post("/prospects/<id:prospect_id>/insurance", responses=answers(201, ProspectOut))
def add_insurance(path: ProspectPath, body: InsuranceIn):
    """Add insurance information to a prospect (WF-1.3)"""
    insurance = body.model_dump()

    def change(tx):
        prospect = load(tx, "prospect", path.prospect_id)
        prospect["insurance"].append(insurance)
        tx.put("prospect", prospect)
        return prospect

    prospect, _ = ctx().write(change, "prospect.insurance_added", {"insurance": insurance}, kind="prospect")
    return jsonify({"prospect": prospect}), 201


@prospects.post("/prospects/<id:prospect_id>/opportunities", responses=answers(201, OpportunityOut))
def create_opportunity(path: ProspectPath, body: OpportunityIn):
    """Create a treatment opportunity for a prospect (WF-1.3)"""
    values = body.model_dump()

    def change(tx):
        prospect = load(tx, "prospect", path.prospect_id)
        return tx.insert("opportunity", {**values, "prospect_id": prospect["id"], "status": "open", "emr_patient_id": None})

    opportunity, _ = ctx().write(change, "opportunity.created", kind="opportunity")
    return jsonify({"opportunity": opportunity}), 201


@prospects.get("/opportunities/<id:opportunity_id>", responses=answers(200, OpportunityOut))
def get_opportunity(path: OpportunityPath):
    """A treatment opportunity"""
    with ctx().store.read() as tx:
        return jsonify({"opportunity": load(tx, "opportunity", path.opportunity_id)})


@prospects.post("/opportunities/<id:opportunity_id>/push", responses=answers(200, Pushed, 409))
def push_opportunity(path: OpportunityPath):
    """Push the opportunity to the EMR for admission (WF-1.4): it arrives there pending"""
    def change(tx):
        opportunity = load(tx, "opportunity", path.opportunity_id)
        prospect = load(tx, "prospect", opportunity["prospect_id"])
        opportunity["status"] = "pushed"
        opportunity["pushed_at"] = ctx().clock.now().isoformat()
        tx.put("opportunity", opportunity)
        return {**opportunity, "prospect": prospect}

    opportunity, extra = ctx().write(change, "opportunity.pushed", kind="opportunity")
    opportunity.pop("prospect", None)
    return jsonify({"opportunity": opportunity, **extra})
