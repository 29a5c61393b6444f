"""Deliberately broken integrations: each one breaks one documented rule.

test_mutants.py runs the whole conformance suite with each of them in place of the reference
integration and checks that the scenarios of the broken rule fail. A mutant the suite does not
catch is a hole in the suite.
"""

from __future__ import annotations

from kipu_harness import hookimpl
from kipu_harness.plugins import hl7v2, integration


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
