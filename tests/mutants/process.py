"""Mutants of the process documents (PROC-01..PROC-08)."""

from __future__ import annotations

import dataclasses

from kipu_harness.events import Refused
from kipu_harness.mocks.emr import billing as emr_billing
from kipu_harness.mocks.rcm import billing as rcm_billing
from kipu_harness.mocks.rcm import insurance as rcm_insurance
from kipu_harness.plugins import integration, rcm_to_emr

from .kit import mutant, wrap


@mutant("a refused send names no cause", "PROC-01",
        breaks="a patient the EMR cannot send is refused with a general message and no field")
def refusal_without_cause():
    def emr_event(original, event, context):
        try:
            original(event, context)
        except Refused:
            raise Refused("the patient cannot be sent to the RCM") from None

    wrap(integration._emr_event, emr_event)


@mutant("secondary and tertiary insurance dropped", "WF-3.2", "PROC-02",
        breaks="only the primary insurance of the Insurance Set reaches the EMR")
def only_primary_sent():
    def event(original, event, context):
        def enqueue(**delivery):
            if delivery["path"].endswith("/insurances"):
                import json

                body = json.loads(delivery["body"])
                body["insurances"] = [i for i in body["insurances"] if i["insurance_type"] == "Primary"]
                delivery["body"] = json.dumps(body)
            context.enqueue(**delivery)

        original(event, dataclasses.replace(context, enqueue=enqueue))

    wrap(rcm_to_emr.harness_system_event, event)


@mutant("the Insurance Set has two ranks", "PROC-02", breaks="a tertiary insurance cannot be added")
def no_tertiary():
    def check(original, entries):
        original(entries)
        if any(e["priority"] == "tertiary" for e in entries):
            from kipu_harness.events import Problem
            from kipu_harness.mocks.common.base import ApiError

            raise ApiError(409, "invalid insurance set", [Problem("priority", "tertiary insurance is not supported")])

    wrap(rcm_insurance.check_priorities, check)


@mutant("ancillary charges are authorized by the U/R", "PROC-03",
        breaks="the RCM looks for every charge's authorization among the U/R plans, never the standalone ones")
def ancillary_by_review():
    def authorization(original, episode, service, *rest, **named):
        plans = episode["scheduling_and_utilization"]
        changed = {**episode, "scheduling_and_utilization": {**plans,
                                                             "standalone_authorizations": plans["utilization_reviews"]}}
        return original(changed, service, *rest, **named)

    wrap(rcm_billing._authorization, authorization)


@mutant("every template bills institutional", "PROC-04",
        breaks="an ancillary service documented in an evaluation is billed as a level of care would be")
def ancillary_institutional():
    def item(original, tx, patient, template, *rest, **named):
        return original(tx, patient, {**template, "claim_format": "Institutional"}, *rest, **named)

    wrap(emr_billing._item, item)


@mutant("the report's edits are not saved", "PROC-05",
        breaks="the Billing Audit Tool Report shows the edit but keeps the item as documented")
def edits_not_saved():
    wrap(emr_billing.edit_item, lambda original, path, header, body: original(
        path=path, header=header, body=type(body).model_construct()))


@mutant("one refused charge fails its whole batch", "PROC-06",
        breaks="the EMR shows the batch's first error on every item of the batch, not on the charge concerned")
def error_on_every_item():
    def send(original, context, patient, items, *rest, **named):
        results = original(context, patient, items, *rest, **named)
        errors = [r for r in results.values() if r.get("status") == "error"]
        return {item_id: errors[0] for item_id in results} if errors else results

    wrap(emr_billing._send_batch, send)


@mutant("a patient without insurance cannot be billed", "PROC-07",
        breaks="the RCM refuses every charge of a patient with no insurance instead of billing the private-pay codes")
def no_private_pay():
    def accept(original, context, tx, patient, charge, *rest, **named):
        if charge.insurance in (None, "Private Pay"):
            raise rcm_billing.ChargeRefused(f"charge {charge.emr_item_id}: the patient has no insurance in the RCM",
                                            "add the insurance through Manage Insurance")
        return original(context, tx, patient, charge, *rest, **named)

    wrap(rcm_billing.accept_charge, accept)


@mutant("warnings block transmission", "PROC-08",
        breaks="the report treats every warning as an error: a charge short of its duration is not sent")
def warnings_block():
    def review(original, tx, item):
        reviewed = original(tx, item)
        return {**reviewed, "errors": reviewed["errors"] + reviewed["warnings"], "warnings": []}

    wrap(emr_billing.review, review)
