"""Bad input to the mock CRM, EMR and RCM: a 4xx naming every problem, and nothing written;
state, ZIP and SSN checked and normalised; garbage HL7 into the RCM refused with an AR."""

from __future__ import annotations

import datetime as dt

import pytest

from kipu_harness.wire import hl7v2
from mockkit import SSN, refused, state
from patientkit import SSN_DIGITS, create_post, rcm_patients


# -- bad input: a 4xx naming every problem, and nothing written ------------------------

CREATE_ROUTES = [("crm", "/crm/prospects"), ("emr", "/api/patients"), ("rcm", "/rcm/prospects")]
NOT_AN_OBJECT = [
    ("malformed", b'{"first_name": "Ann",', "not valid JSON"),
    ("empty", b"", "empty"),
    ("array", b'[{"first_name": "Ann", "last_name": "Lee"}]', "must be a JSON object"),
]


@pytest.mark.parametrize("system,path", CREATE_ROUTES, ids=[s for s, _ in CREATE_ROUTES])
@pytest.mark.parametrize("raw,what", [(raw, what) for _, raw, what in NOT_AN_OBJECT],
                         ids=[name for name, _, _ in NOT_AN_OBJECT])
def test_a_body_that_is_not_a_json_object_is_a_400_and_writes_nothing(mocks, system, path, raw, what):
    before = state(mocks.suite)
    response = mocks.client(system).post(path, data=raw, content_type="application/json")
    named = refused(response, 400, {"body"})
    assert what in response.get_json()["errors"]
    assert named["body"]
    assert state(mocks.suite) == before


def test_a_valid_prospect_is_written_and_reaches_the_rcm(mocks):
    """The positive control of the refusals: the same snapshot does see a write."""
    before = state(mocks.suite)
    response = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"})
    assert response.status_code == 201
    after = state(mocks.suite)
    assert after != before
    assert [p["first_name"] for p in after["crm"]["prospect"]] == ["Ann"]
    assert [p["status"] for p in after["rcm"]["patient"]] == ["Prospective Patient"]


@pytest.mark.parametrize("system", ["crm", "emr", "rcm"])
def test_missing_names_are_each_named(mocks, system):
    before = state(mocks.suite)
    path, body = create_post(system, {"crm_prospect_id": 1} if system == "rcm" else {})
    named = refused(mocks.client(system).post(path, json=body), 422, {"first_name", "last_name"})
    assert named == {"first_name": "is required", "last_name": "is required"}
    # An empty string is as missing as an absent field.
    path, body = create_post(system, {"first_name": "", "last_name": "Lee", **({"crm_prospect_id": 1} if system == "rcm" else {})})
    refused(mocks.client(system).post(path, json=body), 422, {"first_name"})
    assert state(mocks.suite) == before


@pytest.mark.parametrize("system", ["crm", "emr"])
def test_unknown_fields_and_wrong_types_are_each_named(mocks, system):
    before = state(mocks.suite)
    data = {"first_name": 7, "last_name": ["Lee"], "dob": 19800102, "nickname": "Annie", "favourite_colour": "red",
            "address_state": 36, "gender": "F"}
    path, body = create_post(system, data)
    named = refused(mocks.client(system).post(path, json=body), 422,
                    {"first_name", "last_name", "dob", "nickname", "favourite_colour", "address_state", "gender"})
    assert named["first_name"] == named["last_name"] == named["dob"] == named["address_state"] == "must be a string"
    assert named["nickname"] == named["favourite_colour"] == "is not a field of this resource"
    assert "'F' is not one of Male, Female, Unknown" == named["gender"]
    assert state(mocks.suite) == before


def test_emr_create_needs_the_document_envelope(mocks):
    before = state(mocks.suite)
    flat = mocks.emr.post("/api/patients", json={"first_name": "Ann", "last_name": "Lee"})
    refused(flat, 422, {"document.data"})
    not_object = mocks.emr.post("/api/patients", json={"document": {"recipient_id": 1, "data": ["Ann", "Lee"]}})
    refused(not_object, 422, {"document.data"})
    assert state(mocks.suite) == before


def test_rcm_prospect_webhook_checks_its_fields(mocks):
    before = state(mocks.suite)
    response = mocks.rcm.post("/rcm/prospects", json={"crm_prospect_id": "12", "first_name": 5, "birthday": "2023-02-30"})
    named = refused(response, 422, {"crm_prospect_id", "first_name", "last_name", "birthday"})
    assert named["crm_prospect_id"] == "an integer is required"
    assert named["first_name"] == "must be a string"
    assert named["last_name"] == "is required"
    assert "not a real date" in named["birthday"]
    assert state(mocks.suite) == before


def test_rcm_prospect_webhook_refuses_a_boolean_prospect_id(mocks):
    """JSON true is not an integer id (Python's bool is an int subclass)."""
    before = state(mocks.suite)
    response = mocks.rcm.post("/rcm/prospects", json={"crm_prospect_id": True, "first_name": "Ann", "last_name": "Lee"})
    refused(response, 422, {"crm_prospect_id"})
    assert state(mocks.suite) == before


def test_rcm_prospect_webhook_refuses_unknown_fields(mocks):
    before = state(mocks.suite)
    response = mocks.rcm.post("/rcm/prospects", json={"crm_prospect_id": 1, "first_name": "Ann", "last_name": "Lee",
                                                      "favourite_colour": "red"})
    named = refused(response, 422, {"favourite_colour"})
    assert named["favourite_colour"] == "is not a field of this resource"
    assert state(mocks.suite) == before


@pytest.mark.parametrize("field,value", [("middle_name", 5), ("phone", {"number": "555-123-4567"})])
def test_rcm_prospect_webhook_refuses_wrongly_typed_optional_fields(mocks, field, value):
    before = state(mocks.suite)
    response = mocks.rcm.post("/rcm/prospects", json={"crm_prospect_id": 1, "first_name": "Ann", "last_name": "Lee",
                                                      field: value})
    named = refused(response, 422, {field})
    assert named[field] == "must be a string"
    assert state(mocks.suite) == before


def test_rcm_profile_edit_names_each_problem_and_changes_nothing(mocks):
    assert mocks.rcm.post("/rcm/prospects", json={"crm_prospect_id": 1, "first_name": "Ann", "last_name": "Lee"}).status_code == 201
    before = state(mocks.suite)
    response = mocks.rcm.patch("/rcm/patients/1/profile", json={"first_name": 5, "birthday": "2023-02-30", "ward": "B"})
    named = refused(response, 422, {"first_name", "birthday", "ward"})
    assert "not a real date" in named["birthday"]
    assert state(mocks.suite) == before


# -- state, ZIP and SSN ------------------------------------------------------------------

@pytest.mark.parametrize("system", ["crm", "emr"])
def test_a_bad_state_zip_and_ssn_are_each_named(mocks, system):
    before = state(mocks.suite)
    path, body = create_post(system, {"first_name": "Ann", "last_name": "Lee", "address_state": "ZZ",
                                      "address_zip": "1234", "ssn": "12-345-678"})
    named = refused(mocks.client(system).post(path, json=body), 422, {"address_state", "address_zip", "ssn"})
    assert named["address_state"] == "'ZZ' is not a US state code (upper case)"
    assert "not a ZIP code" in named["address_zip"]
    assert "not an SSN" in named["ssn"]
    assert state(mocks.suite) == before


@pytest.mark.parametrize("zip_code,ssn", [("123456", "123-45-67890"), ("12345-67", "1234-5-6789"), ("ABCDE", "abc-de-fghi")])
def test_near_miss_zips_and_ssns_are_refused(mocks, zip_code, ssn):
    response = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee",
                                                      "address_zip": zip_code, "ssn": ssn})
    refused(response, 422, {"address_zip", "ssn"})


@pytest.mark.parametrize("system", ["crm", "emr"])
def test_good_state_zip_and_ssn_are_normalised(mocks, system):
    path, body = create_post(system, {"first_name": "Ann", "last_name": "Lee", "address_state": "ny"})
    refused(mocks.client(system).post(path, json=body), 422, {"address_state"})  # the document's enum is upper case
    path, body = create_post(system, {"first_name": "Ann", "last_name": "Lee", "address_state": "NY",
                                      "address_zip": "12345-6789", "ssn": SSN_DIGITS})
    response = mocks.client(system).post(path, json=body)
    assert response.status_code == 201
    record = response.get_json()["prospect" if system == "crm" else "patient"]
    assert record["state" if system == "emr" else "address_state"] == "NY"
    assert record["address_zip"] == "12345-6789"
    assert record["ssn"] == SSN


# -- HL7 into the RCM --------------------------------------------------------------------

def _adt(control_id: str = "CTRL0001") -> str:
    patient = hl7v2.AdtPatient(
        patient_id="41", mr_number=None, last_name="Lee", first_name="Ann", middle_name="", dob=dt.date(1980, 1, 2),
        sex="F", address_street="", address_city="", address_state="", address_zip="", phone="", ssn="",
        admit_at=None, discharge_at=None)
    return hl7v2.build_adt("A04", patient, control_id=control_id, sent_at=dt.datetime(2024, 3, 1, 10, 0))


@pytest.mark.parametrize("text", ["garbage", "", "MSH|^~\\&|only a header"], ids=["garbage", "empty", "header-only"])
def test_garbage_hl7_is_a_422_ar_ack_with_the_reason_and_nothing_applied(mocks, text):
    before = state(mocks.suite)
    response = mocks.rcm.post("/rcm/hl7", data=text, content_type="text/plain")
    assert response.status_code == 422
    assert response.mimetype == "text/plain"
    ack = response.get_data(as_text=True)
    code, reason = hl7v2.ack_code(ack)
    assert code == "AR"
    assert reason and "MSH" in reason
    assert state(mocks.suite) == before
    # The control: a well-formed A04 is applied once, however often it arrives.
    for _ in range(2):
        response = mocks.rcm.post("/rcm/hl7", data=_adt(), content_type="text/plain")
        assert response.status_code == 200
        assert hl7v2.ack_code(response.get_data(as_text=True))[0] == "AA"
    assert [(p["emr_patient_id"], p["status"]) for p in rcm_patients(mocks)] == [("41", "Prospective Patient")]
