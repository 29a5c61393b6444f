"""Deliberately broken integrations: each one breaks one documented rule.

test_mutants.py runs the whole conformance suite with each of them in place of the reference
integration and checks that the scenarios of the broken rule fail. A mutant the suite does not
catch is a hole in the suite.
"""

from __future__ import annotations

from kipu_harness import hookimpl
from kipu_harness.plugins import integration
from kipu_harness.wire import hl7v2


class NoResendOnNewDiagnosis:
    """Breaks PAT-03/PAT-15: a diagnosis added after the initial connection is not sent."""

    @hookimpl
    def harness_system_event(self, event, context):
        if event.name != "diagnosis.added":
            integration.harness_system_event(event=event, context=context)


class SkipsAdmissionCheck:
    """Breaks WF-2.2: the patient is sent to the RCM whatever it still lacks."""

    @hookimpl
    def harness_system_event(self, event, context):
        if event.system == "emr" and event.name in integration.CONNECTS and not event.record["rcm"]["connected"]:
            try:
                integration._send(context, event.record, "A01", connect=True)
            except hl7v2.HL7Error:
                pass  # not even buildable: sent nothing, said nothing
            return
        integration.harness_system_event(event=event, context=context)


class ForgetsTheProspect:
    """Breaks SYS-05: the EMR does not tell the RCM which CRM prospect the patient came from."""

    @hookimpl
    def harness_system_event(self, event, context):
        if event.system == "emr":
            event.record["crm_prospect_id"] = None
        integration.harness_system_event(event=event, context=context)


def _rewriting(transform):
    """A mutant of the RCM-to-EMR integration that alters each message body before it is queued."""
    import dataclasses
    import json

    from kipu_harness.plugins import rcm_to_emr

    class Mutant:
        @hookimpl
        def harness_system_event(self, event, context):
            def enqueue(**delivery):
                delivery["body"] = json.dumps(transform(json.loads(delivery["body"])))
                context.enqueue(**delivery)

            rcm_to_emr.harness_system_event(event=event, context=dataclasses.replace(context, enqueue=enqueue))

    return Mutant()


def _unmapped_status(body):
    for review in body.get("utilization_reviews", []):
        review["status"] = review["authorization_status"]
    return body


def _primary_only(body):
    if "insurances" in body:
        body["insurances"] = [i for i in body["insurances"] if i["insurance_type"] == "Primary"]
    return body


# Breaks AUTH-07: the EMR gets the RCM's status as is, "Authorized" instead of "Approved".
StatusNotMapped = _rewriting(_unmapped_status)
# Breaks WF-3.2/PROC-02: only the primary insurance of the Insurance Set reaches the EMR.
OnlyPrimarySent = _rewriting(_primary_only)
