"""Mutants of the five workflow steps (WF-1.1..WF-5.4)."""

from __future__ import annotations

import base64
import json

from kipu_harness.events import SystemEvent
from kipu_harness.mocks.common import windows
from kipu_harness.mocks.common.base import ctx, load
from kipu_harness.mocks.crm import prospects as crm_prospects
from kipu_harness.mocks.emr import billing as emr_billing
from kipu_harness.mocks.emr import mirror as emr_mirror
from kipu_harness.mocks.emr import patients as emr_patients
from kipu_harness.mocks.rcm import billing as rcm_billing
from kipu_harness.mocks.rcm import insurance as rcm_insurance
from kipu_harness.mocks.rcm import patients as rcm_patients
from kipu_harness.mocks.rcm import work_center
from kipu_harness.plugins import integration
from kipu_harness.wire.hl7v2 import HL7Error
from kipu_harness.wire.x12 import eligibility as x12_eligibility

from .kit import mutant, patch, wrap

# -- Step 1: prospects --------------------------------------------------------------------------------


@mutant("the CRM drops the middle name", "WF-1.1", breaks="a prospect is saved without its middle name")
def crm_drops_middle_name():
    wrap(crm_prospects.create_prospect,
         lambda original, body: original(body=body.model_copy(update={"middle_name": None})))


@mutant("the RCM patient is made at the push, not when the prospect is saved", "WF-1.2",
        breaks="the Prospective Patient appears in the RCM only once the opportunity is pushed")
def rcm_patient_at_push():
    def crm_event(original, event, context):
        if event.name == "prospect.created":
            return
        if event.name == "opportunity.pushed":
            original(SystemEvent("crm", "prospect.created", event.record["prospect"]), context)
        original(event, context)

    wrap(integration._crm_event, crm_event)


@mutant("the CRM keeps the payer but not the policy number", "WF-1.3",
        breaks="insurance attached to a prospect loses its policy number")
def crm_drops_policy_number():
    wrap(crm_prospects.add_insurance,
         lambda original, path, body: original(path=path, body=body.model_copy(update={"policy_number": ""})))


@mutant("the push delivers only prospects with insurance", "WF-1.4",
        breaks="pushing a Treatment Opportunity of a prospect without insurance details delivers nothing "
               "to the EMR")
def push_needs_insurance():
    def crm_event(original, event, context):
        if event.name == "opportunity.pushed" and not event.record["prospect"].get("insurance"):
            return
        original(event, context)

    wrap(integration._crm_event, crm_event)


@mutant("a patient created in the EMR is not sent to the RCM", "WF-1.5",
        breaks="only CRM prospects become Prospective Patients; a pre-admitted patient entered in the EMR "
               "does not reach the RCM")
def emr_preadmit_not_sent():
    def emr_event(original, event, context):
        if event.name != "patient.created":
            original(event, context)

    wrap(integration._emr_event, emr_event)


# -- Step 2: admission ----------------------------------------------------------------------------------


@mutant("a pushed record arrives already accepted", "WF-2.1",
        breaks="the EMR skips the pending state: a record pushed from the CRM can be admitted unaccepted")
def arrives_accepted():
    def new_patient(original, values, **extra):
        if extra.get("pre_admission_status") == "pending":
            extra["pre_admission_status"] = "accepted"
        return original(values, **extra)

    wrap(emr_patients.new_patient, new_patient)


@mutant("admission without the required fields", "WF-2.2",
        breaks="the EMR sends the patient to the RCM whatever it still lacks, and says nothing")
def skips_admission_check():
    def send(original, context, patient, trigger, *, connect=False):
        try:
            original(context, patient, trigger, connect=connect)
        except HL7Error:
            pass  # not even buildable: sent nothing, said nothing

    wrap(integration.admission_problems, lambda original, patient, settings: [])
    wrap(integration._send, send)


@mutant("generating the MR Number does not send the patient", "WF-2.3",
        breaks="only Send to Kipu RCM (and the windows) send; the MR Number is generated and nothing goes")
def mr_number_does_not_send():
    patch(integration, "CONNECTS", integration.CONNECTS - {"mr_number.generated"})


@mutant("Send to Kipu RCM only makes the initial connection", "WF-2.4",
        breaks="after the initial connection, Send to Kipu RCM sends nothing")
def send_button_connects_only():
    patch(integration, "RESENDS", integration.RESENDS - {"send_to_rcm.clicked"})


@mutant("a Prospective Patient stays prospective on admission", "WF-2.5",
        breaks="the RCM updates a patient it already had but leaves its status Prospective Patient")
def stays_prospective():
    def apply_adt(original, tx, message, context):
        known = rcm_patients._find(tx, message.patient)
        was = known["status"] if known else None
        patient = original(tx, message, context)
        if was == rcm_patients.PROSPECTIVE:
            patient["status"] = was
            tx.put("patient", patient)
        return patient

    wrap(rcm_patients.apply_adt, apply_adt)


@mutant("a re-send after discharge opens a new episode", "WF-2.5",
        breaks="the RCM opens a treatment episode for every send that follows a discharge, even with the same "
               "admission (AMB-08)")
def episode_per_resend():
    def update(original, patient, p, settings, *rest, **named):
        episodes = patient["treatment_episodes"]
        if episodes and episodes[-1]["intake"]["admit_discharge"].get("discharge_date"):
            opened = rcm_patients.new_episode(len(episodes) + 1)
            opened["intake"]["admit_discharge"] = dict.fromkeys(episodes[-1]["intake"]["admit_discharge"])
            episodes.append(opened)
        original(patient, p, settings, *rest, **named)

    wrap(rcm_patients.update_episode, update)


@mutant("a patient from the CRM is not sent when its MR Number is generated", "WF-2.6",
        breaks="admission works for patients created in the EMR, not for those who began as CRM prospects")
def crm_patient_not_admitted():
    def emr_event(original, event, context):
        if event.name == "mr_number.generated" and event.record.get("crm_prospect_id"):
            return
        original(event, context)

    wrap(integration._emr_event, emr_event)


# -- Step 3: insurance and eligibility -----------------------------------------------------------------------


@mutant("a window link opens any patient", "WF-3.1",
        breaks="the RCM checks a Manage Insurance link's signature but not the patient it was issued for")
def window_any_patient():
    def verify(original, secret, token, *, emr_patient_id, scope, now):
        body = (token or "").partition(".")[0]
        try:
            emr_patient_id = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["p"]
        except (ValueError, KeyError):
            pass
        return original(secret, token, emr_patient_id=emr_patient_id, scope=scope, now=now)

    wrap(windows.verify, verify)


@mutant("a tertiary insurance is taken without a secondary one", "WF-3.2",
        breaks="the Insurance Set's ranks are not checked in order: primary and tertiary, no secondary")
def ranks_unchecked():
    def check(original, entries):
        held = [e["priority"] for e in entries]
        if len(held) != len(set(held)):
            original(entries)

    wrap(rcm_insurance.check_priorities, check)


@mutant("verification keeps no verifier", "WF-3.3",
        breaks="confirming an insurance in the RCM records when, not who")
def verification_anonymous():
    wrap(rcm_insurance.verify,
         lambda original, path, body: original(path=path, body=body.model_copy(update={"verified_by": ""})))


@mutant("any 271 is read as active coverage", "WF-3.4",
        breaks="the RCM stores every eligibility answer as active, whatever the payer said")
def eligibility_always_active():
    import dataclasses

    wrap(x12_eligibility.parse_271,
         lambda original, text: dataclasses.replace(original(text), status="active", reject_reason=""))


# -- Step 4: utilization review ------------------------------------------------------------------------------


@mutant("Manage Review opens the insurance window", "WF-4.1",
        breaks="both Facesheet buttons hand out a Manage Insurance link, so U/R cannot be entered through it")
def review_window_is_insurance():
    wrap(windows.issue, lambda original, secret, emr_patient_id, scope, now, ttl_minutes:
         original(secret, emr_patient_id, "insurance", now, ttl_minutes))


@mutant("the EMR takes a U/R once and ignores its later saves", "WF-4.2",
        breaks="the EMR adds each new U/R from the RCM, but a U/R finalized later in the RCM stays as first sent")
def review_first_save_only():
    def replace(original, tx, kind, patient_id, key, incoming):
        if kind == "utilization_review":
            known = {r[key]: r for r in tx.find(kind, patient_id=patient_id)}
            incoming = [{**values, **{k: v for k, v in known[values[key]].items() if k in values}}
                        if values[key] in known else values for values in incoming]
        return original(tx, kind, patient_id, key, incoming)

    wrap(emr_mirror._replace, replace)


# -- Step 5: charges, billing, claims --------------------------------------------------------------------------


@mutant("an evaluation yields no charge", "WF-5.1",
        breaks="only group sessions make billing items; a documented evaluation bills nothing")
def evaluation_not_billed():
    def item(original, tx, patient, template, day, minutes, source, *rest, **named):
        if source == "evaluation":
            return {"id": 0, "patient_id": patient["id"], "template_id": template["id"], "status": "not billed"}
        return original(tx, patient, template, day, minutes, source, *rest, **named)

    wrap(emr_billing._item, item)


@mutant("transmit sends every open item of the patient", "WF-5.2",
        breaks="the Billing Audit Tool transmits all of a patient's open charges, not only those selected")
def transmits_everything():
    def transmit(original, header, body):
        with ctx().store.read() as tx:
            patients = {load(tx, "billing_item", i)["patient_id"] for i in body.item_ids}
            ids = [i["id"] for i in tx.all("billing_item") if i["patient_id"] in patients and i["status"] == "open"]
        return original(header=header, body=body.model_copy(update={"item_ids": ids}))

    wrap(emr_billing.transmit, transmit)


@mutant("submitting one treatment submits the patient's every treatment", "WF-5.3",
        breaks="selecting treatments on the Attendance Calendar is ignored: all of the patient's are submitted")
def submits_everything():
    def submit(original, header, body):
        with ctx().store.read() as tx:
            patients = {load(tx, "attendance", i)["patient_id"] for i in body.entry_ids}
            ids = [e["id"] for e in tx.all("attendance") if e["patient_id"] in patients and e["status"] == "transmitted"]
        return original(header=header, body=body.model_copy(update={"entry_ids": ids}))

    wrap(rcm_billing.submit, submit)


@mutant("the EMR submits claims too", "WF-5.4",
        breaks="the EMR offers its own claim submission: a claim made there is accepted")
def emr_submits_claims():
    from flask import Response, abort, request

    def claim(original):
        body = json.dumps({"claim": {"id": 1, "patient_id": request.view_args["patient_id"], "status": "submitted"}})
        abort(Response(body, 201, mimetype="application/json"))

    wrap(emr_mirror._claim, claim)


@mutant("professional claims are never sent", "WF-5.4",
        breaks="the Work Center sends institutional claims to the clearinghouse and leaves 837P claims drafts")
def professional_claims_unsent():
    def send(original, context, drafts, *rest, **named):
        sent = {r["id"]: r for r in original(context, [d for d in drafts if d["record"]["format"] != "837P"],
                                             *rest, **named)}
        return [sent.get(d["record"]["id"], d["record"]) for d in drafts]

    wrap(work_center._send_all, send)
