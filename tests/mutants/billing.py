"""Mutants of the Billing Audit Tool table, EMR to RCM (BAT-01..BAT-16): the RCM's charge batch,
its matching chain (the charge-matching plugins) and the Work Center's claims."""

from __future__ import annotations

import copy

from kipu_harness.events import MatchStep
from kipu_harness.mocks.emr import billing as emr_billing
from kipu_harness.mocks.rcm import billing as rcm_billing
from kipu_harness.mocks.rcm import patients as rcm_patients
from kipu_harness.mocks.rcm import work_center
from kipu_harness.plugins import charge_matching

from .kit import mutant, patch, wrap


def _kept(change):
    """A mutant of what the RCM keeps of a charge: ``change(tx, entry, charge, context)`` edits the entry."""
    def accept(original, context, tx, patient, charge, *rest, **named):
        entry = original(context, tx, patient, charge, *rest, **named)
        change(tx, entry, charge, context)
        tx.put("attendance", entry)
        return entry

    wrap(rcm_billing.accept_charge, accept)


@mutant("the RCM imports the whole report row", "BAT-01",
        breaks="the charge keeps the Billing Audit Tool columns that only serve matching")
def imports_everything():
    _kept(lambda tx, entry, charge, context: entry.update(
        admit_date=charge.admit_date, location=charge.location, insurance=charge.insurance, program=charge.program,
        place_of_service=charge.place_of_service))


@mutant("any U/R covering the date authorizes", "BAT-02",
        breaks="the RCM does not look at the U/R's status: a Denied U/R still authorizes the charge")
def review_status_ignored():
    patch(rcm_billing, "AUTHORIZING", ("Authorized", "Authorized - Not Required", "Not Required", "Denied", "Pending",
                                       "Required - Not Obtained"))


@mutant("a charge for an episode without insurance is billed as private pay", "BAT-02",
        breaks="the RCM does not refuse a charge whose treatment episode has no insurance: it bills the patient")
def no_insurance_is_private():
    def accept(original, context, tx, patient, charge, *rest, **named):
        try:
            episode = rcm_billing._episode(patient, charge, "") if patient and patient["treatment_episodes"] else None
        except rcm_billing.ChargeRefused:
            episode = None
        if episode is not None and not episode["intake"]["insurance"]["insurance_set"]["insurances"]:
            charge = charge.model_copy(update={"insurance": "Private Pay"})
        return original(context, tx, patient, charge, *rest, **named)

    wrap(rcm_billing.accept_charge, accept)


@mutant("the Attendance Calendar uses the day of transmission", "BAT-03",
        breaks="the charge lands on the day it was transmitted, not its Date of Service")
def calendar_on_transmission_day():
    _kept(lambda tx, entry, charge, context: entry.update(date_of_service=context.clock.today().isoformat()))


@mutant("a charge goes to the latest treatment episode", "BAT-04",
        breaks="the Admit Date is not used: every charge is filed under the patient's newest episode")
def latest_episode():
    wrap(rcm_billing._episode, lambda original, patient, *rest, **named: patient["treatment_episodes"][-1])


@mutant("the service name is tried before the level of care's ID", "BAT-05",
        breaks="a level-of-care charge whose description names another RCM service goes to that service")
def name_before_loc_id():
    def by_id(original, self, charge, services, pay_type):
        named = [s for s in services if s["name"] == charge.service_description]
        return MatchStep("service name", named[0]) if named else original(self, charge, services, pay_type)

    wrap(type(charge_matching.by_level_of_care_id).harness_match_charge, by_id)


@mutant("charge matching without the exact service name link", "BAT-06",
        breaks="the exact-name link is missing from the matching chain",
        options=("--kipu-block", "kipu_harness.plugins.charge_matching:by_service_name"))
def no_name_link():
    pass  # the option blocks the built-in link by its plugin name


@mutant("no codes link: no name match is refused", "BAT-07",
        breaks="without an exact name match the charge is refused; revenue, procedure, modifier and claim "
               "format are never compared")
def no_codes_link():
    wrap(type(charge_matching.by_codes).harness_match_charge,
         lambda original, self, charge, services, pay_type: MatchStep("codes", None, "not tried"))


@mutant("private pay codes are searched first", "BAT-08",
        breaks="the insurance and private-pay code lists are searched in the wrong order")
def private_first():
    wrap(rcm_billing.match, lambda original, context, tx, codes, pay_types, *rest, **named: original(
        context, tx, codes, tuple(reversed(pay_types)), *rest, **named))


@mutant("a modifier that matches no service fails the match", "BAT-09",
        breaks="the codes link compares the report's modifier and never ignores it")
def modifier_must_match():
    def codes(original, self, charge, services, pay_type):
        found = [s for s in services if (s["revenue_code"], s["procedure_code"], s["modifier"], s["claim_format"])
                 == (charge.revenue_code, charge.procedure_code, charge.modifier, charge.claim_format.lower())]
        return MatchStep("codes", found[0] if found else None, "" if found else "no service has this modifier")

    wrap(type(charge_matching.by_codes).harness_match_charge, codes)


@mutant("the report's modifier is billed on the claim", "BAT-09",
        breaks="the RCM keeps the charge's modifier and puts it on the claim line")
def report_modifier_billed():
    _kept(lambda tx, entry, charge, context: entry.update(report_modifier=charge.match.modifier if charge.match else ""))

    def lines(original, tx, rows, *rest, **named):
        made = original(tx, rows, *rest, **named)
        modifiers = {r["service_id"]: r.get("report_modifier") for r in rows}
        services = {tx.get("rcm_service", r["service_id"])["name"]: r["service_id"] for r in rows}
        for line in made:
            extra = modifiers.get(services.get(line["service"]))
            if extra and extra not in line["modifiers"]:
                line["modifiers"] = [extra, *line["modifiers"]][:4]
        return made

    wrap(work_center._lines, lines)


@mutant("charges of one service on one day are merged", "BAT-10",
        breaks="N charges for the same service on one date keep one treatment of 1 unit")
def merges_same_day():
    def accept(original, context, tx, patient, charge, *rest, **named):
        entry = original(context, tx, patient, charge, *rest, **named)
        twins = [e for e in tx.find("attendance", patient_id=entry["patient_id"], service_id=entry["service_id"],
                                    date_of_service=entry["date_of_service"]) if e["id"] != entry["id"]]
        if twins:
            tx.delete("attendance", entry["id"])
            return twins[0]
        return entry

    wrap(rcm_billing.accept_charge, accept)


@mutant("the report's claim format decides the claim", "BAT-11",
        breaks="the RCM bills the claim format the report row says, not its service's")
def report_claim_format():
    _kept(lambda tx, entry, charge, context: entry.update(
        report_claim_format=(charge.match.claim_format if charge.match else "") or None))

    def draft(original, tx, context, key, rows, *rest, **named):
        chosen = rows[0].get("report_claim_format") or key[2]
        return original(tx, context, (key[0], key[1], chosen, *key[3:]), rows, *rest, **named)

    wrap(work_center._draft, draft)


@mutant("a blank rendering provider gets the facility's NPI", "BAT-12",
        breaks="a charge with no rendering provider is sent with the billing facility's NPI, not the Konnector's "
               "provider")
def blank_provider_is_facility():
    def provider(original, tx, charge, authorization, item, *rest, **named):
        if not charge.rendering_provider:
            return tx.get("billing_setting", 1)["facility"]["npi"]
        return original(tx, charge, authorization, item, *rest, **named)

    wrap(rcm_billing._rendering_provider, provider)


@mutant("any rendering provider is taken", "BAT-13",
        breaks="a provider named on the report is taken without checking the authorization")
def any_provider():
    def provider(original, tx, charge, authorization, item, *rest, **named):
        return charge.rendering_provider or original(tx, charge, authorization, item, *rest, **named)

    wrap(rcm_billing._rendering_provider, provider)


@mutant("a level-of-care charge takes any rendering provider", "BAT-13",
        breaks="the authorization is checked for ancillary charges only; a per-diem charge keeps any provider")
def loc_any_provider():
    def provider(original, tx, charge, authorization, item, *rest, **named):
        if charge.rendering_provider and charge.match and charge.match.level_of_care_uid:
            return charge.rendering_provider
        return original(tx, charge, authorization, item, *rest, **named)

    wrap(rcm_billing._rendering_provider, provider)


@mutant("claims bill the diagnoses of the admission", "BAT-14",
        breaks="the RCM bills the diagnoses it got with the admission, not those of the last patient send")
def admission_diagnoses():
    def apply_adt(original, tx, message, context):
        patient = original(tx, message, context)
        for episode in patient["treatment_episodes"]:
            episode.setdefault("billed_diagnoses", copy.deepcopy(episode["intake"]["behavioral_diagnoses"]))
        tx.put("patient", patient)
        return patient

    def build(original, tx, number, patient, episode, claim_format, lines, rows, *rest, **named):
        billed = copy.deepcopy(episode)
        billed["intake"]["behavioral_diagnoses"] = episode.get("billed_diagnoses") or billed["intake"]["behavioral_diagnoses"]
        return original(tx, number, patient, billed, claim_format, lines, rows, *rest, **named)

    wrap(rcm_patients.apply_adt, apply_adt)
    wrap(work_center.build_claim, build)


@mutant("Place of Service is ignored", "BAT-15", breaks="every charge uses its service's first profile")
def place_ignored():
    _kept(lambda tx, entry, charge, context: entry.update(
        service_profile=tx.get("rcm_service", entry["service_id"])["profiles"][0]))


@mutant("a charge short of its duration is held back", "BAT-16",
        breaks="the EMR does not transmit a charge whose required duration was not met")
def short_duration_held():
    def send(original, context, patient, items, *rest, **named):
        sent = [i for i in items if i["duration"]["met"]]
        held = {i["id"]: {"status": "not sent", "errors": ["required duration not met"]}
                for i in items if not i["duration"]["met"]}
        return {**(original(context, patient, sent, *rest, **named) if sent else {}), **held}

    wrap(emr_billing._send_batch, send)
