"""Steps that look at (and, for PAT-04, edit) the RCM."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from ..vocabulary import TYPES, rcm_location


def _prospect_id(prospect, emr_patient):
    return prospect.id if prospect else emr_patient.crm_prospect_id


def _one(patients, what):
    assert len(patients) == 1, f"expected exactly one RCM patient for {what}, found {len(patients)}"
    return patients[0]


def rcm_patient(rcm, emr_patient, eventually):
    """The RCM record of the scenario's EMR patient, once it exists."""
    found = eventually(lambda: rcm.find_patients(emr_patient_id=emr_patient.id), what="the RCM has the patient")
    return _one(found, f"EMR patient {emr_patient.id}")


@then(parsers.parse('the RCM has exactly one patient for the prospect, with status "{status}"'))
def one_for_prospect(rcm, eventually, stays, prospect, emr_patient, status):
    pid = _prospect_id(prospect, emr_patient)
    found = eventually(lambda: [p for p in rcm.find_patients(crm_prospect_id=pid) if p.status == status],
                       what=f"an RCM patient with status {status}")
    _one(found, f"prospect {pid}")
    stays(lambda: _one(rcm.find_patients(crm_prospect_id=pid), f"prospect {pid}"), what="no second RCM patient")


@then(parsers.parse('the RCM has exactly one patient for the EMR patient, with status "{status}"'))
def one_for_emr_patient(rcm, eventually, stays, emr_patient, status):
    found = eventually(lambda: [p for p in rcm.find_patients(emr_patient_id=emr_patient.id) if p.status == status],
                       what=f"an RCM patient with status {status}")
    _one(found, f"EMR patient {emr_patient.id}")
    stays(lambda: _one(rcm.find_patients(emr_patient_id=emr_patient.id), f"EMR patient {emr_patient.id}"),
          what="no second RCM patient")


@given("the RCM has no admitted patient for the EMR patient")
@then("the RCM has no admitted patient for the EMR patient")
def none_admitted(rcm, stays, emr_patient):
    def probe():
        admitted = [p for p in rcm.find_patients(emr_patient_id=emr_patient.id) if p.status == "Admitted"]
        assert admitted == [], f"the RCM admitted EMR patient {emr_patient.id}"

    stays(probe, what="the RCM has no admitted patient")


@then(parsers.parse('the RCM patient\'s profile shows first name "{first}", last name "{last}" and birthday {dob:Date}',
                    extra_types=TYPES))
def profile_shows(rcm, eventually, prospect, emr_patient, first, last, dob):
    def probe():
        if emr_patient is not None:
            found = rcm.find_patients(emr_patient_id=emr_patient.id)
        else:
            found = rcm.find_patients(crm_prospect_id=prospect.id)
        return [p for p in found if (p.profile["first_name"], p.profile["last_name"], p.profile["birthday"])
                == (first, last, dob.isoformat())]

    eventually(probe, what="the RCM profile shows the name and birthday")


@then(parsers.parse("the RCM patient has {count:d} treatment episode"))
@then(parsers.parse("the RCM patient has {count:d} treatment episodes"))
def episodes(rcm, eventually, stays, emr_patient, count):
    eventually(lambda: len(rcm_patient(rcm, emr_patient, eventually).episodes) == count,
               what=f"{count} treatment episode(s)")
    stays(lambda: len(rcm_patient(rcm, emr_patient, eventually).episodes) == count,
          what=f"{count} treatment episode(s), not more")


@then(parsers.parse('the RCM patient\'s profile phone is "{phone}"'))
def phone_is(rcm, eventually, emr_patient, phone):
    eventually(lambda: rcm_patient(rcm, emr_patient, eventually).profile["phone"] == phone,
               what=f"the RCM phone is {phone}")


@then(parsers.parse('the RCM patient\'s profile phone is not "{phone}"'))
def phone_is_not(rcm, eventually, stays, emr_patient, phone):
    stays(lambda: rcm_patient(rcm, emr_patient, eventually).profile["phone"] != phone,
          what=f"the RCM phone is not {phone}")


@then(parsers.parse('the RCM shows "{value:Text}" at "{location}"', extra_types=TYPES))
def shows(rcm, eventually, emr_patient, value, location):
    read = rcm_location(location)
    expected = {
        "(the EMR's Patient ID)": str(emr_patient.id),
        "(the EMR's MR Number)": emr_patient.mr_number,
    }.get(value, value)

    def probe():
        actual = read(rcm_patient(rcm, emr_patient, eventually))
        assert (actual or "") == expected, f"RCM {location}: expected {expected!r}, found {actual!r}"
        return True

    eventually(probe, what=f"the RCM shows {expected!r} at {location}")


def _diagnoses(rcm, emr_patient, eventually):
    return [d["code"] for d in rcm_patient(rcm, emr_patient, eventually).episodes[-1].diagnoses]


@then(parsers.parse('the RCM\'s behavioral diagnoses are "{codes}"'))
def diagnoses_are(rcm, eventually, emr_patient, codes):
    expected = [c.strip() for c in codes.split(",")]
    eventually(lambda: _diagnoses(rcm, emr_patient, eventually) == expected, what=f"RCM diagnoses {expected}")


@then(parsers.parse("the RCM has {count:d} behavioral diagnoses for the patient"))
def diagnosis_count(rcm, eventually, stays, emr_patient, count):
    eventually(lambda: len(_diagnoses(rcm, emr_patient, eventually)) == count, what=f"{count} RCM diagnoses")
    stays(lambda: len(_diagnoses(rcm, emr_patient, eventually)) == count, what=f"{count} RCM diagnoses, not more")


@then(parsers.parse('the RCM\'s behavioral diagnoses do not include "{code}"'))
def diagnoses_exclude(rcm, eventually, stays, emr_patient, code):
    stays(lambda: code not in _diagnoses(rcm, emr_patient, eventually), what=f"{code} is not among the RCM diagnoses")


@then("each RCM diagnosis start date is the date the EMR shows it was added")
def start_dates(emr, rcm, eventually, emr_patient):
    added = {d["code"]: d["added_on"] for d in emr.diagnosis_history(emr_patient)}

    def probe():
        episode = rcm_patient(rcm, emr_patient, eventually).episodes[-1]
        started = {d["code"]: d["start_date"] for d in episode.diagnoses}
        assert started == added, f"RCM start dates {started} != EMR dates added {added}"
        return True

    eventually(probe, what="RCM diagnosis start dates match the EMR")


@then(parsers.parse('the RCM shows diagnosis "{code}" starting {day:Date}', extra_types=TYPES))
def diagnosis_starts(rcm, eventually, emr_patient, code, day):
    def probe():
        episode = rcm_patient(rcm, emr_patient, eventually).episodes[-1]
        return any(d["code"] == code and d["start_date"] == day.isoformat() for d in episode.diagnoses)

    eventually(probe, what=f"RCM diagnosis {code} starting {day}")


@when(parsers.parse('the RCM patient\'s {label} is changed to "{value}" in the RCM'))
def edit_in_rcm(rcm, eventually, emr_patient, label, value):
    field = {"last name": "last_name", "phone": "phone"}[label]
    rcm.edit_profile(rcm_patient(rcm, emr_patient, eventually).id, **{field: value})


@then("the RCM patient's profile last name is the EMR's last name")
def last_name_from_emr(rcm, eventually, emr_patient):
    eventually(lambda: rcm_patient(rcm, emr_patient, eventually).profile["last_name"] == emr_patient.last_name,
               what="the RCM last name is the EMR's again")
