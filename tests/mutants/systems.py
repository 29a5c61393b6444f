"""Mutants of the systems-and-ownership rules (SYS-01..SYS-05)."""

from __future__ import annotations

import dataclasses
import json

from flask import Response, abort, request

from kipu_harness.mocks.common.base import ctx
from kipu_harness.mocks.crm import prospects as crm_prospects
from kipu_harness.mocks.emr import mirror as emr_mirror
from kipu_harness.mocks.rcm import patients as rcm_patients
from kipu_harness.plugins import integration

from .kit import mutant, wrap


@mutant("the RCM patient made for a prospect is not linked to it", "SYS-01",
        breaks="the RCM creates the Prospective Patient but keeps no link to the CRM prospect, so the "
               "admitted patient is keyed in again as another record")
def unlinked_prospect():
    def new_patient(original, now, **ids):
        if "emr_patient_id" not in ids:
            ids.pop("crm_prospect_id", None)
        return original(now, **ids)

    wrap(rcm_patients._new_patient, new_patient)


@mutant("the RCM keeps the address it was admitted with", "SYS-02",
        breaks="after the admission the RCM authors the address itself: an address changed in the EMR and "
               "sent again never replaces it")
def rcm_keeps_address():
    def update_episode(original, patient, p, settings):
        episodes = patient["treatment_episodes"]
        before = dict(episodes[-1]["intake"]["patient_profile"]) if episodes else {}
        count = len(episodes)
        original(patient, p, settings)
        if before.get("address") and len(episodes) == count:
            profile = episodes[-1]["intake"]["patient_profile"]
            profile.update({k: before.get(k) for k in ("address", "city", "state", "zip_code")})

    wrap(rcm_patients.update_episode, update_episode)


@mutant("the EMR refuses an insurance write but stores it", "SYS-03",
        breaks="a direct insurance write to the EMR answers 403 but the insurance is already stored: the "
               "EMR originates insurance")
def refusal_still_stores():
    def refuse(original):
        patient_id = request.view_args["patient_id"]
        ctx().write(lambda tx: tx.insert("insurance", {
            "patient_id": patient_id, "rcm_insurance_id": None, "insurance_company": "written in the EMR",
            "policy_no": "X1", "insurance_type": "Primary", "edited_in_emr": [], "updated_at": "2026-01-01"}))
        original()

    wrap(emr_mirror._insurance, refuse)


@mutant("the EMR refuses a U/R write but stores it", "SYS-03",
        breaks="a direct utilization review write to the EMR answers 403 but the U/R is already stored")
def review_refusal_still_stores():
    def refuse(original):
        patient_id = request.view_args["patient_id"]
        ctx().write(lambda tx: tx.insert("utilization_review", {
            "patient_id": patient_id, "rcm_review_id": None, "authorization_number": "X1", "status": "Approved",
            "edited_in_emr": [], "updated_at": "2026-01-01"}))
        original()

    wrap(emr_mirror._review, refuse)


@mutant("the CRM creates payers", "SYS-04",
        breaks="the CRM keeps a payer list of its own: creating a payer there succeeds")
def crm_creates_payers():
    def created():
        name = (request.get_json(silent=True) or {}).get("name", "")
        abort(Response(json.dumps({"payer": {"id": 1, "name": name}}), 201, mimetype="application/json"))

    wrap(crm_prospects._owned_by_rcm, lambda _original: created())


@mutant("the EMR renames and deletes payers", "SYS-04",
        breaks="the EMR refuses to create a payer but edits or deletes one when asked")
def emr_edits_payers():
    from kipu_harness.mocks.emr import app as emr_app

    def payors(original):
        if request.method == "POST":
            original()
        body = json.dumps({"payor": {"id": request.view_args.get("payor_id"), **(request.get_json(silent=True) or {})}})
        abort(Response(body, 200, mimetype="application/json"))

    wrap(emr_app._payors, payors)


@mutant("the prospect link is lost on admission", "SYS-05", "WF-2.5",
        breaks="the EMR does not tell the RCM which CRM prospect the patient came from, so the admission "
               "makes a second RCM patient beside the Prospective Patient")
def forgets_the_prospect():
    def adt_patient(original, patient, settings, *rest, **named):
        adt, left_out = original(patient, settings, *rest, **named)
        return dataclasses.replace(adt, crm_prospect_id=None), left_out

    wrap(integration.adt_patient, adt_patient)


@mutant("each send of a known patient makes a new RCM patient", "SYS-05",
        breaks="the RCM matches an incoming patient only on its first send: Send to Kipu RCM again makes "
               "a second RCM patient")
def duplicates_on_resend():
    def find(original, tx, p):
        found = original(tx, p)
        return found if found is not None and found["status"] != rcm_patients.ADMITTED else None

    wrap(rcm_patients._find, find)
