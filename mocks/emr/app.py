"""The mock EMR's app factory, its OpenAPI document, and what the RCM owns (refused here)."""

from __future__ import annotations

from flask import Blueprint, Flask

from kipu_harness.events import Problem

from ..common import openapi
from ..common.api import new_app
from ..common.base import ApiError, SystemContext
from . import billing, mirror, patients
from .kipu import page

OPENAPI = openapi.document(
    "Mock Kipu EMR (API v3 shape)",
    "Patients as in Kipu's public API v3 (paths under /api, paged envelopes with string "
    "pagination), plus the EMR user actions that drive the RCM integration.",
    [
        ("GET", "/api/patients/census", "Paged census (phi_level, page, per, exclude_preadmission)", None),
        ("GET", "/api/patients/admissions", "Paged admissions between start_date and end_date", None),
        ("GET", "/api/patients/{patient_id}", "One patient (patient_master_id required)", None),
        ("GET", "/api/patients/{patient_id}/diagnosis_history", "Diagnoses with the date each was added", None),
        ("POST", "/api/patients", "Create a pre-admitted patient (WF-1.5); body {document: {recipient_id, data}}",
         {"type": "object", "required": ["document"], "properties": {"document": openapi.fields("recipient_id")}}),
        ("PATCH", "/api/patients/{patient_id}", "Update demographics or the admission date; body {document: {data}}",
         {"type": "object", "required": ["document"]}),
        ("POST", "/api/integrations/crm/patients", "Receive a treatment opportunity pushed by the CRM (pending)", None),
        ("POST", "/api/patients/{patient_id}/accept", "Accept a record pushed from the CRM (WF-2.1)", None),
        ("POST", "/api/patients/{patient_id}/mr_number", "Generate the MR Number (WF-2.3, PAT-02)", None),
        ("POST", "/api/patients/{patient_id}/diagnoses", "Add an ICD-10-CM diagnosis (PAT-03)",
         openapi.fields("code", "principal", required=("code",))),
        ("POST", "/api/patients/{patient_id}/discharge", "Set the Discharge/Transition Date (PAT-14)",
         openapi.fields("discharge_date", required=("discharge_date",))),
        ("POST", "/api/patients/{patient_id}/send_to_rcm", "Send to Kipu RCM from the Facesheet (WF-2.4)", None),
        ("POST", "/api/patients/{patient_id}/manage_insurance", "Manage Insurance (PAT-02)", None),
        ("POST", "/api/patients/{patient_id}/manage_review", "Manage Review (PAT-02)", None),
        ("GET", "/api/settings/payors", "Payers (read-only: managed in the RCM, SYS-04)", None),
        ("GET", "/api/patients/{patient_id}/ur", "Utilization reviews mirrored from the RCM (patient_master_id required)", None),
        ("PATCH", "/api/patients/{patient_id}/ur/{review_id}", "Edit a U/R in the EMR only (overwritten by the next RCM save)", None),
        ("PATCH", "/api/patients/{patient_id}/insurances/{insurance_id}",
         "Edit an insurance in the EMR only (INS-15: overwritten by the next RCM save)", None),
        ("GET", "/api/insurances/latest", "Insurances updated between start_date and end_date (paged)", None),
        ("GET", "/api/utilization_reviews/latest", "Utilization reviews updated between start_date and end_date (paged)", None),
        ("GET", "/api/care_levels", "Levels of care with their days of the week (AUTH-11)", None),
        ("POST", "/api/care_levels", "Configure a level of care", openapi.fields("care_level_name", "days_of_the_week")),
        ("POST", "/api/integrations/rcm/insurances", "Webhook: the RCM's Insurance Set for a patient", None),
        ("POST", "/api/integrations/rcm/utilization_reviews", "Webhook: the RCM's utilization reviews for a patient", None),
        ("POST", "/api/settings/payors", "Refused with 403: payers are managed only in the RCM", None),
        ("POST", "/api/patients/{patient_id}/insurances", "Refused with 403: insurance is entered in the RCM (SYS-03)", None),
    ],
)


def create_app(context: SystemContext) -> Flask:
    app = new_app(context, title=OPENAPI["info"]["title"], description=OPENAPI["info"]["description"], apis=())
    app.register_blueprint(patients.patients)
    app.register_blueprint(patients.crm_inbound)
    app.register_blueprint(owned_elsewhere)
    app.register_blueprint(mirror.mirror)
    app.register_blueprint(billing.billing)
    return app


# What the RCM owns (SYS-03, SYS-04): the EMR shows it but refuses to write it.
owned_elsewhere = Blueprint("owned_elsewhere", __name__, url_prefix="/api")


@owned_elsewhere.get("/settings/payors")
def payors():
    return page([], "payors")


@owned_elsewhere.route("/settings/payors", methods=["POST"])
@owned_elsewhere.route("/settings/payors/<payor_id>", methods=["PATCH", "PUT", "DELETE"])
def payor_write(payor_id: str | None = None):
    raise ApiError(403, "payers are managed only in the RCM",
                   [Problem("payor", "cannot be created or edited in the EMR; manage payers in the RCM")])


@owned_elsewhere.route("/patients/<patient_id>/insurances", methods=["POST"])
@owned_elsewhere.route("/patients/<patient_id>/insurances/<insurance_id>", methods=["PUT", "DELETE"])
def insurance_write(patient_id: str, insurance_id: str | None = None):
    raise ApiError(403, "insurance is owned by the RCM",
                   [Problem("insurance", "is entered in the RCM: use Manage Insurance")])


@owned_elsewhere.route("/patients/<patient_id>/ur", methods=["POST"])
@owned_elsewhere.route("/patients/<patient_id>/ur/<review_id>", methods=["PUT", "DELETE"])
def review_write(patient_id: str, review_id: str | None = None):
    raise ApiError(403, "utilization review is owned by the RCM",
                   [Problem("utilization_review", "is entered in the RCM: use Manage Review")])
