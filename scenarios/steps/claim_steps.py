"""Steps for Step 5 and the Billing Audit Tool table, on the RCM's side: the Attendance Calendar,
submitting treatments, the Work Center and its claims, and what each treatment kept and matched."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from ..vocabulary import TYPES
from .charge_steps import BILLER, _transmit
from .rcm_steps import rcm_patient
from .shared_steps import attempt

ONLY_WHAT_TRAVELS = {"admit_date", "location", "insurance", "program", "modifier", "modifiers", "diagnosis_codes",
                     "duration", "place_of_service", "claim_format", "codes", "level_of_care"}


def _segments(x12_text):
    return [s.strip() for s in x12_text.split("~") if s.strip()]


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
def calendar_empty(rcm, eventually, stays, emr_patient):
    def probe():
        entries = _attendance(rcm, eventually, emr_patient)
        assert entries == [], f"the Attendance Calendar holds {entries}"

    stays(probe, what="the Attendance Calendar is empty")


def _own(*patients):
    """The scenario's own patients (the admitted one, and the private-pay one where it has one): the
    Attendance Calendar and the Work Center also hold other scenarios' and other runs' patients."""
    return [p for p in patients if p is not None]


def _submit_all(rcm, eventually, patients, user=BILLER):
    """Submit every transmitted treatment of the scenario's own patients, once they reach the calendar."""
    def transmitted():
        return [e["id"] for p in patients for e in _attendance(rcm, eventually, p) if e["status"] == "transmitted"]

    return rcm.submit_for_billing(eventually(transmitted, what="the patient's transmitted treatments"), user)


def own_claims(rcm, eventually, patient):
    """The Work Center's claims for the scenario's patient (its patient filter), never anyone else's."""
    rcm_id = rcm_patient(rcm, patient, eventually).id
    return [c for c in rcm.claims(rcm_id) if c.get("patient_id") == rcm_id]


def _create_claims(rcm, eventually, patients, user=BILLER):
    """Create claims for each of the scenario's patients with something submitted; if none has, for the
    first anyway, so that the Work Center's own answer (a refusal) is what the scenario meets."""
    ids = [rcm_patient(rcm, p, eventually).id for p in patients]
    billable = [i for i in ids if any(e["status"] == "submitted" for e in rcm.attendance(i))] or ids[:1]
    return [claim for i in billable for claim in rcm.create_claims(user, patient_id=i)]


@when(parsers.parse("the RCM biller submits the treatment of {day:Date} for billing", extra_types=TYPES))
def submit_day(rcm, eventually, emr_patient, day):
    ids = [e["id"] for e in _attendance(rcm, eventually, emr_patient) if e["date_of_service"] == day.isoformat()]
    rcm.submit_for_billing(ids, BILLER)


@given("the RCM biller submits every transmitted treatment for billing")
@when("the RCM biller submits every transmitted treatment for billing")
def submit_all(rcm, eventually, emr_patient, private_patient):
    _submit_all(rcm, eventually, _own(emr_patient, private_patient))


@then(parsers.parse('the treatment of {first:Date} is "{s1}" and the treatment of {second:Date} is "{s2}"',
                    extra_types=TYPES))
def statuses(rcm, eventually, emr_patient, first, s1, second, s2):
    by_day = {e["date_of_service"]: e["status"] for e in _attendance(rcm, eventually, emr_patient)}
    assert (by_day[first.isoformat()], by_day[second.isoformat()]) == (s1, s2)


@when("the RCM biller creates claims in the Work Center", target_fixture="claims")
def create_claims(rcm, eventually, emr_patient, private_patient):
    return _create_claims(rcm, eventually, _own(emr_patient, private_patient))


@when(parsers.parse('the user "{user}" tries to {action}'))
def tries(emr, rcm, eventually, refusals, emr_patient, user, action):
    mine = [emr_patient]
    calls = {
        "transmit the patient's items": ("EMR", lambda: _transmit(emr, emr_patient, user)),
        "submit the patient's treatments": ("RCM", lambda: (emr.transmit([i["id"] for i in emr.billing_items(emr_patient)],
                                                                          BILLER), _submit_all(rcm, eventually, mine, user))),
        "create claims in the Work Center": ("RCM", lambda: (_transmit(emr, emr_patient), _submit_all(rcm, eventually, mine),
                                                             _create_claims(rcm, eventually, mine, user))),
    }
    attempt(refusals, *calls[action])


def _claim_of(rcm, eventually, patient, claim_format):
    """The patient's ``claim_format`` claim, once the Work Center has sent it."""
    def probe():
        claims = own_claims(rcm, eventually, patient)
        found = [c for c in claims if c.get("format") == claim_format and c.get("x12")]
        assert found, f"no {claim_format} claim for the patient: {[(c.get('format'), c.get('status')) for c in claims]}"
        return found[0]

    return eventually(probe, what=f"the patient's {claim_format} claim")


def _lines(claim):
    return [s for s in _segments(claim["x12"]) if s.startswith(("SV1*", "SV2*"))]


@then(parsers.parse('the Work Center holds an "{f1}" claim with a line "{c1}" and an "{f2}" claim with a line "{c2}"'))
def claims_with_lines(rcm, eventually, emr_patient, f1, c1, f2, c2):
    assert any(f":{c1}" in line for line in _lines(_claim_of(rcm, eventually, emr_patient, f1)))
    assert any(f":{c2}" in line for line in _lines(_claim_of(rcm, eventually, emr_patient, f2)))


@then('every claim is "accepted", with a 999 that accepts it and a 277CA')
def all_accepted(rcm, eventually, emr_patient):
    def probe():
        claims = [c for c in own_claims(rcm, eventually, emr_patient) if c["pay_type"] == "insurance"]
        assert claims, "the Work Center holds no payer claim for the patient"
        assert all(c["status"] == "accepted" for c in claims), [(c["status"], c.get("errors")) for c in claims]
        return claims

    claims = eventually(probe, what="the patient's claims accepted")
    assert all("IK5*A" in c["ack_999"] and "ST*277*" in c["ack_277ca"] for c in claims)


@then(parsers.parse('the claims name the Konnector\'s rendering provider "{npi}"'))
def claims_rendering(rcm, eventually, emr_patient, npi):
    sent = [c for c in own_claims(rcm, eventually, emr_patient) if c.get("x12")]
    assert sent, "the Work Center sent no claim for the patient"  # else the check below would pass on nothing
    for claim in sent:
        assert any(s.startswith(("NM1*82*", "NM1*71*")) and s.endswith(f"*XX*{npi}") for s in _segments(claim["x12"]))


@then(parsers.parse('the private-pay patient\'s treatment matched the service "{name}"'))
def private_matched(rcm, eventually, private_patient, name):
    assert [e["service_name"] for e in _attendance(rcm, eventually, private_patient)] == [name]


@then('the Work Center holds a "private pay statement" for the private-pay patient and no payer claim')
def private_statement(rcm, eventually, stays, private_patient):
    def probe():
        mine = own_claims(rcm, eventually, private_patient)
        assert [c["status"] for c in mine] == ["private pay statement"] and not any(c.get("x12") for c in mine), mine

    stays(probe, what="a private pay statement and no payer claim")


def _entry(rcm, eventually, patient):
    """The patient's one treatment, once the RCM shows it (a deployment may take a moment)."""
    def probe():
        entries = _attendance(rcm, eventually, patient)
        assert len(entries) == 1, f"expected the patient's one treatment on the Attendance Calendar: {entries}"
        return entries

    return eventually(probe, what="the patient's treatment on the Attendance Calendar")[0]


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


@then(parsers.parse('the treatment became the RCM service "{name}"'))
def became(rcm, eventually, own, emr_patient, name):
    """Which RCM service the charge became, as the Attendance Calendar shows it: how the RCM
    matched it (BAT-05..BAT-08) is judged by the outcome, never by the RCM's own label for it."""
    entry = eventually(lambda: _entry(rcm, eventually, emr_patient), what="the treatment reached the RCM")
    assert entry["service_name"] == own.shown(name), f"the charge became {entry['service_name']!r}, not {name!r}"


@then(parsers.parse('the treatment became the RCM service "{name}", which shows no modifier'))
def became_without_modifier(rcm, eventually, own, emr_patient, name):
    """BAT-09: a report modifier takes part in matching only; one that matches nothing is ignored
    (the charge still finds its service) and is never stored on the RCM's treatment."""
    became(rcm, eventually, own, emr_patient, name)
    entry = _entry(rcm, eventually, emr_patient)
    assert not {"modifier", "modifiers"} & set(entry), f"the RCM stored the report's modifier: {entry}"


@then(parsers.parse('the claim for it is an "{claim_format}", as the RCM service says'))
def claim_format(rcm, eventually, emr_patient, claim_format):
    _submit_all(rcm, eventually, [emr_patient])
    _create_claims(rcm, eventually, [emr_patient])
    assert [c["format"] for c in own_claims(rcm, eventually, emr_patient)] == [claim_format]


@then(parsers.parse('the RCM\'s treatment has rendering provider "{npi}"'))
def treatment_provider(rcm, eventually, emr_patient, npi):
    assert _entry(rcm, eventually, emr_patient)["rendering_provider"] == npi


@then(parsers.parse('the RCM\'s treatment has rendering provider "{npi}", billed by facility "{facility}"'))
def treatment_routed(rcm, eventually, emr_patient, npi, facility):
    """SET-02..SET-04: the Konnector, the Building or the Program decides the facility and provider."""
    entry = eventually(lambda: _entry(rcm, eventually, emr_patient), what="the treatment reached the RCM")
    assert (entry["rendering_provider"], entry.get("facility")) == (npi, facility), entry


@then(parsers.parse('the "{claim_format}" claim\'s billing provider is "{facility}"'))
def billing_provider(rcm, eventually, emr_patient, claim_format, facility):
    """The facility a treatment bills under is the 837's billing provider (2010AA NM1*85)."""
    segments = _segments(_claim_of(rcm, eventually, emr_patient, claim_format)["x12"])
    named = [s.split("*")[3] for s in segments if s.startswith("NM1*85*")]
    assert named == [facility.upper()] or named == [facility], f"the claim's billing provider is {named}, not {facility!r}"


@then("the RCM keeps only what travels, and the claim's diagnoses are the patient's in the RCM")
def claim_diagnoses(rcm, eventually, emr_patient):
    entry = _entry(rcm, eventually, emr_patient)
    assert not set(entry) & ONLY_WHAT_TRAVELS
    _submit_all(rcm, eventually, [emr_patient])
    _create_claims(rcm, eventually, [emr_patient])
    [claim] = own_claims(rcm, eventually, emr_patient)
    expected = [d["code"].replace(".", "") for d in rcm_patient(rcm, emr_patient, eventually).episodes[-1].diagnoses]
    hi = [s for s in _segments(claim["x12"]) if s.startswith("HI*")]
    sent = [part.split(":")[1] for s in hi for part in s.split("*")[1:] if part.startswith(("ABK", "ABF"))]
    assert sent == expected, (sent, expected)


@then(parsers.parse('the RCM\'s treatment uses the service profile for place of service "{pos}"'))
def profile(rcm, eventually, emr_patient, pos):
    assert _entry(rcm, eventually, emr_patient)["service_profile"] == pos


@then(parsers.parse('the "{claim_format}" claim\'s diagnoses include "{code}"'))
def claim_includes(rcm, eventually, emr_patient, claim_format, code):
    hi = [s for s in _segments(_claim_of(rcm, eventually, emr_patient, claim_format)["x12"]) if s.startswith("HI*")]
    assert any(code.replace(".", "") in s for s in hi), hi


@then(parsers.parse('the "{claim_format}" claim\'s line "{cpt}" carries the modifier "{modifier}"'))
def line_modifier(rcm, eventually, emr_patient, claim_format, cpt, modifier):
    lines = _lines(_claim_of(rcm, eventually, emr_patient, claim_format))
    assert any(f":{cpt}:{modifier}" in line for line in lines), lines


@then(parsers.parse('the "{claim_format}" claim\'s line "{cpt}" carries no modifier "{modifier}"'))
def line_without_modifier(rcm, eventually, emr_patient, claim_format, cpt, modifier):
    """BAT-09: the procedure composite of the line (HC:code:modifier...) names no such modifier."""
    lines = [line for line in _lines(_claim_of(rcm, eventually, emr_patient, claim_format)) if f"HC:{cpt}" in line]
    composites = [part.split(":") for line in lines for part in line.split("*") if part.startswith(f"HC:{cpt}")]
    assert composites and all(modifier not in parts[2:] for parts in composites), lines
