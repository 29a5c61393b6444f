"""Mutants of the settings rules (SET-01..SET-07): billing configuration in the EMR and the RCM."""

from __future__ import annotations

import dataclasses

from kipu_harness.mocks.emr import billing as emr_billing
from kipu_harness.mocks.rcm import billing as rcm_billing
from kipu_harness.mocks.rcm import work_center

from .kit import mutant, patch, wrap


@mutant("the 837I line bills the revenue code as its procedure", "SET-01",
        breaks="the RCM service's HCPCS is not used: an institutional line carries the revenue code twice")
def revenue_as_procedure():
    def lines(original, tx, rows, *rest, **named):
        made = original(tx, rows, *rest, **named)
        for line in made:
            if line["revenue_code"]:
                line["procedure_code"] = line["revenue_code"]
        return made

    wrap(work_center._lines, lines)


@mutant("claims name the billing facility as rendering provider", "SET-02",
        breaks="the Konnector's rendering provider is not carried: the claim's rendering provider is the facility")
def facility_renders():
    def build(original, *args):
        claim = original(*args)
        return dataclasses.replace(claim, rendering_provider=claim.billing_provider)

    wrap(work_center.build_claim, build)


@mutant("Bill by Building is ignored", "SET-03",
        breaks="the patient's Building does not route the charge to its rendering provider")
def building_ignored():
    wrap(rcm_billing._rendering_provider, lambda original, tx, charge, *rest, **named: original(
        tx, charge.model_copy(update={"location": ""}), *rest, **named))


@mutant("Bill by Program is ignored", "SET-04",
        breaks="the patient's Program does not route the charge to its rendering provider")
def program_ignored():
    wrap(rcm_billing._rendering_provider, lambda original, tx, charge, *rest, **named: original(
        tx, charge.model_copy(update={"program": ""}), *rest, **named))


@mutant("the Attendance Calendar needs no billing role", "SET-05",
        breaks="any user may submit treatments for billing in the RCM")
def submit_without_role():
    patch(rcm_billing, "require_role", lambda tx, role="billing": {"username": "anyone", "roles": [role]})


@mutant("per-diem templates bill as ancillary", "SET-06",
        breaks="the template's per-diem type is ignored: its items carry no level of care")
def per_diem_ignored():
    def item(original, tx, patient, template, *rest, **named):
        return original(tx, patient, {**template, "level_of_care": None, "level_of_care_uid": None}, *rest, **named)

    wrap(emr_billing._item, item)


@mutant("the EMR always sends the Konnector's default provider", "SET-07",
        breaks="a rendering provider chosen on the report is not sent: the RCM gets a blank one")
def provider_never_sent():
    def send(original, context, patient, items, *rest, **named):
        return original(context, patient, [{**i, "rendering_provider": ""} for i in items], *rest, **named)

    wrap(emr_billing._send_batch, send)
