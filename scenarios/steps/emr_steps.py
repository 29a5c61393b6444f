"""Steps that act on and look at the EMR."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when


from kipu_harness.synthetic import demographics
from ..vocabulary import ACTIONS, EMR_FIELDS, MISSING, TYPES, PersonName
from .shared_steps import attempt


def _new_patient(emr, fake, name="Iris Quinn", *, dob=None, leave_out=()):
    person = PersonName.parse(name)
    data = demographics(fake, first=person.first, middle=person.middle, last=person.last, dob=dob)
    return emr.create_patient(**{k: v for k, v in data.items() if k not in leave_out})


def _admitted(emr, rcm, eventually, patient, code="F10.20"):
    patient = emr.add_diagnosis(patient, code)
    patient = emr.action(patient, "mr_number")
    eventually(lambda: [p for p in rcm.find_patients(emr_patient_id=patient.id) if p.status == "Admitted"],
               what="the RCM admitted the patient")
    return patient


# -- patients coming in ----------------------------------------------------------------------

@when(parsers.parse('a pre-admitted patient "{name}" born {dob:Date} is created in the EMR', extra_types=TYPES),
      target_fixture="emr_patient")
def create_preadmit(emr, fake, name, dob):
    person = PersonName.parse(name)
    return emr.create_patient(first_name=person.first, middle_name=person.middle, last_name=person.last,
                              dob=dob.isoformat())


def _pushed(emr, eventually, prospect_id):
    return eventually(lambda: emr.find_by_prospect(prospect_id), what="the pushed record reached the EMR")


@given(parsers.parse('a prospect "{name}" pushed from the CRM to the EMR'), target_fixture="emr_patient")
def prospect_pushed(crm, emr, fake, eventually, name):
    person = PersonName.parse(name)
    data = demographics(fake, first=person.first, middle=person.middle, last=person.last)
    prospect = crm.create_prospect(**{k: v for k, v in data.items() if k != "admission_date"})
    opportunity = crm.create_opportunity(prospect.id, level_of_care="Residential")
    crm.push_to_emr(opportunity.id)
    return _pushed(emr, eventually, prospect.id)


@then(parsers.parse('the EMR has a patient record for the prospect that is "{status}"'), target_fixture="emr_patient")
def emr_record_for_prospect(emr, eventually, prospect, status):
    patient = _pushed(emr, eventually, prospect.id)
    assert patient.pre_admission_status == status
    return patient


@then("the EMR patient has the prospect's name and date of birth")
def emr_has_prospect_data(emr_patient, prospect):
    assert (emr_patient.first_name, emr_patient.last_name, emr_patient.dob) == (
        prospect.first_name, prospect.last_name, prospect.dob)


@then("the EMR has exactly one patient record for the prospect")
def one_emr_record(emr, eventually, stays, prospect):
    _pushed(emr, eventually, prospect.id)

    def probe():
        matches = [p for p in emr.census() if p.crm_prospect_id == prospect.id]
        assert len(matches) == 1, [m.id for m in matches]

    stays(probe, what="no second EMR patient for the prospect")


@when("the patient is accepted in the EMR", target_fixture="emr_patient")
def accept(emr, refusals, emr_patient):
    return attempt(refusals, "EMR", lambda: emr.accept(emr_patient), emr_patient)


@then(parsers.parse('the EMR patient is "{status}"'))
def emr_status(emr, emr_patient, status):
    assert emr.get(emr_patient).pre_admission_status == status


# -- completing and admitting ------------------------------------------------------------------

@given(parsers.parse("an accepted EMR patient with everything an admission needs except {missing}"),
       target_fixture="emr_patient")
def nearly_ready(emr, fake, missing):
    field = MISSING[missing]
    patient = _new_patient(emr, fake, leave_out={field})
    if field != "diagnoses":
        patient = emr.add_diagnosis(patient, "F10.20")
    if field not in ("mr_number", "diagnoses"):
        # Generated while something else is missing: the MR Number exists, nothing is sent.
        patient = emr.action(patient, "mr_number")
    return patient


@given("an accepted EMR patient whose MR Number was generated before its diagnosis was added",
       target_fixture="emr_patient")
def mr_before_diagnosis(emr, fake):
    patient = emr.action(_new_patient(emr, fake), "mr_number")
    return emr.add_diagnosis(patient, "F10.20")


@given(parsers.parse('a patient "{name}" born {dob:Date} who started in {origin}, accepted and completed in the EMR',
                     extra_types=TYPES), target_fixture="emr_patient")
def started_in(crm, emr, fake, eventually, name, dob, origin):
    person = PersonName.parse(name)
    data = demographics(fake, first=person.first, middle=person.middle, last=person.last, dob=dob.isoformat())
    if origin == "the EMR":
        patient = emr.create_patient(**data)
    else:
        prospect = crm.create_prospect(**{k: v for k, v in data.items() if k != "admission_date"})
        crm.push_to_emr(crm.create_opportunity(prospect.id, level_of_care="Residential").id)
        patient = emr.accept(_pushed(emr, eventually, prospect.id))
        patient = emr.update_patient(patient, admission_date=data["admission_date"])
    return emr.add_diagnosis(patient, "F10.20")


@when(parsers.parse('the patient\'s admission date, demographics and diagnosis "{code}" are completed in the EMR'),
      target_fixture="emr_patient")
def complete(emr, fake, emr_patient, code):
    data = demographics(fake, first=emr_patient.first_name, last=emr_patient.last_name,
                        middle=emr_patient.middle_name or "", dob=emr_patient.dob)
    return emr.add_diagnosis(emr.update_patient(emr_patient, **data), code)


@given(parsers.parse('a patient admitted through the EMR with diagnosis "{code}"'), target_fixture="emr_patient")
def admitted_with(emr, rcm, fake, eventually, code):
    return _admitted(emr, rcm, eventually, _new_patient(emr, fake), code)


@given("a patient admitted through the EMR", target_fixture="emr_patient")
def admitted(emr, rcm, fake, eventually):
    return _admitted(emr, rcm, eventually, _new_patient(emr, fake))


@when("the MR Number is generated for the patient in the EMR", target_fixture="emr_patient")
def generate_mr(emr, refusals, emr_patient, emr_replies):
    patient = attempt(refusals, "EMR", lambda: emr.action(emr_patient, "mr_number"), emr_patient)
    emr_replies.append(emr.last_send())
    return patient


@when(parsers.parse('"{action}" is clicked for the patient'), target_fixture="emr_patient")
def click(emr, refusals, emr_patient, action):
    return attempt(refusals, "EMR", lambda: emr.action(emr_patient, ACTIONS[action]), emr_patient)


@when(parsers.parse('"{action}" is clicked for the patient {times:d} times'), target_fixture="emr_patient")
def click_times(emr, emr_patient, action, times):
    for _ in range(times):
        emr_patient = emr.action(emr_patient, ACTIONS[action])
    return emr_patient


# -- changes in the EMR ----------------------------------------------------------------------

@given(parsers.parse('the patient\'s {label} is "{value:Text}" in the EMR', extra_types=TYPES),
       target_fixture="emr_patient")
def set_field(emr, emr_patient, label, value):
    field = EMR_FIELDS[label]
    if field is None:  # Patient ID and MR Number are the EMR's own
        return emr_patient
    return emr.update_patient(emr_patient, **{field: value})


@given(parsers.parse('the patient\'s phone is changed to "{phone}" in the EMR'), target_fixture="emr_patient")
@when(parsers.parse('the patient\'s phone is changed to "{phone}" in the EMR'), target_fixture="emr_patient")
def change_phone(emr, emr_patient, phone):
    return emr.update_patient(emr_patient, phone=phone)


@when(parsers.parse('the patient\'s address is changed to "{street}", "{city}", "{state}", "{zip}" in the EMR'),
      target_fixture="emr_patient")
def change_address(emr, emr_patient, street, city, state, zip):
    return emr.update_patient(emr_patient, address_street=street, address_city=city, address_state=state,
                              address_zip=zip)


@given(parsers.parse("the patient's admission date is changed to {when:Date} in the EMR", extra_types=TYPES),
       target_fixture="emr_patient")
@when(parsers.parse("the patient's admission date is changed to {when:Date} in the EMR", extra_types=TYPES),
      target_fixture="emr_patient")
def change_admission(emr, emr_patient, when):
    return emr.update_patient(emr_patient, admission_date=when.isoformat())


@given(parsers.parse('diagnosis "{code}" is added to the patient in the EMR'), target_fixture="emr_patient")
@when(parsers.parse('diagnosis "{code}" is added to the patient in the EMR'), target_fixture="emr_patient")
def add_diagnosis(emr, refusals, emr_patient, code):
    return attempt(refusals, "EMR", lambda: emr.add_diagnosis(emr_patient, code), emr_patient)


@when(parsers.parse('diagnosis "{code}" is added to the patient in the EMR as principal'), target_fixture="emr_patient")
def add_principal(emr, emr_patient, code):
    return emr.add_diagnosis(emr_patient, code, principal=True)


@when("these diagnoses are added to the patient in the EMR:", target_fixture="emr_patient")
def add_diagnoses(emr, emr_patient, datatable):
    header, *rows = datatable
    for row in rows:
        emr_patient = emr.add_diagnosis(emr_patient, dict(zip(header, row))["code"])
    return emr_patient


@given(parsers.parse("the discharge date {when} is set for the patient in the EMR"), target_fixture="emr_patient")
@when(parsers.parse("the discharge date {when} is set for the patient in the EMR"), target_fixture="emr_patient")
def discharge(emr, emr_patient, when):
    return emr.discharge(emr_patient, when)


# -- what the EMR shows --------------------------------------------------------------------------

@then(parsers.parse('the EMR reports the patient was not sent because "{field}" is missing'))
def not_sent(emr_replies, field):
    rcm = emr_replies[-1]
    assert rcm.get("sent") is False, rcm
    assert field in {p["field"] for p in rcm["missing"]}, rcm["missing"]


@then("the EMR shows the patient connected to the RCM")
def connected(emr, emr_patient):
    assert emr.get(emr_patient).rcm_connected is True


@then(parsers.parse("the EMR patient has {count:d} diagnoses"))
def diagnosis_count(emr, emr_patient, count):
    assert len(emr.get(emr_patient).diagnoses) == count


@then("the EMR patient's last name is unchanged")
def last_name_unchanged(emr, stays, emr_patient):
    stays(lambda: emr.get(emr_patient).last_name == emr_patient.last_name, what="the EMR last name is unchanged")


@then(parsers.parse('the EMR patient\'s phone is not "{phone}"'))
def emr_phone_not(emr, stays, emr_patient, phone):
    stays(lambda: emr.get(emr_patient).phone != phone, what=f"the EMR phone is not {phone}")
