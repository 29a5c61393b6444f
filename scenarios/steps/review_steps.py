"""Steps for Step 4 and the Authorizations table: U/R and standalone authorizations."""

from __future__ import annotations

import json

from pytest_bdd import given, parsers, then, when

from kipu_harness.contract import Refusal

from ..vocabulary import TYPES
from .insurance_steps import _ids, payer_id
from .rcm_steps import rcm_patient

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# The Authorizations table, EMR column -> how to read it from the EMR's utilization review.
EMR_REVIEW = {
    "Start Date": lambda r: r["start_date"],
    "End Date": lambda r: r["end_date"],
    "# of Days": lambda r: str(r["number_of_days"]),
    "Auth Date": lambda r: r["authorization_date"],
    "Authorization #": lambda r: r["authorization_number"],
    "Status": lambda r: r["status"],
    "Managed": lambda r: r["managed"],
    "Level of Care": lambda r: r["level_of_care"],
    "Next Review": lambda r: r["next_review"],
    "Days of Week": lambda r: ", ".join(d for d in DAYS if (r["days_of_week"] or {}).get(d)),
    "Insurance": lambda r: r["insurance"],
}


@given(parsers.parse('the EMR\'s level of care "{name}" runs "{days}"'))
def care_level(emr, name, days):
    # A level of care is the facility's configuration, shared by every scenario: added where it is
    # missing (another scenario may add it at the same moment), and then it must run these days.
    running = {d.strip() for d in days.split(",")}
    wanted = {d: d in running for d in DAYS}

    def configured():
        return [c for c in emr.care_levels() if c["care_level_name"] == name]

    if not configured():
        try:
            emr.add_care_level(name, wanted)
        except Refusal:
            assert configured(), f"the EMR refused to add the level of care {name!r}"
    found = configured()
    assert all({d: bool(c["days_of_the_week"].get(d)) for d in DAYS} == wanted for c in found), (
        f"the EMR's level of care {name!r} runs other days than {days!r}: {found}")


def _review(service, start, end, units, status, **extra):
    return {"service": service, "start_date": start.isoformat(), "end_date": end.isoformat(), "units": units,
            "authorization_status": status,
            "authorization_number": extra.pop("authorization_number", "AUTH-0001" if status == "Authorized" else None),
            **extra}


UR = '"{service}" from {start:Date} to {end:Date} with {units:d} units, "{status}"'


@when(parsers.parse(f"the user adds a U/R for {UR}, through the window", extra_types=TYPES))
def add_through_window(rcm, window, service, start, end, units, status):
    rcm.window(window, "/utilization_reviews", "POST", **_review(service, start, end, units, status))


@given(parsers.parse(f"the RCM user adds a U/R for {UR}", extra_types=TYPES))
@when(parsers.parse(f"the RCM user adds a U/R for {UR}", extra_types=TYPES))
def rcm_adds(rcm, own, eventually, emr_patient, service, start, end, units, status):
    # The Background's payer: finalizing the U/R later must keep it (a PATCH without payer).
    rcm.save_authorization(*_ids(rcm, eventually, emr_patient),
                           **_review(service, start, end, units, status, payer=payer_id(rcm, own, "Aetna")))


@when(parsers.parse(f"the RCM user adds a standalone authorization for {UR}", extra_types=TYPES))
def rcm_adds_standalone(rcm, eventually, emr_patient, service, start, end, units, status):
    rcm.save_authorization(*_ids(rcm, eventually, emr_patient), kind="standalone_authorizations",
                           **_review(service, start, end, units, status))


@when("the RCM user saves this utilization review for the patient:")
def rcm_saves_table(rcm, own, eventually, emr_patient, datatable):
    row = dict(zip(datatable[0], datatable[1]))
    rcm.save_authorization(*_ids(rcm, eventually, emr_patient), service=row["service"],
                           start_date=row["start date"], end_date=row["end date"], units=int(row["units"]),
                           authorization_number=row["authorization number"], authorization_status=row["status"],
                           um_follow_up_date=row["UM follow-up date"], payer=payer_id(rcm, own, row["payer"]))


@when(parsers.parse('the RCM user finalizes the U/R as "{status}" with authorization number "{number}" and '
                    '{units:d} units'))
def finalize(rcm, eventually, emr_patient, status, number, units):
    review = rcm_patient(rcm, emr_patient, eventually).episodes[-1].utilization_reviews[-1]
    rcm.save_authorization(*_ids(rcm, eventually, emr_patient), review_id=review["id"], authorization_status=status,
                           authorization_number=number, units=units)


@when(parsers.parse("the RCM user changes the U/R's units to {units:d}"))
def change_units(rcm, eventually, emr_patient, units):
    review = rcm_patient(rcm, emr_patient, eventually).episodes[-1].utilization_reviews[-1]
    rcm.save_authorization(*_ids(rcm, eventually, emr_patient), review_id=review["id"], units=units)


@then(parsers.parse('the RCM\'s U/R authorization number is still "{number}"'))
def rcm_number_kept(rcm, eventually, stays, emr_patient, number):
    """AUTH-01: the RCM is the source of truth; an EMR-only edit never flows back to it."""
    stays(lambda: rcm_patient(rcm, emr_patient, eventually).episodes[-1].utilization_reviews[-1]
          ["authorization_number"] == number, what=f"the RCM's authorization number is still {number}")


@then(parsers.parse("the RCM holds {count:d} utilization review for the patient"))
def rcm_count(rcm, eventually, stays, emr_patient, count):
    stays(lambda: len(rcm_patient(rcm, emr_patient, eventually).episodes[-1].utilization_reviews) == count,
          what=f"{count} utilization review(s) in the RCM")


@then(parsers.parse('the RCM holds a standalone authorization for "{service}" for the patient'))
def rcm_standalone(rcm, eventually, emr_patient, service):
    held = rcm_patient(rcm, emr_patient, eventually).episodes[-1].standalone_authorizations
    assert [a["service"] for a in held] == [service]


def emr_review(emr, emr_patient):
    reviews = emr.utilization_reviews(emr_patient)
    assert len(reviews) == 1, f"expected one utilization review in the EMR, found {len(reviews)}"
    return reviews[0]


@then(parsers.parse("the EMR shows {count:d} utilization review for the patient, from the RCM"))
def emr_count(emr, eventually, stays, emr_patient, count):
    eventually(lambda: len(emr.utilization_reviews(emr_patient)) == count, what=f"{count} U/R in the EMR")
    stays(lambda: len(emr.utilization_reviews(emr_patient)) == count, what=f"{count} U/R in the EMR, not more")
    assert all(r["rcm_review_id"] for r in emr.utilization_reviews(emr_patient))


@then(parsers.parse('the EMR\'s utilization review shows "{value:Text}" as "{field}"', extra_types=TYPES))
def emr_shows(emr, own, eventually, emr_patient, value, field):
    value = own.shown(value)  # the scenario's own payer, as the EMR shows it

    def probe():
        actual = EMR_REVIEW[field](emr_review(emr, emr_patient))
        assert actual == value, f"EMR {field}: expected {value!r}, found {actual!r}"
        return True

    eventually(probe, what=f"the EMR's U/R shows {value!r} as {field}")


@then(parsers.parse('the EMR\'s utilization review shows status "{status}", authorization number "{number}" and '
                    '{days:d} days'))
def emr_finalized(emr, eventually, emr_patient, status, number, days):
    eventually(lambda: (lambda r: (r["status"], r["authorization_number"], r["number_of_days"]) == (status, number, days))(
        emr_review(emr, emr_patient)), what="the EMR shows the finalized U/R")


@given(parsers.parse('the EMR user changes the utilization review\'s authorization number to "{value}" in the EMR'))
@when(parsers.parse('the EMR user changes the utilization review\'s authorization number to "{value}" in the EMR'))
def emr_local_edit(emr, eventually, emr_patient, value):
    review = eventually(lambda: emr_review(emr, emr_patient), what="the U/R reached the EMR")
    emr.edit_utilization_review(emr_patient, review["id"], authorization_number=value)


@then("the last message the RCM sent to the EMR has no days of the week")
def no_days_sent(target, emr_patient):
    # The RCM's outbox holds every patient's messages: the last of this patient's U/R messages.
    sent = [json.loads(d["body"]) for d in target.controls["rcm"].outbox() if d["path"].endswith("/utilization_reviews")]
    mine = [b for b in sent if str(b.get("emr_patient_id")) == str(emr_patient.id)]
    assert mine, "the RCM sent the EMR no U/R message for the patient"
    body = mine[-1]
    assert body["utilization_reviews"] and all("days_of_week" not in r for r in body["utilization_reviews"])
