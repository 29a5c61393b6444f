"""Steps for Step 3 and the Insurance table: payers, the Insurance Set, windows, eligibility."""

from __future__ import annotations

import datetime as dt

from pytest_bdd import given, parsers, then, when

from ..vocabulary import TYPES
from .rcm_steps import rcm_patient
from .shared_steps import attempt

# The Insurance table, EMR column -> how to read it from the EMR's mirrored insurance.
EMR_INSURANCE = {
    "Company": lambda i: i["insurance_company"],
    "Policy No.": lambda i: i["policy_no"],
    "Plan Name": lambda i: i["plan_name"],
    "Effective Date": lambda i: i["effective_date"],
    "Insurance Priority": lambda i: i["insurance_type"],
    "Phone": lambda i: i["insurance_phone"],
    "Subscriber": lambda i: f"{i['subscriber_first_name']} {i['subscriber_last_name']}",
    "Relationship": lambda i: i["subscriber_relationship"],
    "SSN (Subscriber)": lambda i: i["subscriber_SSN"],
    "DOB (Subscriber)": lambda i: i["subscriber_DOB"],
    "Gender (Subscriber)": lambda i: i["subscriber_gender"],
    "Subscriber Address": lambda i: "N/A" if i["subscriber_address_street"] == "N/A" else
        f"{i['subscriber_address_street']}, {i['subscriber_address_city']}, "
        f"{i['subscriber_address_state']} {i['subscriber_address_zip']}",
}
WINDOWS = {"Manage Insurance": "insurance", "Manage Review": "review"}


def own_payer(rcm, own, name, pid, phone):
    """The scenario's own payer for what the feature calls ``name``, added to the RCM's payer list
    once per scenario under its marked name: never another scenario's or another run's "Aetna"."""
    if ("payer", name) not in own.ids:
        made = rcm.add_payer(name=own.name(name), payer_id=pid, phone=phone, claim_formats=["837P", "837I"])
        own.ids[("payer", name)] = made["id"]
    return own.ids[("payer", name)]


def payer_id(rcm, own, name):
    """The id of the scenario's own payer ``name``; the scenario must have added it."""
    if ("payer", name) in own.ids:
        return own.ids[("payer", name)]
    found = [p for p in rcm.payers() if p["name"] == own.name(name)]
    assert found, f"no payer {own.name(name)!r} in the RCM's payer list: the scenario adds its own {name!r} first"
    return found[0]["id"]


def insurance_body(rcm, own, fake, emr_patient, priority, payer, relationship, member_id=None):
    policy = fake.policy()
    member = own.member(member_id) if member_id else policy["insurance_id"]
    holder = {"relationship": relationship, "insurance_id": member, "plan_name": policy["plan_name"]}
    if relationship != "Self":
        holder.update(fake.subscriber(relationship, dt.date.fromisoformat(emr_patient.dob)))
    return {"priority": priority, "payer": payer_id(rcm, own, payer), "effective_date": "2026-01-01",
            "policy_holder": holder}


def entry(rcm, eventually, emr_patient, priority):
    episode = rcm_patient(rcm, emr_patient, eventually).episodes[-1]
    found = [i for i in episode.insurances if i["priority"] == priority]
    assert found, f"no {priority} insurance in the RCM's Insurance Set"
    return found[0]


def _ids(rcm, eventually, emr_patient):
    patient = rcm_patient(rcm, emr_patient, eventually)
    return patient.id, patient.episodes[-1].id


# -- payers ---------------------------------------------------------------------------------------

@given(parsers.parse('the RCM\'s payer list has "{name}" with payer ID "{pid}" and phone "{phone}"'))
def payer_listed(rcm, own, name, pid, phone):
    own_payer(rcm, own, name, pid, phone)


# -- windows -------------------------------------------------------------------------------------

@given(parsers.parse("the user opens {name} for the patient in the EMR"), target_fixture="window")
@when(parsers.parse("the user opens {name} for the patient in the EMR"), target_fixture="window")
def open_window(emr, emr_patient, name):
    return emr.open_window(emr_patient, WINDOWS[name])


@when(parsers.parse('the user adds a "{priority:Text}" insurance with payer "{payer:Text}" for the patient as '
                    '"{relationship:Text}" through the window', extra_types=TYPES))
def add_through_window(rcm, own, fake, refusals, emr_patient, window, priority, payer, relationship):
    body = insurance_body(rcm, own, fake, emr_patient, priority, payer, relationship)
    attempt(refusals, "RCM", lambda: rcm.window(window, "/insurances", "POST", **body))


@given(parsers.parse('the user adds a "{priority:Text}" insurance with payer "{payer:Text}" and member ID "{member:Text}" for the '
                     'patient as "{relationship:Text}" through the window', extra_types=TYPES))
def add_member_through_window(rcm, own, fake, emr_patient, window, priority, payer, member, relationship):
    body = insurance_body(rcm, own, fake, emr_patient, priority, payer, relationship, member)
    rcm.window(window, "/insurances", "POST", **body)


@given(parsers.parse("another patient admitted through the EMR"), target_fixture="other_patient")
def other_patient(emr, rcm, fake, eventually):
    from .emr_steps import _admitted, _new_patient

    return _admitted(emr, rcm, eventually, _new_patient(emr, fake, "Otto Vance"))


@when(parsers.parse("the link is used {how}"))
def misuse(rcm, own, fake, refusals, emr_patient, window, how, request):
    from kipu_harness.clients import Window

    if how == "for another patient":
        other = request.getfixturevalue("other_patient")
        window = Window(window.path.replace(f"/{emr_patient.id}/", f"/{other.id}/"), window.token, window.expires_at)
    elif how == "to write insurance":
        window = Window(window.path.replace("/review", "/insurance"), window.token, window.expires_at)
    elif how == "with its signature altered":
        window = Window(window.path, window.token[:-4] + ("AAAA" if not window.token.endswith("AAAA") else "BBBB"),
                        window.expires_at)
    body = insurance_body(rcm, own, fake, emr_patient, "primary", "Aetna", "Self")
    attempt(refusals, "RCM", lambda: rcm.window(window, "/insurances", "POST", **body))


# -- the Insurance Set -------------------------------------------------------------------------------

@given(parsers.parse('the RCM user adds a "{priority:Text}" insurance with payer "{payer:Text}" for the patient as "{relationship:Text}"', extra_types=TYPES))
@when(parsers.parse('the RCM user adds a "{priority:Text}" insurance with payer "{payer:Text}" for the patient as "{relationship:Text}"', extra_types=TYPES))
def rcm_adds(rcm, own, fake, eventually, refusals, emr_patient, priority, payer, relationship):
    body = insurance_body(rcm, own, fake, emr_patient, priority, payer, relationship)
    attempt(refusals, "RCM", lambda: rcm.save_insurance(*_ids(rcm, eventually, emr_patient), **body))


@given(parsers.parse('the RCM user adds a "{priority:Text}" insurance with payer "{payer:Text}" and member ID "{member:Text}" for the '
                     'patient as "{relationship:Text}"', extra_types=TYPES))
def rcm_adds_member(rcm, own, fake, eventually, emr_patient, priority, payer, member, relationship):
    body = insurance_body(rcm, own, fake, emr_patient, priority, payer, relationship, member)
    rcm.save_insurance(*_ids(rcm, eventually, emr_patient), **body)


@when(parsers.parse('the RCM user saves this "{priority:Text}" insurance for the patient:', extra_types=TYPES))
def rcm_saves_table(rcm, own, eventually, emr_patient, priority, datatable):
    row = dict(zip(datatable[0], datatable[1]))
    first, last = row["subscriber"].split(" ", 1)
    body = {"priority": priority, "payer": payer_id(rcm, own, row["payer"]), "effective_date": row["effective date"],
            "policy_holder": {"insurance_id": row["insurance ID"], "plan_name": row["plan name"],
                              "relationship": row["relationship"], "first_name": first, "last_name": last,
                              "birthday": row["birthday"], "gender": row["gender"]}}
    rcm.save_insurance(*_ids(rcm, eventually, emr_patient), **body)


@when(parsers.parse('the RCM user changes the "{priority:Text}" insurance\'s plan name to "{plan}"', extra_types=TYPES))
def rcm_changes_plan(rcm, eventually, emr_patient, priority, plan):
    found = entry(rcm, eventually, emr_patient, priority)
    rcm.save_insurance(*_ids(rcm, eventually, emr_patient), insurance_id=found["id"],
                       policy_holder={"plan_name": plan})


@when(parsers.parse('the RCM user verifies the patient\'s "{priority:Text}" insurance as "{who}"', extra_types=TYPES))
def rcm_verifies(rcm, eventually, emr_patient, priority, who):
    rcm.verify_insurance(*_ids(rcm, eventually, emr_patient), entry(rcm, eventually, emr_patient, priority)["id"], who)


@then(parsers.parse('the patient\'s "{priority:Text}" insurance is verified by "{who}" in the RCM', extra_types=TYPES))
def verified(rcm, eventually, emr_patient, priority, who):
    assert entry(rcm, eventually, emr_patient, priority)["verified"]["by"] == who


@then(parsers.parse('the RCM\'s Insurance Set for the patient holds "{priority:Text}" with payer "{payer:Text}"', extra_types=TYPES))
def holds_with_payer(rcm, own, eventually, emr_patient, priority, payer):
    assert entry(rcm, eventually, emr_patient, priority)["payer"]["name"] == own.shown(payer)


@then(parsers.parse('the RCM\'s Insurance Set for the patient holds "{priorities}"'))
def holds(rcm, eventually, emr_patient, priorities):
    held = [i["priority"] for i in rcm_patient(rcm, emr_patient, eventually).episodes[-1].insurances]
    assert held == [p.strip() for p in priorities.split(",")]


@then("the RCM's Insurance Set for the patient is empty")
def empty_set(rcm, eventually, stays, emr_patient):
    stays(lambda: rcm_patient(rcm, emr_patient, eventually).episodes[-1].insurances == (),
          what="the RCM's Insurance Set is empty")


@then(parsers.parse('the RCM\'s "{priority:Text}" insurance ID is not "{value}"', extra_types=TYPES))
def rcm_insurance_id_not(rcm, eventually, stays, emr_patient, priority, value):
    stays(lambda: entry(rcm, eventually, emr_patient, priority)["policy_holder"]["insurance_id"] != value,
          what=f"the RCM's {priority} insurance ID is not {value}")


@then(parsers.parse("the RCM's \"{priority}\" policy holder has the patient's {field}"))
def self_holder(emr, rcm, eventually, emr_patient, priority, field):
    """INS-11/INS-14: for Self, the RCM's policy holder gets the EMR patient's SSN and address."""
    patient = emr.get(emr_patient)
    home = patient.address
    wanted = patient.ssn if field == "SSN (Subscriber)" else {"address": home.street, "city": home.city,
                                                               "state": home.state, "zip_code": home.zip}

    def probe():
        holder = entry(rcm, eventually, emr_patient, priority)["policy_holder"]
        found = holder["ssn"] if field == "SSN (Subscriber)" else holder["address"]
        assert found == wanted, f"the RCM's {priority} policy holder has {found!r}, the EMR patient {wanted!r}"
        return True

    eventually(probe, what=f"the RCM's {priority} policy holder has the patient's {field}")


@then(parsers.parse('the RCM\'s "{priority}" policy holder SSN is not "{ssn}"'))
def holder_ssn_not(rcm, eventually, stays, emr_patient, priority, ssn):
    stays(lambda: entry(rcm, eventually, emr_patient, priority)["policy_holder"]["ssn"] != ssn,
          what=f"the RCM's {priority} policy holder SSN is not {ssn} (not sent yet)")


# -- the EMR's mirror -----------------------------------------------------------------------------

def emr_insurance(emr, emr_patient, priority):
    found = [i for i in emr.insurances(emr_patient) if i["insurance_type"] == priority]
    assert len(found) == 1, f"expected one {priority} insurance in the EMR, found {len(found)}"
    return found[0]


@then(parsers.parse("the EMR shows {count:d} insurance for the patient, from the RCM"))
def emr_count(emr, eventually, stays, emr_patient, count):
    eventually(lambda: len(emr.insurances(emr_patient)) == count, what=f"{count} insurance(s) in the EMR")
    stays(lambda: len(emr.insurances(emr_patient)) == count, what=f"{count} insurance(s) in the EMR, not more")
    assert all(i["rcm_insurance_id"] for i in emr.insurances(emr_patient))


@then(parsers.parse('the EMR shows the insurance priorities "{priorities}" for the patient'))
def emr_priorities(emr, eventually, emr_patient, priorities):
    expected = [p.strip() for p in priorities.split(",")]
    eventually(lambda: sorted(i["insurance_type"] for i in emr.insurances(emr_patient)) == sorted(expected),
               what=f"EMR priorities {expected}")


@then(parsers.parse('the EMR\'s "{priority:Text}" insurance shows "{value:Text}" as "{field}"', extra_types=TYPES))
def emr_shows(emr, rcm, own, eventually, emr_patient, priority, value, field):
    patient = emr.get(emr_patient)
    home = patient.address
    expected = {
        "(the patient's SSN)": patient.ssn,
        "(the patient's address)": f"{home.street}, {home.city}, {home.state} {home.zip}",
        "(the patient's birth sex)": patient.gender,
    }.get(value, own.shown(value))  # the scenario's own payer, as the EMR shows it
    if value == "(the RCM's insurance ID)":
        expected = entry(rcm, eventually, emr_patient, priority.lower())["policy_holder"]["insurance_id"]

    def probe():
        actual = EMR_INSURANCE[field](emr_insurance(emr, emr_patient, priority))
        assert actual == expected, f"EMR {field}: expected {expected!r}, found {actual!r}"
        return True

    eventually(probe, what=f"the EMR shows {expected!r} as {field}")


@when(parsers.parse('the EMR user changes the "{priority:Text}" insurance\'s policy number to "{value}" in the EMR', extra_types=TYPES))
def emr_local_edit(emr, eventually, emr_patient, priority, value):
    found = eventually(lambda: emr_insurance(emr, emr_patient, priority), what="the insurance reached the EMR")
    emr.edit_insurance(emr_patient, found["id"], policy_no=value)


# -- eligibility ------------------------------------------------------------------------------------

@given(parsers.parse('the payer answers eligibility for member "{member:Text}" as "{outcome}"', extra_types=TYPES))
def payer_outcome(target, own, member, outcome):
    target.payer.set_member(own.member(member), outcome)


@when(parsers.parse('the user checks eligibility of the "{priority:Text}" insurance through the window', extra_types=TYPES))
def check_through_window(rcm, eventually, emr_patient, window, priority):
    found = entry(rcm, eventually, emr_patient, priority)
    rcm.window(window, f"/insurances/{found['id']}/eligibility", "POST")


@when(parsers.parse('the RCM user checks eligibility of the "{priority:Text}" insurance', extra_types=TYPES))
def rcm_checks(rcm, eventually, emr_patient, priority):
    rcm.check_eligibility(*_ids(rcm, eventually, emr_patient), entry(rcm, eventually, emr_patient, priority)["id"])


@then(parsers.parse('the RCM keeps the eligibility result "{outcome}" on the "{priority:Text}" insurance', extra_types=TYPES),
      target_fixture="eligibility")
def eligibility_kept(rcm, eventually, emr_patient, outcome, priority):
    result = entry(rcm, eventually, emr_patient, priority)["eligibility"]
    assert result and result["status"] == outcome, result
    return result


@then(parsers.parse('the eligibility result lists active coverage for service types "{types}"'))
def active_coverage(eligibility, types):
    active = {t for b in eligibility["benefits"] if b["info"] == "1" for t in b["service_types"]}
    assert {t.strip() for t in types.split(",")} <= active, eligibility["benefits"]


@then("the eligibility result lists inactive coverage")
def inactive_coverage(eligibility):
    assert any(b["info"] == "6" for b in eligibility["benefits"]), eligibility["benefits"]


@then("the eligibility result says authorization is required")
def auth_required(eligibility):
    assert any(b["authorization_required"] for b in eligibility["benefits"]), eligibility["benefits"]


@then(parsers.parse('the eligibility result names the rejection reason "{code}"'))
def rejection(eligibility, code):
    assert eligibility["reject_reason"] == code and eligibility["benefits"] == []


def _members(rcm, eventually, emr_patient):
    """The member IDs of the patient's Insurance Set: what picks its own 270s and 271s out of a journal
    other scenarios write to as well."""
    return {i["policy_holder"]["insurance_id"] for i in rcm_patient(rcm, emr_patient, eventually).episodes[-1].insurances}


def _of_members(entries, members):
    return [e for e in entries if any(f"*MI*{m}~" in e["body"].replace("\n", "") for m in members)]


@then("the RCM journal holds the 270 sent and the 271 received")
def journal_x12(target, rcm, eventually, emr_patient):
    members = _members(rcm, eventually, emr_patient)
    entries = _of_members(target.controls["rcm"].journal("x12"), members)
    assert len(entries) >= 2, f"the RCM journal holds {[e['summary'] for e in entries]} for members {members}"
    assert entries[-2]["summary"].startswith("270 sent") and entries[-2]["body"].startswith("ISA*")
    assert entries[-1]["summary"] == "271 received" and "ST*271*" in entries[-1]["body"]


@when(parsers.parse('the RCM user reviews the eligibility result of the "{priority:Text}" insurance as "{who}"', extra_types=TYPES))
def review(rcm, eventually, emr_patient, priority, who):
    rcm.review_eligibility(*_ids(rcm, eventually, emr_patient), entry(rcm, eventually, emr_patient, priority)["id"], who)


@then(parsers.parse('the eligibility result of the "{priority:Text}" insurance is reviewed by "{who}"', extra_types=TYPES))
def reviewed(rcm, eventually, emr_patient, priority, who):
    assert entry(rcm, eventually, emr_patient, priority)["eligibility"]["reviewed"]["by"] == who


@then("the last 270 the payer received names the subscriber and the patient as a dependent")
def dependent_270(target, rcm, own, eventually, emr_patient):
    from kipu_harness.wire.x12 import eligibility as x12

    received = [e for e in _of_members(target.controls["payer"].journal("x12"), _members(rcm, eventually, emr_patient))
                if e["summary"] == "270 received"]
    assert received, "the payer received no 270 for the patient's member ID"
    inquiry, _ = x12.parse_270(received[-1]["body"])
    assert inquiry.dependent is not None
    assert (inquiry.dependent.first_name, inquiry.dependent.last_name) == (emr_patient.first_name, emr_patient.last_name)
    assert inquiry.subscriber.last_name != "" and inquiry.subscriber.member_id == own.shown("C200000001")
