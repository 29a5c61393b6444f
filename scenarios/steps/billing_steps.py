"""Steps for Step 5 and the Billing Audit Tool table: documenting, transmitting, the Attendance
Calendar, the Work Center and its claims."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from ..vocabulary import TYPES
from .insurance_steps import _ids, insurance_body, payer_id
from .rcm_steps import rcm_patient
from .shared_steps import attempt

BILLER = "biller"
ONLY_WHAT_TRAVELS = {"admit_date", "location", "insurance", "program", "modifier", "modifiers", "diagnosis_codes",
                     "duration", "place_of_service", "claim_format", "codes", "level_of_care"}


def template(emr, name):
    found = [t for t in emr.billable_templates() if t["name"] == name]
    assert found, f"no billable template {name!r} in the EMR"
    return found[0]


def item(emr, patient, service):
    found = [i for i in emr.billing_items(patient) if i["service_description"] == service
             or emr_template_name(emr, i) == service]
    assert found, f"no billed item {service!r} on the Billing Audit Tool Report"
    return found[-1]


def emr_template_name(emr, billing_item):
    return next((t["name"] for t in emr.billable_templates() if t["id"] == billing_item["template_id"]), None)


def _segments(x12_text):
    return [s.strip() for s in x12_text.split("~") if s.strip()]


# -- set-up ---------------------------------------------------------------------------------------

@given("the EMR has the billable templates of the default facility")
def default_templates(emr):
    names = {t["name"] for t in emr.billable_templates()}
    assert {"Residential Day", "Group Therapy", "Individual Therapy 60"} <= names, names


def _ready_for_billing(emr, rcm, fake, eventually, insured=True, name="Rosa Delgado"):
    from .emr_steps import _admitted, _new_patient

    if not any(p["name"] == "Aetna" for p in rcm.payers()):
        rcm.add_payer(name="Aetna", payer_id="60054", phone="800-872-3862")
    patient = _admitted(emr, rcm, eventually, _new_patient(emr, fake, name))
    ids = _ids(rcm, eventually, patient)
    if insured:
        rcm.save_insurance(*ids, **insurance_body(rcm, fake, patient, "primary", "Aetna", "Self"))
    rcm.save_authorization(*ids, service="Residential", start_date="2026-03-02", end_date="2026-03-31", units=30,
                           authorization_status="Authorized", authorization_number="AUTH-5001",
                           payer=payer_id(rcm, "Aetna") if insured else None)
    rcm.save_authorization(*ids, kind="standalone_authorizations", service="Individual Therapy 60",
                           start_date="2026-03-02", end_date="2026-03-31", units=8, authorization_status="Authorized",
                           authorization_number="AUTH-5002", rendering_provider="1765432103")
    return emr.get(patient)


@given("a patient admitted through the EMR, with insurance and authorizations in the RCM", target_fixture="emr_patient")
def ready_for_billing(emr, rcm, fake, eventually):
    return _ready_for_billing(emr, rcm, fake, eventually)


@given("a private-pay patient admitted through the EMR, with a U/R in the RCM", target_fixture="private_patient")
def private_patient(emr, rcm, fake, eventually):
    return _ready_for_billing(emr, rcm, fake, eventually, insured=False, name="Paul Lindqvist")


@given(parsers.parse('the patient\'s U/R in the RCM is "{status}"'))
def ur_status(rcm, eventually, emr_patient, status):
    review = rcm_patient(rcm, emr_patient, eventually).episodes[-1].utilization_reviews[-1]
    rcm.save_authorization(*_ids(rcm, eventually, emr_patient), review_id=review["id"], authorization_status=status)


@given(parsers.parse('the EMR has an ancillary group template "{name}" with CPT "{cpt}"'))
def extra_template(emr, name, cpt):
    emr.add_billable_template(name=name, kind="group_session", billing="ancillary", service_description=name, cpt=cpt)


@given(parsers.parse('the RCM has a claim rule adding modifier "{modifier}" to procedure "{cpt}"'))
def claim_rule(rcm, modifier, cpt):
    rcm.add_claim_rule(name=f"{modifier} on {cpt}", procedure_code=cpt, add_modifier=modifier)


# -- documenting ----------------------------------------------------------------------------------------

def _attend(emr, patient, name, day, times=1):
    for _ in range(times):
        emr.document_group_session(template(emr, name)["id"], day.isoformat(),
                                   [{"patient_id": patient.id, "present": True, "minutes": 60}])


ATTENDS = 'the patient attends the "{name}" group session on {day:Date}'


@given(parsers.parse(ATTENDS, extra_types=TYPES))
@when(parsers.parse(ATTENDS, extra_types=TYPES))
def attends(emr, emr_patient, name, day):
    _attend(emr, emr_patient, name, day)


@given(parsers.parse('the private-pay patient attends the "{name}" group session on {day:Date}', extra_types=TYPES))
def private_attends(emr, private_patient, name, day):
    _attend(emr, private_patient, name, day)


@given(parsers.parse('the patient attends the "{name}" group session {times:d} times on {day:Date}', extra_types=TYPES))
def attends_times(emr, emr_patient, name, times, day):
    _attend(emr, emr_patient, name, day, times)


@given(parsers.parse('the patient in {where} attends the "{name}" group session on {day:Date}', extra_types=TYPES))
def attends_in(emr, emr_patient, where, name, day):
    changes = {}
    for part in where.split(" and "):
        kind, _, value = part.partition(" ")
        changes["building_name" if kind == "building" else "program"] = value.strip('"')
    _attend(emr, emr.update_patient(emr_patient, **changes), name, day)


@given(parsers.parse('the patient attends a "{name}" group session described as "{description}" on {day:Date}',
                     extra_types=TYPES))
def attends_described(emr, emr_patient, name, description, day):
    _attend(emr, emr_patient, name, day)
    emr.edit_billing_item(emr.billing_items(emr_patient)[-1]["id"], BILLER, service_description=description)


EVALUATION = 'the "{name}" evaluation is documented for the patient on {day:Date}'


@given(parsers.parse(EVALUATION, extra_types=TYPES))
@when(parsers.parse(EVALUATION, extra_types=TYPES))
def evaluation(emr, emr_patient, name, day):
    emr.document_evaluation(emr_patient, template(emr, name)["id"], day.isoformat(), minutes=60)


@given(parsers.parse(EVALUATION + " lasting {minutes:d} minutes", extra_types=TYPES))
def evaluation_lasting(emr, emr_patient, name, day, minutes):
    emr.document_evaluation(emr_patient, template(emr, name)["id"], day.isoformat(), minutes=minutes)


@given(parsers.parse(EVALUATION + ' by rendering provider "{npi}"', extra_types=TYPES))
def evaluation_by(emr, emr_patient, name, day, npi):
    emr.document_evaluation(emr_patient, template(emr, name)["id"], day.isoformat(), minutes=60, rendering_provider=npi)


@given(parsers.parse('the "{name}" evaluation, described as "{description}", is documented for the patient on '
                     '{day:Date}', extra_types=TYPES))
def evaluation_described(emr, emr_patient, name, description, day):
    made = emr.document_evaluation(emr_patient, template(emr, name)["id"], day.isoformat(), minutes=60)
    emr.edit_billing_item(made["id"], BILLER, service_description=description)


@given(parsers.parse('the "{name}" evaluation with modifier "{modifier}", described as "{description}", is documented '
                     'for the patient on {day:Date}', extra_types=TYPES))
def evaluation_modifier(emr, emr_patient, name, modifier, description, day):
    made = emr.document_evaluation(emr_patient, template(emr, name)["id"], day.isoformat(), minutes=60)
    emr.edit_billing_item(made["id"], BILLER, service_description=description, modifier=modifier)


@given(parsers.parse('the "{name}" evaluation at place of service "{pos}" is documented for the patient on {day:Date}',
                     extra_types=TYPES))
def evaluation_at(emr, emr_patient, name, pos, day):
    made = emr.document_evaluation(emr_patient, template(emr, name)["id"], day.isoformat(), minutes=60)
    emr.edit_billing_item(made["id"], BILLER, place_of_service=pos)


# -- the Billing Audit Tool Report ---------------------------------------------------------------------

@given(parsers.parse('the biller edits the "{service}" item\'s {field} to "{value}"'))
@when(parsers.parse('the biller edits the "{service}" item\'s {field} to "{value}"'))
def edit(emr, emr_patient, service, field, value):
    key = {"place of service": "place_of_service", "rendering provider": "rendering_provider"}[field]
    emr.edit_billing_item(item(emr, emr_patient, service)["id"], BILLER, **{key: value})


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
def transmit_only(emr, emr_patient, service):
    return emr.transmit([item(emr, emr_patient, service)["id"]], BILLER)


@then(parsers.parse('the Billing Audit Tool Report lists "{services}" for the patient'))
def report_lists(emr, emr_patient, services):
    listed = [i["service_description"] for i in emr.billing_items(emr_patient)]
    assert listed == [s.strip() for s in services.split(",")]


@then(parsers.parse('the "{service}" item is billed per diem for level of care "{level}"'))
def per_diem(emr, emr_patient, service, level):
    found = item(emr, emr_patient, service)
    assert (found["level_of_care"], found["claim_format"], found["units"]) == (level, "Institutional", 1)
    assert found["level_of_care_uid"] and found["codes"]["revenue"]


@then(parsers.parse('the "{service}" item is billed as ancillary with CPT "{cpt}"'))
def ancillary(emr, emr_patient, service, cpt):
    found = item(emr, emr_patient, service)
    assert (found["level_of_care"], found["codes"]["cpt"], found["claim_format"]) == (None, cpt, "Professional")


@then(parsers.parse('the "{service}" item is transmitted'))
def transmitted(emr, emr_patient, service):
    assert item(emr, emr_patient, service)["status"] == "transmitted"


@then(parsers.parse('the "{service}" item is still open, with place of service "{pos}"'))
def still_open(emr, emr_patient, service, pos):
    found = item(emr, emr_patient, service)
    assert (found["status"], found["place_of_service"]) == ("open", pos)


@then(parsers.parse('the "{service}" item shows the warning "{warning}" and is transmitted'))
def warning(emr, emr_patient, service, warning):
    found = item(emr, emr_patient, service)
    assert any(warning in w for w in found["warnings"]), found["warnings"]
    assert found["errors"] == [] and found["status"] == "transmitted"


@then(parsers.parse('the "{service}" item shows the error "{error}" and is not transmitted'))
def error(emr, emr_patient, service, error):
    found = item(emr, emr_patient, service)
    assert any(error in e for e in found["errors"]), found["errors"]
    assert found["status"] == "open"


@then(parsers.parse('the "{service}" item comes back with the error "{cause}" and the fix "{fix}"'))
def batch_error(emr, emr_patient, service, cause, fix):
    found = item(emr, emr_patient, service)
    result = found["transmission"]
    assert found["status"] == "error" and result["status"] == "error", found
    assert cause in result["cause"] and f"charge {found['id']}" in result["cause"], result
    assert result["fix"].startswith(fix), result


# -- the RCM: Attendance Calendar and Work Center -----------------------------------------------------

def _attendance(rcm, eventually, patient):
    return rcm.attendance(rcm_patient(rcm, patient, eventually).id)


@then(parsers.parse('the RCM\'s Attendance Calendar shows "{service}" on {day:Date}', extra_types=TYPES))
def calendar_shows(rcm, eventually, emr_patient, service, day):
    entries = _attendance(rcm, eventually, emr_patient)
    assert any(e["service_name"] == service and e["date_of_service"] == day.isoformat() for e in entries), entries


@then(parsers.parse('the RCM\'s Attendance Calendar shows "{service}" on {first:Date} and on {second:Date}',
                    extra_types=TYPES))
def calendar_shows_two(rcm, eventually, emr_patient, service, first, second):
    days = sorted(e["date_of_service"] for e in _attendance(rcm, eventually, emr_patient) if e["service_name"] == service)
    assert days == [first.isoformat(), second.isoformat()]


@then(parsers.parse('the RCM\'s Attendance Calendar shows {count:d} treatments of 1 unit of "{service}" on {day:Date}',
                    extra_types=TYPES))
def calendar_units(rcm, eventually, emr_patient, count, service, day):
    entries = [e for e in _attendance(rcm, eventually, emr_patient)
               if e["service_name"] == service and e["date_of_service"] == day.isoformat()]
    assert [e["units"] for e in entries] == [1] * count


@then("the RCM's Attendance Calendar is empty for the patient")
def calendar_empty(rcm, eventually, emr_patient):
    assert _attendance(rcm, eventually, emr_patient) == []


def _submit_all(rcm, user=BILLER):
    ids = [e["id"] for e in rcm.attendance() if e["status"] == "transmitted"]
    return rcm.submit_for_billing(ids, user)


@when(parsers.parse("the RCM biller submits the treatment of {day:Date} for billing", extra_types=TYPES))
def submit_day(rcm, eventually, emr_patient, day):
    ids = [e["id"] for e in _attendance(rcm, eventually, emr_patient) if e["date_of_service"] == day.isoformat()]
    rcm.submit_for_billing(ids, BILLER)


@given("the RCM biller submits every transmitted treatment for billing")
@when("the RCM biller submits every transmitted treatment for billing")
def submit_all(rcm):
    _submit_all(rcm)


@then(parsers.parse('the treatment of {first:Date} is "{s1}" and the treatment of {second:Date} is "{s2}"',
                    extra_types=TYPES))
def statuses(rcm, eventually, emr_patient, first, s1, second, s2):
    by_day = {e["date_of_service"]: e["status"] for e in _attendance(rcm, eventually, emr_patient)}
    assert (by_day[first.isoformat()], by_day[second.isoformat()]) == (s1, s2)


@when("the RCM biller creates claims in the Work Center", target_fixture="claims")
def create_claims(rcm):
    return rcm.create_claims(BILLER)


@when(parsers.parse('the user "{user}" tries to {action}'))
def tries(emr, rcm, eventually, refusals, emr_patient, user, action):
    calls = {
        "transmit the patient's items": ("EMR", lambda: _transmit(emr, emr_patient, user)),
        "submit the patient's treatments": ("RCM", lambda: (emr.transmit([i["id"] for i in emr.billing_items(emr_patient)],
                                                                          BILLER), _submit_all(rcm, user))),
        "create claims in the Work Center": ("RCM", lambda: (_transmit(emr, emr_patient), _submit_all(rcm),
                                                             rcm.create_claims(user))),
    }
    attempt(refusals, *calls[action])


def _claim_of(claims, claim_format):
    found = [c for c in claims if c.get("format") == claim_format and c.get("x12")]
    assert found, f"no {claim_format} claim in {[(c.get('format'), c.get('status')) for c in claims]}"
    return found[0]


def _lines(claim):
    return [s for s in _segments(claim["x12"]) if s.startswith(("SV1*", "SV2*"))]


@then(parsers.parse('the Work Center holds an "{f1}" claim with a line "{c1}" and an "{f2}" claim with a line "{c2}"'))
def claims_with_lines(rcm, f1, c1, f2, c2):
    claims = rcm.claims()
    assert any(f":{c1}" in line for line in _lines(_claim_of(claims, f1)))
    assert any(f":{c2}" in line for line in _lines(_claim_of(claims, f2)))


@then('every claim is "accepted", with a 999 that accepts it and a 277CA')
def all_accepted(rcm):
    claims = [c for c in rcm.claims() if c["pay_type"] == "insurance"]
    assert claims and all(c["status"] == "accepted" for c in claims), [(c["status"], c.get("errors")) for c in claims]
    assert all("IK5*A" in c["ack_999"] and "ST*277*" in c["ack_277ca"] for c in claims)


@then(parsers.parse('the claims name the Konnector\'s rendering provider "{npi}"'))
def claims_rendering(rcm, npi):
    for claim in (c for c in rcm.claims() if c.get("x12")):
        assert any(s.startswith(("NM1*82*", "NM1*71*")) and s.endswith(f"*XX*{npi}") for s in _segments(claim["x12"]))


@then(parsers.parse('the private-pay patient\'s treatment matched the service "{name}"'))
def private_matched(rcm, eventually, private_patient, name):
    assert [e["service_name"] for e in _attendance(rcm, eventually, private_patient)] == [name]


@then('the Work Center holds a "private pay statement" for the private-pay patient and no payer claim')
def private_statement(rcm, eventually, private_patient):
    mine = [c for c in rcm.claims() if c["patient_id"] == rcm_patient(rcm, private_patient, eventually).id]
    assert [c["status"] for c in mine] == ["private pay statement"] and not any(c.get("x12") for c in mine)


def _entry(rcm, eventually, patient):
    entries = _attendance(rcm, eventually, patient)
    assert len(entries) == 1, entries
    return entries[0]


@then(parsers.parse("the RCM files the treatment under the episode admitted on {day:Date} and keeps only what travels",
                    extra_types=TYPES))
def filed_under(rcm, eventually, emr_patient, day):
    entry = _entry(rcm, eventually, emr_patient)
    episode = next(e for e in rcm_patient(rcm, emr_patient, eventually).episodes if e.id == entry["episode_id"])
    assert episode.admit_date == day.isoformat()
    assert not set(entry) & ONLY_WHAT_TRAVELS, set(entry) & ONLY_WHAT_TRAVELS


@then(parsers.parse('the RCM keeps only what travels, and bills {who}\'s rendering provider "{npi}"'))
def routed(rcm, eventually, emr_patient, who, npi):
    entry = _entry(rcm, eventually, emr_patient)
    assert not set(entry) & ONLY_WHAT_TRAVELS and entry["rendering_provider"] == npi, entry


@then("the RCM keeps only what travels, and the treatment is insurance-pay")
def insurance_pay(rcm, eventually, emr_patient):
    entry = _entry(rcm, eventually, emr_patient)
    assert not set(entry) & ONLY_WHAT_TRAVELS and entry["pay_type"] == "insurance", entry


@then(parsers.parse('the treatment matched the RCM service "{name}" by "{link}"'))
def matched_by(rcm, eventually, emr_patient, name, link):
    entry = _entry(rcm, eventually, emr_patient)
    assert (entry["service_name"], entry["matched_by"]) == (name, link), entry


@then(parsers.parse('the treatment matched the RCM service "{name}" by "{link}", with the modifier ignored'))
def matched_ignoring(rcm, eventually, emr_patient, name, link):
    entry = _entry(rcm, eventually, emr_patient)
    assert (entry["service_name"], entry["matched_by"]) == (name, link) and "ignored" in entry["matching_note"], entry


@then(parsers.parse('the claim for it is an "{claim_format}", as the RCM service says'))
def claim_format(rcm, claim_format):
    _submit_all(rcm)
    claims = rcm.create_claims(BILLER)
    assert [c["format"] for c in claims] == [claim_format]


@then(parsers.parse('the RCM\'s treatment has rendering provider "{npi}"'))
def treatment_provider(rcm, eventually, emr_patient, npi):
    assert _entry(rcm, eventually, emr_patient)["rendering_provider"] == npi


@then("the RCM keeps only what travels, and the claim's diagnoses are the patient's in the RCM")
def claim_diagnoses(rcm, eventually, emr_patient):
    entry = _entry(rcm, eventually, emr_patient)
    assert not set(entry) & ONLY_WHAT_TRAVELS
    _submit_all(rcm)
    [claim] = rcm.create_claims(BILLER)
    expected = [d["code"].replace(".", "") for d in rcm_patient(rcm, emr_patient, eventually).episodes[-1].diagnoses]
    hi = [s for s in _segments(claim["x12"]) if s.startswith("HI*")]
    sent = [part.split(":")[1] for s in hi for part in s.split("*")[1:] if part.startswith(("ABK", "ABF"))]
    assert sent == expected, (sent, expected)


@then(parsers.parse('the RCM\'s treatment uses the service profile for place of service "{pos}"'))
def profile(rcm, eventually, emr_patient, pos):
    assert _entry(rcm, eventually, emr_patient)["service_profile"] == pos


@then(parsers.parse('the "{claim_format}" claim\'s diagnoses include "{code}"'))
def claim_includes(rcm, claim_format, code):
    hi = [s for s in _segments(_claim_of(rcm.claims(), claim_format)["x12"]) if s.startswith("HI*")]
    assert any(code.replace(".", "") in s for s in hi), hi


@then(parsers.parse('the "{claim_format}" claim\'s line "{cpt}" carries the modifier "{modifier}"'))
def line_modifier(rcm, claim_format, cpt, modifier):
    lines = _lines(_claim_of(rcm.claims(), claim_format))
    assert any(f":{cpt}:{modifier}" in line for line in lines), lines
