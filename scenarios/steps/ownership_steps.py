"""Steps for the ownership rules (SYS-03, SYS-04): a system asked to do what another one owns
refuses, and nothing is stored or sent anywhere: checked through what each system shows, over
the settle window, not through the refusal's wording."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from .rcm_steps import rcm_patient
from .shared_steps import attempt


@given(parsers.parse('the RCM user adds a new payer "{name}" with payer ID "{pid}"'), target_fixture="new_payer")
@when(parsers.parse('the RCM user adds a new payer "{name}" with payer ID "{pid}"'), target_fixture="new_payer")
def add_new_payer(rcm, own, name, pid):
    # The scenario's own name (scenarios/own.py): the payer list is shared by every scenario and run.
    return rcm.add_payer(name=own.name(name), payer_id=pid)


@then(parsers.parse('the RCM\'s payer list has the new payer "{name}"'))
def payer_listed(rcm, eventually, new_payer, name):
    eventually(lambda: any(p["id"] == new_payer["id"] and p["name"] == new_payer["name"] for p in rcm.payers()),
               what=f"the RCM's payer list shows {new_payer['name']}")


@when(parsers.parse('the {system} is asked to {change} a payer, naming it "{name}"'), target_fixture="other_name")
def change_payer(crm, emr, refusals, own, new_payer, system, change, name):
    other = own.name(name)
    calls = {
        ("CRM", "create"): lambda: crm.create_payer(other),
        ("CRM", "rename"): lambda: crm.edit_payer(new_payer["id"], name=other),
        ("CRM", "delete"): lambda: crm.delete_payer(new_payer["id"]),
        ("EMR", "create"): lambda: emr.create_payor(other),
        ("EMR", "rename"): lambda: emr.edit_payor(new_payer["id"], name=other),
        ("EMR", "delete"): lambda: emr.delete_payor(new_payer["id"]),
    }
    attempt(refusals, system, calls[(system, change)])
    return other


@then(parsers.parse('the RCM\'s payer list has the new payer "{name}" and no payer "{other}"'))
def payer_list_unchanged(rcm, stays, new_payer, other_name, name, other):
    def probe():
        payers = rcm.payers()
        kept = [p for p in payers if p["id"] == new_payer["id"]]
        assert kept and kept[0]["name"] == new_payer["name"], f"the RCM's payer {new_payer['name']} became {kept}"
        assert not any(p["name"] == other_name for p in payers), f"a payer {other_name} reached the RCM"

    stays(probe, what="the RCM's payer list is unchanged")


# -- SYS-03: what the RCM owns ----------------------------------------------------------------------

WRITES = {
    "insurance": lambda emr, patient: emr.write_insurance(patient, policy_no="X1", insurance_company="Aetna",
                                                          insurance_type="Primary"),
    "utilization review": lambda emr, patient: emr.write_utilization_review(
        patient, start_date="2026-03-02", end_date="2026-03-09", status="Approved", authorization_number="AUTH-X1"),
    "eligibility result": lambda emr, patient: emr.write_eligibility(patient, status="active"),
    "claim": lambda emr, patient: emr.create_claim(patient, format="837I"),
}


@when(parsers.parse("the EMR is asked to write the patient's {what} directly"))
def write_rcm_owned(emr, refusals, emr_patient, what):
    attempt(refusals, "EMR", lambda: WRITES[what](emr, emr_patient))


def _held(emr, rcm, eventually, patient, what):
    """What each system shows of ``what`` for the patient: (EMR, RCM)."""
    episode = rcm_patient(rcm, patient, eventually).episodes[-1]
    if what == "insurance":
        return emr.insurances(patient), list(episode.insurances)
    if what == "utilization review":
        return emr.utilization_reviews(patient), list(episode.utilization_reviews)
    if what == "eligibility result":
        return ([i for i in emr.insurances(patient)],
                [i for i in episode.insurances if i.get("eligibility")])
    rcm_id = rcm_patient(rcm, patient, eventually).id
    return [], [c for c in rcm.claims(rcm_id) if c.get("patient_id") == rcm_id]


@then(parsers.parse("neither the EMR nor the RCM holds any {what} for the patient"))
def nothing_held(emr, rcm, eventually, stays, emr_patient, what):
    def probe():
        in_emr, in_rcm = _held(emr, rcm, eventually, emr_patient, what)
        assert in_emr == [] and in_rcm == [], f"{what}: the EMR shows {in_emr}, the RCM holds {in_rcm}"

    stays(probe, what=f"no {what} anywhere")


@then("the RCM's Insurance Set is empty for both patients")
def both_sets_empty(rcm, eventually, stays, emr_patient, other_patient):
    def probe():
        held = {p.id: rcm_patient(rcm, p, eventually).episodes[-1].insurances for p in (emr_patient, other_patient)}
        assert all(found == () for found in held.values()), f"a refused window still stored insurance: {held}"

    stays(probe, what="no insurance stored through a refused link")
