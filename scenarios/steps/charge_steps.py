"""Steps for Step 5 and the Billing Audit Tool table, on the EMR's side: the billable templates,
a patient made ready for billing, documenting group sessions and evaluations, and editing and
transmitting the items of the Billing Audit Tool Report."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from ..vocabulary import TYPES
from .insurance_steps import _ids, entry, insurance_body, own_payer
from .rcm_steps import rcm_patient

BILLER = "biller"


def template(emr, own, name):
    """The billable template ``name``: the facility's own, or one the scenario made (under its marked name)."""
    found = [t for t in emr.billable_templates() if t["name"] == own.shown(name)]
    assert found, f"no billable template {own.shown(name)!r} in the EMR"
    return found[0]


def item(emr, own, patient, service):
    service = own.shown(service)
    found = [i for i in emr.billing_items(patient) if i["service_description"] == service
             or emr_template_name(emr, i) == service]
    assert found, f"no billed item {service!r} on the Billing Audit Tool Report"
    return found[-1]


def emr_template_name(emr, billing_item):
    return next((t["name"] for t in emr.billable_templates() if t["id"] == billing_item["template_id"]), None)


# -- set-up ---------------------------------------------------------------------------------------

@given("the EMR has the billable templates of the default facility")
def default_templates(emr):
    names = {t["name"] for t in emr.billable_templates()}
    assert {"Residential Day", "Group Therapy", "Individual Therapy 60"} <= names, names


def _ready_for_billing(emr, rcm, own, fake, eventually, insured=True, name="Rosa Delgado"):
    from .emr_steps import _admitted, _new_patient

    patient = _admitted(emr, rcm, eventually, _new_patient(emr, fake, name))
    ids = _ids(rcm, eventually, patient)
    payer = None
    if insured:  # the scenario's own "Aetna": its claims, and a claim rule for its payer, are its own
        payer = own_payer(rcm, own, "Aetna", "60054", "800-872-3862")
        rcm.save_insurance(*ids, **insurance_body(rcm, own, fake, patient, "primary", "Aetna", "Self"))
    rcm.save_authorization(*ids, service="Residential", start_date="2026-03-02", end_date="2026-03-31", units=30,
                           authorization_status="Authorized", authorization_number="AUTH-5001", payer=payer)
    rcm.save_authorization(*ids, kind="standalone_authorizations", service="Individual Therapy 60",
                           start_date="2026-03-02", end_date="2026-03-31", units=8, authorization_status="Authorized",
                           authorization_number="AUTH-5002", rendering_provider="1765432103")
    return emr.get(patient)


@given("a patient admitted through the EMR, with insurance and authorizations in the RCM", target_fixture="emr_patient")
def ready_for_billing(emr, rcm, own, fake, eventually):
    return _ready_for_billing(emr, rcm, own, fake, eventually)


@given("a private-pay patient admitted through the EMR, with a U/R in the RCM", target_fixture="private_patient")
def private_patient(emr, rcm, own, fake, eventually):
    return _ready_for_billing(emr, rcm, own, fake, eventually, insured=False, name="Paul Lindqvist")


@given("the patient was never admitted in the RCM", target_fixture="emr_patient")
def never_admitted(emr, fake):
    """BAT-02: an EMR patient complete but for its MR Number: the RCM has no admitted profile for it."""
    from .emr_steps import _new_patient

    patient = _new_patient(emr, fake)
    return emr.add_diagnosis(patient, "F10.20")


@given("the patient's treatment episode in the RCM has no insurance", target_fixture="emr_patient")
def episode_without_insurance(emr, rcm, fake, eventually, emr_patient):
    """BAT-02: a second admission opens a treatment episode with nothing in its Insurance Set, while
    the EMR still shows the insurance of the first: the charge names an insurance the RCM lacks."""
    emr.discharge(emr_patient, "2026-03-05")
    patient = emr.update_patient(emr_patient, admission_date="2026-03-09")
    patient = emr.action(patient, "send_to_rcm")
    eventually(lambda: len(rcm_patient(rcm, patient, eventually).episodes) == 2, what="a second treatment episode")
    return patient


@given(parsers.parse('the patient\'s U/R in the RCM is "{status}"'))
def ur_status(rcm, eventually, emr_patient, status):
    review = rcm_patient(rcm, emr_patient, eventually).episodes[-1].utilization_reviews[-1]
    rcm.save_authorization(*_ids(rcm, eventually, emr_patient), review_id=review["id"], authorization_status=status)


@given(parsers.parse('the EMR has an ancillary group template "{name}" with CPT "{cpt}"'))
def extra_template(emr, own, name, cpt):
    # Under the scenario's own name: the EMR's template list is shared by every scenario and run.
    emr.add_billable_template(name=own.name(name), kind="group_session", billing="ancillary",
                              service_description=own.name(name), cpt=cpt)


@given(parsers.parse('the RCM has a claim rule adding modifier "{modifier}" to procedure "{cpt}" for the patient\'s '
                     'payer'))
def claim_rule(rcm, own, eventually, emr_patient, modifier, cpt):
    # Claim rules are the RCM's configuration, shared by every scenario: scoped to the scenario's own
    # payer, the rule changes no claim another scenario makes (an RCM's claim rules are per payer).
    payer = entry(rcm, eventually, emr_patient, "primary")["payer"]["id"]
    rcm.add_claim_rule(name=own.name(f"{modifier} on {cpt}"), procedure_code=cpt, add_modifier=modifier, payer=payer)


# -- documenting ----------------------------------------------------------------------------------------

def _attend(emr, own, patient, name, day, times=1):
    for _ in range(times):
        emr.document_group_session(template(emr, own, name)["id"], day.isoformat(),
                                   [{"patient_id": patient.id, "present": True, "minutes": 60}])


ATTENDS = 'the patient attends the "{name}" group session on {day:Date}'


@given(parsers.parse(ATTENDS, extra_types=TYPES))
@when(parsers.parse(ATTENDS, extra_types=TYPES))
def attends(emr, own, emr_patient, name, day):
    _attend(emr, own, emr_patient, name, day)


@given(parsers.parse('the private-pay patient attends the "{name}" group session on {day:Date}', extra_types=TYPES))
def private_attends(emr, own, private_patient, name, day):
    _attend(emr, own, private_patient, name, day)


@given(parsers.parse('the patient attends the "{name}" group session {times:d} times on {day:Date}', extra_types=TYPES))
def attends_times(emr, own, emr_patient, name, times, day):
    _attend(emr, own, emr_patient, name, day, times)


@given(parsers.parse('the patient in {where} attends the "{name}" group session on {day:Date}', extra_types=TYPES))
def attends_in(emr, own, emr_patient, where, name, day):
    changes = {}
    for part in where.split(" and "):
        kind, _, value = part.partition(" ")
        changes["building_name" if kind == "building" else "program"] = value.strip('"')
    _attend(emr, own, emr.update_patient(emr_patient, **changes), name, day)


@given(parsers.parse('the patient attends the "{name}" group session on {day:Date} with rendering provider "{npi}"',
                     extra_types=TYPES))
def attends_with_provider(emr, own, emr_patient, name, day, npi):
    _attend(emr, own, emr_patient, name, day)
    emr.edit_billing_item(emr.billing_items(emr_patient)[-1]["id"], BILLER, rendering_provider=npi)


@given(parsers.parse('the patient\'s U/R in the RCM names rendering provider "{npi}", and the patient attends the '
                     '"{name}" group session on {day:Date} with rendering provider "{other}"', extra_types=TYPES))
def ur_names_provider(emr, rcm, own, eventually, emr_patient, npi, name, day, other):
    """BAT-13 for a level of care: the U/R is the authorization that may name another provider."""
    review = rcm_patient(rcm, emr_patient, eventually).episodes[-1].utilization_reviews[-1]
    rcm.save_authorization(*_ids(rcm, eventually, emr_patient), review_id=review["id"], rendering_provider=npi)
    attends_with_provider(emr, own, emr_patient, name, day, other)


@given(parsers.parse('the patient attends a "{name}" group session described as "{description}" on {day:Date}',
                     extra_types=TYPES))
def attends_described(emr, own, emr_patient, name, description, day):
    _attend(emr, own, emr_patient, name, day)
    emr.edit_billing_item(emr.billing_items(emr_patient)[-1]["id"], BILLER, service_description=description)


EVALUATION = 'the "{name}" evaluation is documented for the patient on {day:Date}'


@given(parsers.parse(EVALUATION, extra_types=TYPES))
@when(parsers.parse(EVALUATION, extra_types=TYPES))
def evaluation(emr, own, emr_patient, name, day):
    emr.document_evaluation(emr_patient, template(emr, own, name)["id"], day.isoformat(), minutes=60)


@given(parsers.parse(EVALUATION + " lasting {minutes:d} minutes", extra_types=TYPES))
def evaluation_lasting(emr, own, emr_patient, name, day, minutes):
    emr.document_evaluation(emr_patient, template(emr, own, name)["id"], day.isoformat(), minutes=minutes)


@given(parsers.parse(EVALUATION + ' by rendering provider "{npi}"', extra_types=TYPES))
def evaluation_by(emr, own, emr_patient, name, day, npi):
    emr.document_evaluation(emr_patient, template(emr, own, name)["id"], day.isoformat(), minutes=60,
                            rendering_provider=npi)


@given(parsers.parse('the "{name}" evaluation, described as "{description}", is documented for the patient on '
                     '{day:Date}', extra_types=TYPES))
def evaluation_described(emr, own, emr_patient, name, description, day):
    made = emr.document_evaluation(emr_patient, template(emr, own, name)["id"], day.isoformat(), minutes=60)
    emr.edit_billing_item(made["id"], BILLER, service_description=description)


@given(parsers.parse('the "{name}" evaluation with modifier "{modifier}", described as "{description}", is documented '
                     'for the patient on {day:Date}', extra_types=TYPES))
def evaluation_modifier(emr, own, emr_patient, name, modifier, description, day):
    made = emr.document_evaluation(emr_patient, template(emr, own, name)["id"], day.isoformat(), minutes=60)
    emr.edit_billing_item(made["id"], BILLER, service_description=description, modifier=modifier)


@given(parsers.parse('the "{name}" evaluation at place of service "{pos}" is documented for the patient on {day:Date}',
                     extra_types=TYPES))
def evaluation_at(emr, own, emr_patient, name, pos, day):
    made = emr.document_evaluation(emr_patient, template(emr, own, name)["id"], day.isoformat(), minutes=60)
    emr.edit_billing_item(made["id"], BILLER, place_of_service=pos)


# -- the Billing Audit Tool Report ---------------------------------------------------------------------

@given(parsers.parse('the biller edits the "{service}" item\'s {field} to "{value}"'))
@when(parsers.parse('the biller edits the "{service}" item\'s {field} to "{value}"'))
def edit(emr, own, emr_patient, service, field, value):
    key = {"place of service": "place_of_service", "rendering provider": "rendering_provider"}[field]
    emr.edit_billing_item(item(emr, own, emr_patient, service)["id"], BILLER, **{key: value})


def _transmit(emr, patient, user=BILLER):
    ids = [i["id"] for i in emr.billing_items(patient) if i["status"] == "open"]
    return emr.transmit(ids, user)


@given("the biller transmits the patient's items", target_fixture="transmission")
@when("the biller transmits the patient's items", target_fixture="transmission")
def transmit(emr, emr_patient):
    return _transmit(emr, emr_patient)


@when("the biller transmits the private-pay patient's items", target_fixture="transmission")
def transmit_private(emr, private_patient):
    return _transmit(emr, private_patient)


@when(parsers.parse('the biller transmits only the "{service}" item'), target_fixture="transmission")
def transmit_only(emr, own, emr_patient, service):
    return emr.transmit([item(emr, own, emr_patient, service)["id"]], BILLER)


@then(parsers.parse('the Billing Audit Tool Report lists "{services}" for the patient'))
def report_lists(emr, own, emr_patient, services):
    listed = [i["service_description"] for i in emr.billing_items(emr_patient)]
    assert listed == [own.shown(s.strip()) for s in services.split(",")]


@then(parsers.parse('the "{service}" item is billed per diem for level of care "{level}"'))
def per_diem(emr, own, emr_patient, service, level):
    found = item(emr, own, emr_patient, service)
    assert (found["level_of_care"], found["claim_format"], found["units"]) == (level, "Institutional", 1)
    assert found["level_of_care_uid"] and found["codes"]["revenue"]


@then(parsers.parse('the "{service}" item is billed as ancillary with CPT "{cpt}"'))
def ancillary(emr, own, emr_patient, service, cpt):
    found = item(emr, own, emr_patient, service)
    assert (found["level_of_care"], found["codes"]["cpt"], found["claim_format"]) == (None, cpt, "Professional")


@then(parsers.parse('the "{service}" item is transmitted'))
def transmitted(emr, own, emr_patient, service):
    assert item(emr, own, emr_patient, service)["status"] == "transmitted"


@then(parsers.parse('the "{service}" item is still open, with place of service "{pos}"'))
def still_open(emr, own, stays, emr_patient, service, pos):
    def probe():
        found = item(emr, own, emr_patient, service)
        assert (found["status"], found["place_of_service"]) == ("open", pos), found

    stays(probe, what=f"the {service} item is still open")


@then(parsers.parse('the "{service}" item shows a warning and is transmitted'))
def warning(emr, own, emr_patient, service):
    """PROC-08: a warning does not block the item (the overview gives no wording to check)."""
    found = item(emr, own, emr_patient, service)
    assert found["warnings"] and found["errors"] == [] and found["status"] == "transmitted", found


@then(parsers.parse('the "{service}" item shows an error and is not transmitted'))
def error(emr, own, stays, emr_patient, service):
    """PROC-08: an error blocks the item: it stays on the report, untransmitted."""
    assert item(emr, own, emr_patient, service)["errors"], item(emr, own, emr_patient, service)
    stays(lambda: item(emr, own, emr_patient, service)["status"] == "open",
          what=f"the {service} item is not transmitted")


@then(parsers.parse('the "{service}" item comes back with a batch transmission error, saying why and how to fix it'))
def batch_error(emr, own, emr_patient, service):
    """PROC-06/BAT-02: the RCM refused the charge and said why and what to do; the scenario's
    situation is what makes it refuse, so no wording of the mocks is checked."""
    found = item(emr, own, emr_patient, service)
    if found["status"] == "open":
        # The EMR may see it first (a patient never sent): its report blocks the item and says why.
        assert found["errors"], f"the {service} item was neither transmitted nor refused: {found}"
        return
    result = found.get("transmission") or {}
    assert found["status"] == "error" and result.get("status") == "error", found
    assert str(result.get("cause") or "").strip() and str(result.get("fix") or "").strip(), result

