"""The mock EMR's evaluations as Kipu's API v3 has them: evaluation templates, a patient evaluation
documented with Kipu's `document` body (which bills it, WF-5.1), listed and shown (include_settings),
filtered as Kipu filters, and a patient's own only with its patient_master_id."""

from __future__ import annotations

import pytest

from billingkit import DAY, REYES, everything, items, templates
from emrkit import walk
from kipu_harness.clients import EmrClient
from kipu_harness.model import Patient
from kipu_harness.transport import FlaskTransport
from mockkit import new_patient, pin_clock, refused

LISTED = {"id", "name", "status", "patient_casefile_id", "evaluation_id", "patient_process_id", "created_at",
          "created_by", "updated_at", "updated_by", "evaluation_content", "billing_item_id"}
SETTINGS = {"billable", "evaluation_type", "billing_codes", "place_of_service", "billable_claim_format", "ancillary",
            "rendering_provider", "locked", "patient_evaluation_items"}
HERE = [{"location_id": 1, "location_name": "Kipu Harness Recovery Center"}]


def patient(m, first="Ann", **more):
    return new_patient(m, first_name=first, last_name="Lee", admission_date="2024-01-05T10:00", **more)


def therapy(m):
    return templates(m)["Individual Therapy 60"]["id"]


def post(m, p, **data):
    return m.emr.post(f"/api/patients/{p['id']}/patient_evaluations",
                      json={"document": {"recipient_id": "acme-app", "data": data}})


def documented(m, p, **data):
    response = post(m, p, **{"evaluation_id": therapy(m), "start_time": DAY, **data})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ids(m, path="/api/patient_evaluations", **params):
    response = m.emr.get(path, query_string=params)
    assert response.status_code == 200, response.get_json()
    return [e["id"] for e in response.get_json()["patient_evaluations"]]


# -- evaluation templates ---------------------------------------------------------------------------

def test_evaluations_are_the_evaluation_templates_with_kipus_fields(mocks):
    made = mocks.emr.post("/api/billable_templates", json={"name": "PHP Assessment", "kind": "evaluation",
                                                            "billing": "per_diem", "level_of_care": "PHP"})
    assert made.status_code == 201
    listed = walk(mocks, "/api/evaluations", "evaluations")
    assert [e["name"] for e in listed] == ["Individual Therapy 60", "PHP Assessment"]  # no group session template
    therapy_60, php = listed
    assert therapy_60 == {
        "id": therapy(mocks), "name": "Individual Therapy 60", "enabled": True, "patient_process_id": None,
        "billable": True, "billing_codes": {"HCode": "", "CCode": "90837", "RCode": "", "Custom": ""},
        "billable_claim_format": "Professional", "place_of_service": "55", "ancillary": True,
        "evaluation_type": "progress_note", "evaluation_content": "notes", "locations": HERE,
        "evaluation_items": [{"id": therapy(mocks) * 100 + 1, "name": "Time of service", "field_type": "start_end_time"}]}
    assert (php["billing_codes"], php["ancillary"], php["billable_claim_format"]) == \
        ({"HCode": "H0035", "CCode": "", "RCode": "0913", "Custom": ""}, False, "Institutional")
    assert mocks.emr.get(f"/api/evaluations/{php['id']}").get_json() == {"evaluation": php}
    for missing in (templates(mocks)["Group Therapy"]["id"], 99):
        named = refused(mocks.emr.get(f"/api/evaluations/{missing}"), 404, {"id"})
        assert "evaluation" in named["id"]


# -- documenting one with Kipu's body ------------------------------------------------------------------

def test_a_kipu_document_makes_a_patient_evaluation_and_its_billing_item(mocks):
    pin_clock(mocks)
    ann = patient(mocks)
    made = documented(mocks, ann, start_time=f"{DAY}T09:00", end_time=f"{DAY}T10:00", rendering_provider=REYES)
    evaluation, item = made["patient_evaluation"], made["billing_item"]
    reyes = [p for p in mocks.emr.get("/api/providers").get_json()["providers"] if p["npi"] == REYES][0]
    assert set(evaluation) == LISTED | SETTINGS
    assert evaluation == {
        "id": evaluation["id"], "name": "Individual Therapy 60", "status": "Completed",
        "patient_casefile_id": f"{ann['id']}:{ann['patient_master_id']}", "evaluation_id": therapy(mocks),
        "patient_process_id": None, "created_at": "2024-06-01T12:00:00", "created_by": "acme-app",
        "updated_at": "2024-06-01T12:00:00", "updated_by": "acme-app", "evaluation_content": "notes",
        "billing_item_id": item["id"], "billable": True, "evaluation_type": "progress_note",
        "billing_codes": {"HCode": "", "CCode": "90837", "RCode": "", "Custom": ""}, "place_of_service": "55",
        "billable_claim_format": "Professional", "ancillary": True,
        "rendering_provider": {"id": reyes["id"], "name": "Reyes, Priya", "npi": REYES}, "locked": False,
        "patient_evaluation_items": [{
            "id": evaluation["id"] * 100 + 1, "evaluation_item_id": therapy(mocks) * 100 + 1, "name": "Time of service",
            "field_type": "start_end_time", "start_time": f"{DAY}T09:00:00", "end_time": f"{DAY}T10:00:00",
            "duration": "60", "timestamp": "2024-06-01T12:00:00"}]}
    # Its billing item, exactly as before the Kipu body: on the Billing Audit Tool Report.
    assert (item["source"], item["date_of_service"], item["rendering_provider"], item["duration"]) == \
        ("evaluation", DAY, REYES, {"minutes": 60, "required": 53, "met": True})
    [reported] = items(mocks)
    assert {k: reported[k] for k in item} == item
    assert not any("rendering provider" in e for e in reported["errors"])  # Reyes may be sent to the RCM
    shown = mocks.emr.get(f"/api/patient_evaluations/{evaluation['id']}", query_string={"include_settings": "true"})
    assert shown.get_json() == {"patient_evaluation": evaluation}
    for plain in ({}, {"include_settings": "false"}):
        shown = mocks.emr.get(f"/api/patient_evaluations/{evaluation['id']}", query_string=plain).get_json()
        assert shown == {"patient_evaluation": {k: evaluation[k] for k in LISTED}}


@pytest.mark.parametrize("data, start, end, minutes", [
    ({"start_time": f"{DAY}T09:00", "duration": 45}, f"{DAY}T09:00:00", f"{DAY}T09:45:00", 45),
    ({"start_time": DAY, "duration": 30}, f"{DAY}T00:00:00", f"{DAY}T00:30:00", 30),
    ({"start_time": f"{DAY}T23:30", "end_time": "2026-03-06T00:20"}, f"{DAY}T23:30:00", "2026-03-06T00:20:00", 50),
    ({"start_time": f"{DAY}T09:00", "end_time": f"{DAY}T10:00", "duration": 60}, f"{DAY}T09:00:00",
     f"{DAY}T10:00:00", 60),
    ({"start_time": DAY}, f"{DAY}T00:00:00", None, None),
], ids=["start and duration", "a day and duration", "past midnight", "end and duration agree", "a day alone"])
def test_the_time_of_service_and_the_billed_minutes(mocks, data, start, end, minutes):
    made = documented(mocks, patient(mocks), **data)
    [item] = made["patient_evaluation"]["patient_evaluation_items"]
    assert (item["start_time"], item["end_time"], item["duration"]) == \
        (start, end, None if minutes is None else str(minutes))
    assert made["billing_item"]["date_of_service"] == DAY  # the day it started
    assert made["billing_item"]["duration"]["minutes"] == minutes
    assert made["billing_item"]["duration"]["met"] is (minutes is None or minutes >= 53)


@pytest.mark.parametrize("data, status, field", [
    ({"end_time": f"{DAY}T08:59", "start_time": f"{DAY}T09:00"}, 409, "end_time"),
    ({"end_time": f"{DAY}T10:00"}, 409, "start_time"),
    ({"start_time": f"{DAY}T09:00", "end_time": f"{DAY}T10:00", "duration": 50}, 409, "duration"),
    ({"end_time": DAY}, 422, "end_time"),
    ({"duration": -5}, 422, "duration"),
    ({"rendering_provider": "123"}, 422, "rendering_provider"),
    ({"evaluation_id": 99}, 404, "evaluation_id"),
    ({"minutes": 60}, 422, "minutes"),
    ({"start_time": None}, 422, "start_time"),
], ids=["ends before it starts", "an end needs a start time", "duration disagrees", "end without a time",
        "negative duration", "not an NPI", "unknown evaluation", "not a field", "no start"])
def test_a_bad_document_is_refused_naming_the_field_and_bills_nothing(mocks, data, status, field):
    ann = patient(mocks)
    before = everything(mocks.suite)
    refused(post(mocks, ann, **{"evaluation_id": therapy(mocks), "start_time": DAY, **data}), status, {field})
    assert everything(mocks.suite) == before
    assert ids(mocks) == []


def test_the_mocks_old_flat_body_is_refused_and_an_unknown_patient_is_a_404(mocks):
    ann = patient(mocks)
    before = everything(mocks.suite)
    response = mocks.emr.post(f"/api/patients/{ann['id']}/patient_evaluations",
                              json={"template_id": therapy(mocks), "date": DAY, "minutes": 60})
    assert response.status_code == 422 and "document" in str(response.get_json()["problems"])
    named = refused(post(mocks, {"id": 99}, evaluation_id=therapy(mocks), start_time=DAY), 404, {"id"})
    assert "patient" in named["id"]
    assert everything(mocks.suite) == before


def test_an_npi_the_emr_does_not_know_is_shown_without_a_provider_and_blocks_the_item(mocks):
    made = documented(mocks, patient(mocks), rendering_provider="1234567893")
    assert made["patient_evaluation"]["rendering_provider"] == {"id": None, "name": None, "npi": "1234567893"}
    assert any("1234567893" in e for e in items(mocks)[0]["errors"])
    assert documented(mocks, patient(mocks, "Bob"))["patient_evaluation"]["rendering_provider"] is None


def test_the_harness_driver_documents_with_kipus_body(mocks):
    ann = patient(mocks)
    emr = EmrClient(FlaskTransport(mocks.suite.apps["emr"], mocks.suite.emr_auth.signer), recipient_id="harness")
    item = emr.document_evaluation(Patient.from_api(ann), therapy(mocks), DAY, minutes=45, rendering_provider=REYES)
    assert (item["date_of_service"], item["duration"]["minutes"], item["rendering_provider"]) == (DAY, 45, REYES)
    [evaluation] = mocks.emr.get("/api/patient_evaluations").get_json()["patient_evaluations"]
    assert (evaluation["billing_item_id"], evaluation["created_by"]) == (item["id"], "harness")


# -- lists and filters ----------------------------------------------------------------------------------

@pytest.fixture
def evaluations(mocks):
    """Four evaluations: ann's therapy (created 2024-06-01), ann's PHP assessment and bob's therapy (06-03),
    and a therapy of cy, discharged (06-05)."""
    assert mocks.emr.post("/api/billable_templates", json={"name": "PHP Assessment", "kind": "evaluation",
                                                            "billing": "per_diem", "level_of_care": "PHP"}).status_code == 201
    ann, bob, cy = patient(mocks), patient(mocks, "Bob"), patient(mocks, "Cy")
    pin_clock(mocks, "2024-06-01T08:00:00")
    first = documented(mocks, ann)["patient_evaluation"]["id"]
    pin_clock(mocks, "2024-06-03T08:00:00")
    php = documented(mocks, ann, evaluation_id=templates(mocks)["PHP Assessment"]["id"])["patient_evaluation"]["id"]
    third = documented(mocks, bob)["patient_evaluation"]["id"]
    pin_clock(mocks, "2024-06-05T08:00:00")
    fourth = documented(mocks, cy)["patient_evaluation"]["id"]
    response = mocks.emr.post(f"/api/patients/{cy['id']}/discharge", json={"discharge_date": "2024-06-05"})
    assert response.status_code == 200, response.get_json()
    return {"ann": ann, "bob": bob, "cy": cy, "ids": [first, php, third, fourth]}


def test_every_patient_evaluation_walked_to_the_last_page(mocks, evaluations):
    listed = walk(mocks, "/api/patient_evaluations", "patient_evaluations")
    assert [e["id"] for e in listed] == evaluations["ids"]
    assert all(set(e) == LISTED for e in listed)
    assert [e["patient_casefile_id"].split(":")[0] for e in listed] == \
        [str(evaluations[n]["id"]) for n in ("ann", "ann", "bob", "cy")]


def test_each_filter_filters(mocks, evaluations):
    first, php, third, fourth = evaluations["ids"]
    assert ids(mocks, evaluation_id=therapy(mocks)) == [first, third, fourth]
    assert ids(mocks, evaluation_id=templates(mocks)["PHP Assessment"]["id"]) == [php]
    assert ids(mocks, start_date="2024-06-02") == [php, third, fourth]
    assert ids(mocks, end_date="2024-06-03") == [first, php, third]
    assert ids(mocks, start_date="2024-06-03", end_date="2024-06-03") == [php, third]
    assert ids(mocks, current_census_only="true") == [first, php, third]  # cy is discharged
    assert ids(mocks, current_census_only="False") == [first, php, third, fourth]
    assert ids(mocks, completed_only="true") == [first, php, third, fourth]  # every one is completed
    assert ids(mocks, evaluation_content="notes") == [first, php, third, fourth]
    assert ids(mocks, evaluation_content="treatment_plan") == []
    assert ids(mocks, patient_process_id=1) == []
    assert ids(mocks, include_stranded="true") == [first, php, third, fourth]  # none without a patient
    assert ids(mocks, evaluation_id=therapy(mocks), start_date="2024-06-02", current_census_only="true") == [third]


@pytest.mark.parametrize("params, status, field", [
    ({"start_date": "2024-06-03", "end_date": "2024-06-02"}, 409, "end_date"),
    ({"evaluation_content": "progress"}, 422, "evaluation_content"),
    ({"completed_only": "yes"}, 422, "completed_only"),
    ({"evaluation_id": "x"}, 422, "evaluation_id"),
], ids=["ends before it starts", "no such content", "not a boolean", "not an id"])
def test_a_bad_filter_is_refused_naming_it(mocks, evaluations, params, status, field):
    refused(mocks.emr.get("/api/patient_evaluations", query_string=params), status, {field})


def test_an_unknown_patient_evaluation_is_a_json_404(mocks):
    named = refused(mocks.emr.get("/api/patient_evaluations/99", query_string={"include_settings": "true"}), 404, {"id"})
    assert "99" in named["id"]


# -- a patient's evaluations -----------------------------------------------------------------------------

def test_a_patients_evaluations_are_only_its_own_and_filtered(mocks, evaluations):
    first, php, third, fourth = evaluations["ids"]
    ann = evaluations["ann"]
    path = f"/api/patients/{ann['id']}/patient_evaluations"
    master = ann["patient_master_id"]
    listed = walk(mocks, path, "patient_evaluations", patient_master_id=master)
    assert [e["id"] for e in listed] == [first, php]
    assert listed == [e for e in mocks.emr.get("/api/patient_evaluations").get_json()["patient_evaluations"]
                      if e["id"] in (first, php)]
    assert ids(mocks, path, patient_master_id=master, start_date="2024-06-02") == [php]
    assert ids(mocks, path, patient_master_id=master, evaluation_id=therapy(mocks)) == [first]
    cy = evaluations["cy"]
    assert ids(mocks, f"/api/patients/{cy['id']}/patient_evaluations", patient_master_id=cy["patient_master_id"],
               current_census_only="true") == []


def test_a_patients_evaluations_need_its_patient_master_id(mocks, evaluations):
    ann, bob = evaluations["ann"], evaluations["bob"]
    path = f"/api/patients/{ann['id']}/patient_evaluations"
    response = mocks.emr.get(path)
    refused(response, response.status_code if response.status_code in (400, 422) else 400, {"patient_master_id"})
    refused(mocks.emr.get(path, query_string={"patient_master_id": bob["patient_master_id"]}), 404, {"patient_master_id"})
    named = refused(mocks.emr.get("/api/patients/99/patient_evaluations",
                                  query_string={"patient_master_id": ann["patient_master_id"]}), 404, {"id"})
    assert "patient" in named["id"]
