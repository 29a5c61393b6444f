"""The mock RCM's app factory and its OpenAPI document."""

from __future__ import annotations

from flask import Flask

from ..common import openapi
from ..common.api import new_app
from ..common.base import SystemContext
from . import billing, eligibility, insurance, patients, review, windows, work_center

OPENAPI = openapi.document(
    "Mock Kipu RCM",
    "Patients, profiles and treatment episodes of the revenue-cycle system. Patient data arrives "
    "as HL7 v2.5.1 ADT over MLLP or POST /rcm/hl7, prospects as a JSON webhook from the CRM.",
    [
        ("POST", "/rcm/prospects", "Webhook: a CRM prospect becomes a Prospective Patient (WF-1.2)",
         openapi.fields("crm_prospect_id", "first_name", "last_name", required=("crm_prospect_id",))),
        ("POST", "/rcm/hl7", "Receive one HL7 v2 ADT message (text/plain ER7); answers with an ACK", None),
        ("GET", "/rcm/patients", "List patients; filter by emr_patient_id or crm_prospect_id", None),
        ("GET", "/rcm/patients/{patient_id}", "A patient with profile and treatment episodes", None),
        ("PATCH", "/rcm/patients/{patient_id}/profile", "Edit the profile in the RCM (overwritten by the next EMR send)",
         openapi.fields(*patients.PROFILE_FIELDS)),
        ("GET", "/rcm/payers", "The payer list (SYS-04: payers are managed only here)", None),
        ("POST", "/rcm/payers", "Add a payer", openapi.fields("name", "payer_id", "phone", required=("name", "payer_id"))),
        ("PATCH", "/rcm/payers/{payer_id}", "Edit a payer", openapi.fields("name", "payer_id", "phone")),
        ("POST", "/rcm/patients/{patient_id}/episodes/{episode_id}/insurances",
         "Add an insurance to the episode's Insurance Set (sent to the EMR, INS-02)",
         openapi.fields("priority", "payer", "effective_date", "policy_holder", required=("priority", "payer", "effective_date"))),
        ("PATCH", "/rcm/patients/{patient_id}/episodes/{episode_id}/insurances/{insurance_id}", "Edit an insurance", None),
        ("POST", "/rcm/patients/{patient_id}/episodes/{episode_id}/insurances/{insurance_id}/verify",
         "Verify payer and policy holder details (WF-3.3)", openapi.fields("verified_by", required=("verified_by",))),
        ("POST", "/rcm/patients/{patient_id}/episodes/{episode_id}/insurances/{insurance_id}/eligibility",
         "Check eligibility: X12 270 to the payer, 271 back (WF-3.4)", None),
        ("POST", "/rcm/patients/{patient_id}/episodes/{episode_id}/insurances/{insurance_id}/eligibility/review",
         "Review and complete the eligibility result (WF-3.4)", openapi.fields("reviewed_by", "note", required=("reviewed_by",))),
        ("POST", "/rcm/patients/{patient_id}/episodes/{episode_id}/utilization_reviews", "Add a U/R (sent to the EMR)",
         openapi.fields("service", "start_date", "end_date", "units", "authorization_status", "authorization_number",
                        "um_follow_up_date", "payer", "rendering_provider")),
        ("PATCH", "/rcm/patients/{patient_id}/episodes/{episode_id}/utilization_reviews/{review_id}", "Edit a U/R", None),
        ("POST", "/rcm/patients/{patient_id}/episodes/{episode_id}/standalone_authorizations",
         "Add a standalone authorization for ancillary services (AUTH-13)", None),
        ("GET", "/rcm/window/{emr_patient_id}/insurance", "Manage Insurance window (token from the EMR)", None),
        ("POST", "/rcm/window/{emr_patient_id}/insurance/insurances", "Add an insurance through the window", None),
        ("POST", "/rcm/window/{emr_patient_id}/insurance/insurances/{insurance_id}/eligibility",
         "Check eligibility through the window", None),
        ("GET", "/rcm/window/{emr_patient_id}/review", "Manage Review window (token from the EMR)", None),
        ("POST", "/rcm/window/{emr_patient_id}/review/utilization_reviews", "Add a U/R through the window", None),
    ],
)


def create_app(context: SystemContext) -> Flask:
    app = new_app(context, title=OPENAPI["info"]["title"], description=OPENAPI["info"]["description"], apis=())
    app.register_blueprint(patients.rcm)
    for blueprint in (insurance.payers, insurance.insurances, eligibility.eligibility,
                      review.reviews, windows.window, billing.billing, work_center.work_center):
        app.register_blueprint(blueprint)
    return app
