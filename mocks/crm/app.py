"""Mock Kipu CRM: prospects, their insurance, treatment opportunities, and the push to the EMR."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify

from ..common import openapi
from kipu_harness.events import Problem

from ..common.base import ApiError, SystemContext, ctx, install, json_body, load
from ..common.checks import SEXES, Checker

PROSPECT_FIELDS = (
    "first_name", "middle_name", "last_name", "dob", "gender", "phone", "email",
    "address_street", "address_city", "address_state", "address_zip", "ssn",
)
INSURANCE_FIELDS = ("payer_name", "policy_number", "group_number", "subscriber_name", "relationship")
OPPORTUNITY_FIELDS = ("level_of_care", "program", "expected_admission_date")

OPENAPI = openapi.document(
    "Mock Kipu CRM",
    "Prospects before admission, their insurance, and treatment opportunities pushed to the EMR.",
    [
        ("POST", "/crm/prospects", "Create a prospect (WF-1.1); the RCM gets a Prospective Patient (WF-1.2)",
         openapi.fields(*PROSPECT_FIELDS, required=("first_name", "last_name"))),
        ("GET", "/crm/prospects", "List prospects", None),
        ("GET", "/crm/prospects/{prospect_id}", "Read a prospect with its insurance and opportunities", None),
        ("POST", "/crm/prospects/{prospect_id}/insurance", "Add insurance information to a prospect (WF-1.3)",
         openapi.fields(*INSURANCE_FIELDS, required=("payer_name", "policy_number"))),
        ("POST", "/crm/prospects/{prospect_id}/opportunities", "Create a treatment opportunity (WF-1.3)",
         openapi.fields(*OPPORTUNITY_FIELDS)),
        ("POST", "/crm/opportunities/{opportunity_id}/push", "Push the opportunity to the EMR for admission (WF-1.4)", None),
        ("POST", "/crm/payers", "Refused with 403: payers are managed only in the RCM (SYS-04)", None),
    ],
)


def create_app(context: SystemContext) -> Flask:
    app = Flask("kipu_harness.mocks.crm")
    install(app, context, OPENAPI)
    app.register_blueprint(prospects)
    return app


prospects = Blueprint("prospects", __name__, url_prefix="/crm")


def _check_prospect(body: dict[str, Any]) -> dict[str, Any]:
    c = Checker(body)
    c.unknown(set(PROSPECT_FIELDS))
    today = ctx().clock.today()
    record = {
        "first_name": c.text("first_name", required=True),
        "middle_name": c.text("middle_name") or "",
        "last_name": c.text("last_name", required=True),
        "dob": c.date("dob", not_future_of=today),
        "gender": c.choice("gender", SEXES),
        "phone": c.phone("phone"),
        "email": c.text("email"),
        "address_street": c.text("address_street"),
        "address_city": c.text("address_city"),
        "address_state": c.state("address_state"),
        "address_zip": c.zip("address_zip"),
        "ssn": c.ssn("ssn"),
    }
    c.done("invalid prospect")
    record["dob"] = record["dob"].isoformat() if record["dob"] else None
    return record


@prospects.post("/prospects")
def create_prospect():
    record = _check_prospect(json_body())
    record.update(insurance=[], created_at=ctx().clock.now().isoformat())
    prospect, _ = ctx().write(lambda tx: tx.insert("prospect", record), "prospect.created", kind="prospect")
    return jsonify({"prospect": prospect}), 201


@prospects.route("/payers", methods=["POST"])
@prospects.route("/payers/<payer_id>", methods=["PATCH", "PUT", "DELETE"])
def payer_write(payer_id: str | None = None):
    """SYS-04: the CRM records which payer a prospect names, but never creates or edits one."""
    raise ApiError(403, "payers are managed only in the RCM",
                   [Problem("payer", "cannot be created or edited in the CRM; manage payers in the RCM")])


@prospects.get("/prospects")
def list_prospects():
    with ctx().store.read() as tx:
        return jsonify({"prospects": tx.all("prospect")})


@prospects.get("/prospects/<prospect_id>")
def get_prospect(prospect_id: str):
    with ctx().store.read() as tx:
        prospect = load(tx, "prospect", prospect_id)
        prospect["opportunities"] = tx.find("opportunity", prospect_id=prospect["id"])
    return jsonify({"prospect": prospect})


@prospects.post("/prospects/<prospect_id>/insurance")
def add_insurance(prospect_id: str):
    c = Checker(json_body())
    c.unknown(set(INSURANCE_FIELDS))
    insurance = {name: c.text(name, required=name in ("payer_name", "policy_number")) for name in INSURANCE_FIELDS}
    c.done("invalid insurance")

    def change(tx):
        prospect = load(tx, "prospect", prospect_id)
        prospect["insurance"].append(insurance)
        tx.put("prospect", prospect)
        return prospect

    prospect, _ = ctx().write(change, "prospect.insurance_added", {"insurance": insurance}, kind="prospect")
    return jsonify({"prospect": prospect}), 201


@prospects.post("/prospects/<prospect_id>/opportunities")
def create_opportunity(prospect_id: str):
    c = Checker(json_body())
    c.unknown(set(OPPORTUNITY_FIELDS))
    values = {
        "level_of_care": c.text("level_of_care"),
        "program": c.text("program"),
        "expected_admission_date": c.date("expected_admission_date"),
    }
    c.done("invalid treatment opportunity")
    if values["expected_admission_date"]:
        values["expected_admission_date"] = values["expected_admission_date"].isoformat()

    def change(tx):
        prospect = load(tx, "prospect", prospect_id)
        return tx.insert("opportunity", {**values, "prospect_id": prospect["id"], "status": "open", "emr_patient_id": None})

    opportunity, _ = ctx().write(change, "opportunity.created", kind="opportunity")
    return jsonify({"opportunity": opportunity}), 201


@prospects.get("/opportunities/<opportunity_id>")
def get_opportunity(opportunity_id: str):
    with ctx().store.read() as tx:
        return jsonify({"opportunity": load(tx, "opportunity", opportunity_id)})


@prospects.post("/opportunities/<opportunity_id>/push")
def push_opportunity(opportunity_id: str):
    def change(tx):
        opportunity = load(tx, "opportunity", opportunity_id)
        prospect = load(tx, "prospect", opportunity["prospect_id"])
        opportunity["status"] = "pushed"
        opportunity["pushed_at"] = ctx().clock.now().isoformat()
        tx.put("opportunity", opportunity)
        return {**opportunity, "prospect": prospect}

    opportunity, extra = ctx().write(change, "opportunity.pushed", kind="opportunity")
    opportunity.pop("prospect", None)
    return jsonify({"opportunity": opportunity, **extra})
