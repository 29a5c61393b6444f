"""The mock EMR's group sessions as Kipu's API v3 reads them: documented with the mock's own body
(each patient present billed, WF-5.1), read with their roster (patients[]) and billing codes,
filtered as Kipu filters, and a patient's own sessions only with its patient_master_id."""

from __future__ import annotations

import pytest

from billingkit import DAY, everything, items, templates
from emrkit import NOBODY, walk
from mockkit import new_patient, pin_clock, refused

CODES_GROUP = {"HCode": "", "CCode": "90853", "RCode": "", "Custom": ""}
KIPU_FIELDS = {"id", "session_start_time", "session_end_time", "group_session_title", "group_session_topic",
               "group_leader_id", "group_leader_full_name", "status", "session_type", "session_type_id", "billable",
               "billing_codes", "selected_billing_code", "place_of_service", "ancillary", "billable_claim_format",
               "location_id", "patients"}


def patient(m, first="Ann"):
    return new_patient(m, first_name=first, last_name="Lee", admission_date="2024-01-05T10:00")


def casefile(p):
    return f"{p['id']}:{p['patient_master_id']}"


def document(m, template, *rows, day=DAY, **more):
    body = {"template_id": templates(m)[template]["id"], "date": day, "attendance": list(rows), **more}
    response = m.emr.post("/api/group_sessions", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def here(p, minutes=60, **row):
    return {"patient_id": p["id"], "present": True, "minutes": minutes, **row}


def people(m):
    return {u.get("username") or u["last_name"]: u for u in m.emr.get("/api/users").get_json()["users"]}


def ids(m, **params):
    response = m.emr.get("/api/group_sessions", query_string=params)
    assert response.status_code == 200, response.get_json()
    return [s["id"] for s in response.get_json()["group_sessions"]]


# -- one session -----------------------------------------------------------------------------------

def test_a_documented_session_reads_as_kipus_group_session(mocks):
    pin_clock(mocks)
    ann, bob = patient(mocks), patient(mocks, "Bob")
    okafor = people(mocks)["Okafor"]
    made = document(mocks, "Group Therapy", here(ann, 50, note="engaged"), {"patient_id": bob["id"], "present": False},
                    start_time="14:00", end_time="15:00", group_session_topic="Coping Skills",
                    group_leader_id=okafor["id"].upper())
    session = made["group_session"]
    assert set(session) == KIPU_FIELDS
    assert session == {
        "id": session["id"], "session_start_time": f"{DAY}T14:00:00", "session_end_time": f"{DAY}T15:00:00",
        "group_session_title": "Group Therapy", "group_session_topic": "Coping Skills",
        "group_leader_id": okafor["id"], "group_leader_full_name": "Daniel Okafor", "status": "Completed",
        "session_type": "Group Therapy", "session_type_id": templates(mocks)["Group Therapy"]["id"], "billable": True,
        "billing_codes": CODES_GROUP, "selected_billing_code": "CCode", "place_of_service": "55", "ancillary": True,
        "billable_claim_format": "Professional", "location_id": 1,
        "patients": [{"patient_id": ann["id"], "casefile_id": casefile(ann), "present": True, "minutes": 50,
                      "note": "engaged"},
                     {"patient_id": bob["id"], "casefile_id": casefile(bob), "present": False, "minutes": None,
                      "note": None}]}
    assert mocks.emr.get(f"/api/group_sessions/{session['id']}").get_json() == {"group_session": session}
    # Only the patient present is billed, as before.
    assert [(i["patient_id"], i["source"]) for i in made["billing_items"]] == [(ann["id"], f"group session {session['id']}")]
    assert [i["id"] for i in items(mocks)] == [made["billing_items"][0]["id"]]


def test_a_per_diem_session_bills_its_level_of_cares_hcpcs_and_starts_at_the_default_time(mocks):
    ann = patient(mocks)
    session = document(mocks, "Residential Day", here(ann, 360), here(patient(mocks, "Cy"), 300))["group_session"]
    assert session["billing_codes"] == {"HCode": "H0018", "CCode": "", "RCode": "1002", "Custom": ""}
    assert (session["selected_billing_code"], session["ancillary"], session["billable_claim_format"]) == \
        ("HCode", False, "Institutional")
    # No start time: the integration's default_time (00:00); no end time: the longest attendance.
    assert (session["session_start_time"], session["session_end_time"]) == (f"{DAY}T00:00:00", f"{DAY}T06:00:00")
    assert (session["group_leader_id"], session["group_leader_full_name"], session["group_session_topic"]) == \
        (None, None, None)
    untimed = document(mocks, "Group Therapy", {"patient_id": ann["id"], "present": True}, leader="Sam Ortiz",
                       start_time="09:30")["group_session"]
    assert (untimed["session_start_time"], untimed["session_end_time"]) == (f"{DAY}T09:30:00", None)
    assert (untimed["group_leader_id"], untimed["group_leader_full_name"]) == (None, "Sam Ortiz")


def test_a_session_on_a_level_of_care_without_codes_is_not_billable(mocks):
    days = {d: True for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")}
    assert mocks.emr.post("/api/care_levels", json={"care_level_name": "Sober Living", "days_of_the_week": days}).status_code == 201
    assert mocks.emr.post("/api/billable_templates", json={"name": "Sober Day", "kind": "group_session",
                                                           "billing": "per_diem", "level_of_care": "Sober Living"}).status_code == 201
    session = document(mocks, "Sober Day", here(patient(mocks)))["group_session"]
    assert (session["billable"], session["selected_billing_code"]) == (False, None)
    assert session["billing_codes"] == {"HCode": "", "CCode": "", "RCode": "", "Custom": ""}


@pytest.mark.parametrize("change, status, field", [
    ({"location_id": 7}, 404, "location_id"),
    ({"group_leader_id": NOBODY}, 404, "group_leader_id"),
    ({"group_leader_id": "Okafor"}, 422, "group_leader_id"),
    ({"start_time": "10:00", "end_time": "09:59"}, 409, "end_time"),
    ({"start_time": "24:00"}, 422, "start_time"),
    ({"end_time": "9:00"}, 422, "end_time"),
], ids=["unknown location", "unknown leader", "leader not a uuid", "ends before it starts", "no such hour", "one-digit hour"])
def test_a_session_with_a_bad_location_leader_or_time_is_refused_and_bills_nothing(mocks, change, status, field):
    ann = patient(mocks)
    before = everything(mocks.suite)
    body = {"template_id": templates(mocks)["Group Therapy"]["id"], "date": DAY, "attendance": [here(ann)], **change}
    refused(mocks.emr.post("/api/group_sessions", json=body), status, {field})
    assert everything(mocks.suite) == before


def test_an_unknown_group_session_is_a_json_404(mocks):
    named = refused(mocks.emr.get("/api/group_sessions/99"), 404, {"id"})
    assert "99" in named["id"]


# -- lists and filters -----------------------------------------------------------------------------------

@pytest.fixture
def sessions(mocks):
    """Five sessions, documented out of order: by id, 1 (Mar 6, 09:00), 2 (Mar 5, 14:00), 3 (Mar 5, 09:00,
    at location 2), 4 (Mar 4, a per-diem day), 5 (Mar 5, 09:00, another topic)."""
    with mocks.suite.contexts["emr"].store.transaction() as tx:
        second = tx.insert("location", {"location_name": "Round Rock", "enabled": True, "buildings": []})
        second["location_id"] = second["id"]
        tx.put("location", second)
    ann, bob = patient(mocks), patient(mocks, "Bob")
    lead = people(mocks)
    made = [
        document(mocks, "Group Therapy", here(ann), day="2026-03-06", start_time="09:00", group_session_topic="Relapse",
                 group_leader_id=lead["Okafor"]["id"]),
        document(mocks, "Group Therapy", here(ann), here(bob), start_time="14:00", group_session_topic="Coping Skills",
                 group_leader_id=lead["Reyes"]["id"]),
        document(mocks, "Group Therapy", here(bob), start_time="09:00", location_id=second["id"],
                 group_session_topic="coping skills", group_leader_id=lead["Okafor"]["id"]),
        document(mocks, "Residential Day", here(ann, 360), day="2026-03-04"),
        document(mocks, "Group Therapy", here(bob), start_time="09:00", group_session_topic="Coping"),
    ]
    return {"ann": ann, "bob": bob, "lead": lead, "ids": [m["group_session"]["id"] for m in made],
            "location": second["id"]}


def test_the_list_is_in_order_of_start_and_walks_to_the_last_page(mocks, sessions):
    one, two, three, four, five = sessions["ids"]
    listed = walk(mocks, "/api/group_sessions", "group_sessions")
    assert [s["id"] for s in listed] == [four, three, five, two, one]
    assert all(set(s) == KIPU_FIELDS for s in listed)
    assert listed[1]["location_id"] == sessions["location"]


def test_each_filter_filters(mocks, sessions):
    one, two, three, four, five = sessions["ids"]
    group = templates(mocks)["Group Therapy"]["id"]
    assert ids(mocks, location_id=sessions["location"]) == [three]
    assert ids(mocks, location_id=1) == [four, five, two, one]
    assert ids(mocks, location_id=99) == []
    assert ids(mocks, group_leader_id=sessions["lead"]["Okafor"]["id"]) == [three, one]
    assert ids(mocks, group_leader_id=sessions["lead"]["biller"]["id"]) == []
    assert ids(mocks, group_session_topic="COPING SKILLS") == [three, two]  # the whole topic, letter case aside
    assert ids(mocks, group_session_topic="Coping") == [five]
    assert ids(mocks, session_type_id=group) == [three, five, two, one]
    assert ids(mocks, session_type_id=templates(mocks)["Residential Day"]["id"]) == [four]
    assert ids(mocks, billable="true") == [four, three, five, two, one]
    assert ids(mocks, billable="False") == [] and ids(mocks, billable="1") == ids(mocks, billable="True")
    assert ids(mocks, session_start_date=DAY) == [three, five, two, one]
    assert ids(mocks, session_end_date=DAY) == [four, three, five, two]
    assert ids(mocks, session_start_date=DAY, session_end_date=DAY) == [three, five, two]
    assert ids(mocks, session_start_date=DAY, session_end_date=DAY, location_id=1, group_session_topic="coping skills") \
        == [two]
    assert [s["id"] for s in walk(mocks, "/api/group_sessions", "group_sessions", session_end_date=DAY,
                                  session_type_id=str(group))] == [three, five, two]


@pytest.mark.parametrize("params, field, status", [
    ({"session_start_date": "2026-03-06", "session_end_date": "2026-03-05"}, "session_end_date", 409),
    ({"session_start_date": "2026-02-30"}, "session_start_date", 422),
    ({"billable": "yes"}, "billable", 422),
    ({"location_id": "one"}, "location_id", 422),
    ({"group_leader_id": "42"}, "group_leader_id", 422),
], ids=["ends before it starts", "no such day", "not a boolean", "not an id", "not a uuid"])
def test_a_bad_filter_is_refused_naming_it(mocks, sessions, params, field, status):
    refused(mocks.emr.get("/api/group_sessions", query_string=params), status, {field})


# -- a patient's sessions ----------------------------------------------------------------------------------

def test_a_patients_sessions_show_only_that_patients_row(mocks, sessions):
    one, two, three, four, five = sessions["ids"]
    bob = sessions["bob"]
    path = f"/api/patients/{bob['id']}/group_sessions"
    listed = walk(mocks, path, "group_sessions", patient_master_id=bob["patient_master_id"])
    assert [s["id"] for s in listed] == [three, five, two]
    assert all(s["patients"] == [{"patient_id": bob["id"], "casefile_id": casefile(bob), "present": True,
                                  "minutes": 60, "note": None}] for s in listed)
    whole = mocks.emr.get(f"/api/group_sessions/{two}").get_json()["group_session"]
    assert len(whole["patients"]) == 2 and {k: v for k, v in whole.items() if k != "patients"} == \
        {k: v for k, v in listed[2].items() if k != "patients"}
    filtered = mocks.emr.get(path, query_string={"patient_master_id": bob["patient_master_id"], "location_id": 1})
    assert [s["id"] for s in filtered.get_json()["group_sessions"]] == [five, two]
    one_of_them = mocks.emr.get(f"{path}/{two}", query_string={"patient_master_id": bob["patient_master_id"]})
    assert one_of_them.status_code == 200 and one_of_them.get_json() == {"group_session": listed[2]}
    # A session the patient is not on, and one that does not exist.
    for missing in (one, 99):
        named = refused(mocks.emr.get(f"{path}/{missing}", query_string={"patient_master_id": bob["patient_master_id"]}),
                        404, {"id"})
        assert str(missing) in named["id"]


@pytest.mark.parametrize("suffix", ["", "/{session}"], ids=["list", "one"])
def test_a_patients_sessions_need_its_patient_master_id(mocks, sessions, suffix):
    ann, bob = sessions["ann"], sessions["bob"]
    path = f"/api/patients/{ann['id']}/group_sessions" + suffix.format(session=sessions["ids"][0])
    response = mocks.emr.get(path)
    refused(response, response.status_code if response.status_code in (400, 422) else 400, {"patient_master_id"})
    refused(mocks.emr.get(path, query_string={"patient_master_id": bob["patient_master_id"]}), 404, {"patient_master_id"})
    refused(mocks.emr.get(path.replace(f"/patients/{ann['id']}/", "/patients/99/"),
                          query_string={"patient_master_id": ann["patient_master_id"]}), 404, {"id"})
    assert mocks.emr.get(path, query_string={"patient_master_id": ann["patient_master_id"]}).status_code == 200

