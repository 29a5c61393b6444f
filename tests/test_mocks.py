"""The mock CRM, EMR and RCM on their own: refusals that name every problem and write nothing,
the Kipu v3 shape of the EMR, the control routes, SSN masking, persistence and the Store."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from kipu_harness.mocks import SYSTEMS, MockSuite
from kipu_harness.mocks.common.base import mask_ssn
from kipu_harness.mocks.common.store import Store
from mockkit import Mocks, _mocks, refused, state
from kipu_harness.plugins import hl7v2
from kipu_harness.settings import REQUIRED_DEMOGRAPHICS

SSN = "123-45-6789"
SSN_DIGITS = "123456789"
MASKED = "***-**-6789"
PINNED = "2024-06-01T12:00:00"

# Every demographic an admission needs (WF-2.2), in the EMR's write names.
COMPLETE = {
    "first_name": "Ann",
    "middle_name": "Beth",
    "last_name": "Lee",
    "dob": "1980-01-02",
    "gender": "Female",
    "ssn": SSN,
    "phone": "555-123-4567",
    "address_street": "1 Main St",
    "address_city": "Springfield",
    "address_state": "ny",
    "address_zip": "12345",
    "admission_date": "2024-01-05T10:00",
}

# The record kinds each system keeps (what "nothing was written" compares).
def new_patient(m: Mocks, **data: Any) -> dict[str, Any]:
    response = m.emr.post("/api/patients", json={"document": {"recipient_id": 1, "data": data}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["patient"]


def admit(m: Mocks, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A complete EMR patient with a diagnosis and an MR Number: the A01 reaches the RCM."""
    patient = new_patient(m, **(data or COMPLETE))
    assert m.emr.post(f"/api/patients/{patient['id']}/diagnoses", json={"code": "F10.20"}).status_code == 201
    response = m.emr.post(f"/api/patients/{patient['id']}/mr_number")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["rcm"]["sent"] is True
    return response.get_json()["patient"]


def pin_clock(m: Mocks, when: str = PINNED) -> None:
    response = m.emr.post("/_mock/clock", json={"now": when})
    assert response.status_code == 200 and response.get_json() == {"now": when}


def rcm_patients(m: Mocks) -> list[dict[str, Any]]:
    return m.rcm.get("/rcm/patients").get_json()["patients"]


def journal(m: Mocks, system: str) -> list[dict[str, Any]]:
    response = m.client(system).get("/_mock/journal")
    assert response.status_code == 200
    return response.get_json()["entries"]


def create_post(system: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(path, JSON body) of the create call of ``system`` for the fields ``data``."""
    if system == "emr":
        return "/api/patients", {"document": {"recipient_id": 1, "data": data}}
    if system == "rcm":
        return "/rcm/prospects", data
    return "/crm/prospects", data


# -- 1. bad input: a 4xx naming every problem, and nothing written ------------------------

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


# -- impossible dates --------------------------------------------------------------------

@pytest.mark.parametrize("system,field", [("crm", "dob"), ("emr", "dob"), ("rcm", "birthday")])
def test_february_30th_is_not_a_date(mocks, system, field):
    before = state(mocks.suite)
    data = {"first_name": "Ann", "last_name": "Lee", field: "2023-02-30"}
    if system == "rcm":
        data["crm_prospect_id"] = 1
    path, body = create_post(system, data)
    named = refused(mocks.client(system).post(path, json=body), 422, {field})
    assert "'2023-02-30' is not a real date" in named[field]
    assert state(mocks.suite) == before


@pytest.mark.parametrize("system", ["crm", "emr"])
def test_a_dob_after_today_is_refused_and_today_is_not(mocks, system):
    pin_clock(mocks)  # 2024-06-01: the future is judged by the mocks' clock, not the machine's
    before = state(mocks.suite)
    path, body = create_post(system, {"first_name": "Ann", "last_name": "Lee", "dob": "2024-06-02"})
    named = refused(mocks.client(system).post(path, json=body), 422, {"dob"})
    assert named["dob"] == "2024-06-02 is in the future"
    assert state(mocks.suite) == before
    path, body = create_post(system, {"first_name": "Ann", "last_name": "Lee", "dob": "2024-06-01"})
    assert mocks.client(system).post(path, json=body).status_code == 201


def test_an_admission_before_birth_is_refused_on_create_and_on_update(mocks):
    before = state(mocks.suite)
    response = mocks.emr.post("/api/patients", json={"document": {"data": {
        "first_name": "Ann", "last_name": "Lee", "dob": "1990-05-10", "admission_date": "1990-05-09T23:59"}}})
    named = refused(response, 422, {"admission_date"})
    assert "before the date of birth 1990-05-10" in named["admission_date"]
    assert state(mocks.suite) == before

    patient = new_patient(mocks, first_name="Ann", last_name="Lee", dob="1990-05-10")
    before = state(mocks.suite)
    response = mocks.emr.patch(f"/api/patients/{patient['id']}",
                               json={"document": {"data": {"admission_date": "1989-12-31"}}})
    refused(response, 422, {"admission_date"})
    assert state(mocks.suite) == before


def test_a_discharge_before_the_admission_is_refused(mocks):
    patient = admit(mocks)
    before = state(mocks.suite)
    path = f"/api/patients/{patient['id']}/discharge"
    named = refused(mocks.emr.post(path, json={"discharge_date": "2024-01-04T09:00"}), 422, {"discharge_date"})
    assert "before the admission date 2024-01-05T10:00" in named["discharge_date"]
    named = refused(mocks.emr.post(path, json={"discharge_date": "2024-02-30"}), 422, {"discharge_date"})
    assert "not a real date" in named["discharge_date"]
    refused(mocks.emr.post(path, json={}), 422, {"discharge_date"})
    assert state(mocks.suite) == before  # no discharge stored, no A03 queued
    # The control: a discharge after the admission is stored and sent.
    response = mocks.emr.post(path, json={"discharge_date": "2024-01-20T11:00"})
    assert response.status_code == 200
    assert response.get_json()["patient"]["discharge_date"] == "2024-01-20T11:00"
    assert response.get_json()["rcm"]["message"] == "ADT^A03"


def test_a_discharge_needs_an_admission_date(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    before = state(mocks.suite)
    response = mocks.emr.post(f"/api/patients/{patient['id']}/discharge", json={"discharge_date": "2024-01-20"})
    refused(response, 409, {"admission_date"})
    assert state(mocks.suite) == before


# -- ICD-10-CM ---------------------------------------------------------------------------

@pytest.mark.parametrize("code,reason", [
    ("F10.2", "is a category, not a billable code"),
    ("F10", "is a category, not a billable code"),
    ("XYZ99", "is not an ICD-10-CM code"),
])
def test_a_code_that_is_not_billable_is_refused(mocks, code, reason):
    patient = admit(mocks)  # connected: an accepted code would send an A08
    before = state(mocks.suite)
    response = mocks.emr.post(f"/api/patients/{patient['id']}/diagnoses", json={"code": code})
    named = refused(response, 422, {"code"})
    assert named["code"] == f"{code!r} {reason}" + (": use a more specific code" if "category" in reason else "")
    assert state(mocks.suite) == before


def test_a_billable_leaf_is_accepted_with_its_description(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    response = mocks.emr.post(f"/api/patients/{patient['id']}/diagnoses", json={"code": "F10.20"})
    assert response.status_code == 201
    view = response.get_json()["patient"]
    assert [(d["code"], d["description"], d["principal"]) for d in view["diagnoses"]] == [
        ("F10.20", "Alcohol dependence, uncomplicated", True)]
    assert view["diagnosis_codes"] == "F10.20"


def test_an_undotted_code_is_stored_dotted_and_counts_as_the_same_code(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    path = f"/api/patients/{patient['id']}/diagnoses"
    response = mocks.emr.post(path, json={"code": "F1020"})
    assert response.status_code == 201
    assert [d["code"] for d in response.get_json()["patient"]["diagnoses"]] == ["F10.20"]
    before = state(mocks.suite)
    named = refused(mocks.emr.post(path, json={"code": "F10.20"}), 409, {"code"})
    assert named["code"] == "F10.20 is already present"
    assert state(mocks.suite) == before


def test_a_diagnosis_body_names_each_problem(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    before = state(mocks.suite)
    response = mocks.emr.post(f"/api/patients/{patient['id']}/diagnoses", json={"principal": "yes", "note": "x"})
    named = refused(response, 422, {"code", "principal", "note"})
    assert named == {"code": "is required", "principal": "must be true or false", "note": "is not a field of this resource"}
    assert state(mocks.suite) == before


# -- unknown ids, unknown routes, wrong methods --------------------------------------------

UNKNOWN_IDS = [
    ("crm", "get", "/crm/prospects/999", None),
    ("crm", "post", "/crm/prospects/999/insurance", {"payer_name": "Aetna", "policy_number": "P1"}),
    ("crm", "post", "/crm/prospects/999/opportunities", {"level_of_care": "Detox"}),
    ("crm", "post", "/crm/opportunities/999/push", None),
    ("emr", "get", "/api/patients/999?patient_master_id=x", None),
    ("emr", "patch", "/api/patients/999", {"document": {"data": {"first_name": "Ann"}}}),
    ("emr", "post", "/api/patients/999/mr_number", None),
    ("emr", "post", "/api/patients/999/send_to_rcm", None),
    ("emr", "post", "/api/patients/999/diagnoses", {"code": "F10.20"}),
    ("emr", "post", "/api/patients/999/discharge", {"discharge_date": "2024-01-20"}),
    ("emr", "post", "/api/patients/999/accept", None),
    ("rcm", "get", "/rcm/patients/999", None),
    ("rcm", "patch", "/rcm/patients/999/profile", {"first_name": "Ann"}),
]


@pytest.mark.parametrize("system,method,path,body", UNKNOWN_IDS, ids=[f"{m} {p}" for _, m, p, _ in UNKNOWN_IDS])
def test_an_unknown_id_is_a_json_404_naming_it(mocks, system, method, path, body):
    before = state(mocks.suite)
    response = getattr(mocks.client(system), method)(path, json=body)
    named = refused(response, 404, {"id"})
    assert "999" in response.get_json()["errors"]
    assert "999" in named["id"]
    assert state(mocks.suite) == before


def test_a_non_numeric_id_is_a_404_not_a_500(mocks):
    named = refused(mocks.emr.get("/api/patients/abc?patient_master_id=x"), 404, {"id"})
    assert "abc" in named["id"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_an_unknown_route_is_a_json_404(mocks, system):
    response = mocks.client(system).get("/no/such/route")
    assert response.status_code == 404
    assert response.is_json
    body = response.get_json()
    assert body["status_code"] == 404 and isinstance(body["errors"], str) and body["errors"]
    assert "<html" not in response.get_data(as_text=True).lower()


WRONG_METHODS = [("crm", "delete", "/crm/prospects"), ("emr", "delete", "/api/patients/census"),
                 ("emr", "get", "/api/patients/1/mr_number"), ("rcm", "put", "/rcm/hl7")]


@pytest.mark.parametrize("system,method,path", WRONG_METHODS, ids=[f"{m} {p}" for _, m, p in WRONG_METHODS])
def test_a_wrong_method_is_a_json_405(mocks, system, method, path):
    before = state(mocks.suite)
    response = getattr(mocks.client(system), method)(path)
    assert response.status_code == 405
    assert response.is_json
    body = response.get_json()
    assert body["status_code"] == 405 and body["errors"]
    assert state(mocks.suite) == before


def test_a_405_says_which_methods_are_allowed(mocks):
    """RFC 9110 §15.5.6: a 405 response MUST carry an Allow header."""
    response = mocks.crm.delete("/crm/prospects")
    assert response.status_code == 405
    assert set(response.allow) >= {"GET", "POST"}


# -- state, ZIP and SSN ------------------------------------------------------------------

@pytest.mark.parametrize("system", ["crm", "emr"])
def test_a_bad_state_zip_and_ssn_are_each_named(mocks, system):
    before = state(mocks.suite)
    path, body = create_post(system, {"first_name": "Ann", "last_name": "Lee", "address_state": "ZZ",
                                      "address_zip": "1234", "ssn": "12-345-678"})
    named = refused(mocks.client(system).post(path, json=body), 422, {"address_state", "address_zip", "ssn"})
    assert named["address_state"] == "'ZZ' is not a US state code"
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
    path, body = create_post(system, {"first_name": "Ann", "last_name": "Lee", "address_state": "ny",
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


# -- 2. WF-2.2: an incomplete patient cannot be sent, and nothing moves --------------------

def test_send_to_rcm_on_an_incomplete_patient_names_each_missing_item_and_sends_nothing(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    outbox = mocks.emr.get("/_mock/outbox").get_json()["deliveries"]
    assert [d["status"] for d in outbox] == ["delivered"]  # the A04 of WF-1.5
    before = state(mocks.suite)

    response = mocks.emr.post(f"/api/patients/{patient['id']}/send_to_rcm")
    expected = {"admission_date", "mr_number", "diagnoses"} | (set(REQUIRED_DEMOGRAPHICS) - {"first_name", "last_name"})
    named = refused(response, 422, expected)
    assert named["mr_number"].startswith("is required for admission")
    assert named["diagnoses"] == "at least one diagnosis code is required"
    for field in set(REQUIRED_DEMOGRAPHICS) - {"first_name", "last_name"}:
        assert named[field] == "is a required demographic field"

    assert mocks.emr.get("/_mock/outbox").get_json()["deliveries"] == outbox
    assert all(p["status"] != "Admitted" for p in rcm_patients(mocks))
    assert state(mocks.suite) == before
    view = mocks.emr.get(f"/api/patients/{patient['id']}?patient_master_id={patient['patient_master_id']}").get_json()
    assert view["patient"]["rcm_connection"] == {"connected": False, "connected_at": None, "last_sent_at": None, "sends": 0}


def test_send_to_rcm_names_only_what_is_missing(mocks):
    data = {k: v for k, v in COMPLETE.items() if k not in ("address_zip", "admission_date")}
    patient = new_patient(mocks, **data)
    assert mocks.emr.post(f"/api/patients/{patient['id']}/mr_number").status_code == 200
    before = state(mocks.suite)
    response = mocks.emr.post(f"/api/patients/{patient['id']}/send_to_rcm")
    refused(response, 422, {"address_zip", "admission_date", "diagnoses"})
    assert state(mocks.suite) == before


def test_send_to_rcm_on_a_complete_patient_admits_it_in_the_rcm(mocks):
    """The control of the refusal: the same click on a complete patient does send an A01."""
    patient = new_patient(mocks, **COMPLETE)
    assert mocks.emr.post(f"/api/patients/{patient['id']}/diagnoses", json={"code": "F10.20"}).status_code == 201
    mocks.suite.contexts["emr"].clock.pin(dt.datetime(2024, 6, 1, 12, 0))  # MR number year is the clock's
    mr = mocks.emr.post(f"/api/patients/{patient['id']}/mr_number").get_json()
    assert mr["patient"]["mr_number"] == f"MR2024{patient['id']:05d}"
    admitted = [p for p in rcm_patients(mocks) if p["status"] == "Admitted"]
    assert [p["emr_patient_id"] for p in admitted] == [str(patient["id"])]
    outbox = mocks.emr.get("/_mock/outbox").get_json()["deliveries"]
    assert ["ADT^A04" in d["body"] for d in outbox] == [True, False]
    assert "ADT^A01" in outbox[1]["body"] and outbox[1]["status"] == "delivered"


# -- 3. a pending patient has no MR number -----------------------------------------------

def test_a_pending_patient_cannot_get_an_mr_number_until_accepted(mocks):
    prospect = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}).get_json()["prospect"]
    opportunity = mocks.crm.post(f"/crm/prospects/{prospect['id']}/opportunities",
                                 json={"level_of_care": "Detox"}).get_json()["opportunity"]
    pushed = mocks.crm.post(f"/crm/opportunities/{opportunity['id']}/push")
    assert pushed.status_code == 200 and pushed.get_json()["emr"] == {"pushed": True}
    (patient,) = mocks.emr.get("/api/patients/census").get_json()["patients"]
    assert patient["pre_admission_status"] == "pending" and patient["crm_prospect_id"] == prospect["id"]

    before = state(mocks.suite)
    response = mocks.emr.post(f"/api/patients/{patient['id']}/mr_number")
    named = refused(response, 409, {"pre_admission_status"})
    assert "pending" in named["pre_admission_status"]
    refused(mocks.emr.post(f"/api/patients/{patient['id']}/send_to_rcm"), 409, {"pre_admission_status"})
    assert state(mocks.suite) == before

    assert mocks.emr.post(f"/api/patients/{patient['id']}/accept").status_code == 200
    response = mocks.emr.post(f"/api/patients/{patient['id']}/mr_number")
    assert response.status_code == 200 and response.get_json()["patient"]["mr_number"]
    # Accepting twice is refused, naming the status it is in.
    named = refused(mocks.emr.post(f"/api/patients/{patient['id']}/accept"), 409, {"pre_admission_status"})
    assert "accepted" in named["pre_admission_status"]


# -- 4. the Kipu v3 shape of the EMR -----------------------------------------------------

def test_census_is_paged_with_string_pagination(mocks):
    ids = [new_patient(mocks, first_name=f"P{i}", last_name="Lee")["id"] for i in range(5)]
    body = mocks.emr.get("/api/patients/census").get_json()
    assert list(body) == ["pagination", "patients"]
    assert body["pagination"] == {"current_page": "1", "total_pages": "1", "records_per_page": "20", "total_records": "5"}

    seen = []
    for number, size in ((1, 2), (2, 2), (3, 1)):
        body = mocks.emr.get(f"/api/patients/census?page={number}&per=2").get_json()
        assert body["pagination"] == {"current_page": str(number), "total_pages": "3",
                                      "records_per_page": "2", "total_records": "5"}
        assert all(isinstance(v, str) for v in body["pagination"].values())
        assert len(body["patients"]) == size
        seen += [p["id"] for p in body["patients"]]
    assert seen == ids
    assert mocks.emr.get("/api/patients/census?page=4&per=2").get_json()["patients"] == []


@pytest.mark.parametrize("bad", ["page", "per"])
def test_census_paging_names_the_parameter_that_is_not_an_integer(mocks, bad):
    query = {"page": "1", "per": "2", bad: "two"}
    response = mocks.emr.get("/api/patients/census", query_string=query)
    refused(response, 400, {bad})


def test_census_can_leave_out_pre_admissions(mocks):
    new_patient(mocks, first_name="Pre", last_name="Admit")
    admitted = admit(mocks)
    body = mocks.emr.get("/api/patients/census?exclude_preadmission=true").get_json()
    assert [p["id"] for p in body["patients"]] == [admitted["id"]]
    assert body["pagination"]["total_records"] == "1"


def test_one_patient_needs_its_patient_master_id(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    path = f"/api/patients/{patient['id']}"
    named = refused(mocks.emr.get(path), 400, {"patient_master_id"})
    assert named["patient_master_id"] == "is required"
    refused(mocks.emr.get(path + "?patient_master_id=not-the-one"), 404, {"patient_master_id"})
    refused(mocks.emr.get(path + "/diagnosis_history"), 400, {"patient_master_id"})
    response = mocks.emr.get(path, query_string={"patient_master_id": patient["patient_master_id"]})
    assert response.status_code == 200
    view = response.get_json()["patient"]
    assert view["casefile_id"] == f"{patient['id']}:{patient['patient_master_id']}"
    assert view["first_name"] == "Ann" and view["id"] == patient["id"]


def test_a_new_patient_is_made_from_a_document_and_reads_back_in_kipu_names(mocks):
    response = mocks.emr.post("/api/patients", json={"document": {"recipient_id": 7, "data": COMPLETE}})
    assert response.status_code == 201
    created = response.get_json()["patient"]
    read = mocks.emr.get(f"/api/patients/{created['id']}",
                         query_string={"patient_master_id": created["patient_master_id"]}).get_json()["patient"]
    for view in (created, read):
        assert view["state"] == "NY"
        assert "address_state" not in view
        assert view["pre_admission_status"] == "pre-admission" and view["mr_number"] is None
        assert view["admission_date"] == "2024-01-05T10:00" and view["dob"] == "1980-01-02"
        assert view["casefile_id"] == f"{created['id']}:{created['patient_master_id']}"
    # A PATCH in the write name updates the read name.
    patched = mocks.emr.patch(f"/api/patients/{created['id']}", json={"document": {"data": {"address_state": "ca"}}})
    assert patched.status_code == 200 and patched.get_json()["patient"]["state"] == "CA"


def test_a_patch_cannot_blank_a_required_name(mocks):
    """first_name and last_name are required at creation; a PATCH must not remove them."""
    patient = admit(mocks)
    before = state(mocks.suite)
    response = mocks.emr.patch(f"/api/patients/{patient['id']}",
                               json={"document": {"data": {"first_name": None, "last_name": ""}}})
    refused(response, 422, {"first_name", "last_name"})
    assert state(mocks.suite) == before
    # Had the blank stuck, the next re-send to the RCM would be an internal error.
    response = mocks.emr.post(f"/api/patients/{patient['id']}/diagnoses", json={"code": "F11.20"})
    assert response.status_code == 201, response.get_json()


# -- 5. control routes -------------------------------------------------------------------

MAIN_ROUTES = {
    "crm": {"/crm/prospects", "/crm/prospects/{prospect_id}", "/crm/opportunities/{opportunity_id}/push"},
    "emr": {"/api/patients", "/api/patients/census", "/api/patients/{patient_id}",
            "/api/patients/{patient_id}/send_to_rcm", "/api/patients/{patient_id}/mr_number"},
    "rcm": {"/rcm/prospects", "/rcm/hl7", "/rcm/patients", "/rcm/patients/{patient_id}"},
    "payer": {"/payer/members", "/payer/x12/270"},
}


@pytest.mark.parametrize("system", SYSTEMS)
def test_openapi_document_describes_the_routes_the_app_serves(mocks, system):
    response = mocks.client(system).get("/openapi.json")
    assert response.status_code == 200 and response.is_json
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert MAIN_ROUTES[system] <= set(doc["paths"])
    assert "Error" in doc["components"]["schemas"]
    adapter = mocks.suite.apps[system].url_map.bind("localhost")
    operation_ids = []
    for path, operations in doc["paths"].items():
        assert path.startswith("/")
        for method, op in operations.items():
            assert method in {"get", "post", "put", "patch", "delete"}
            assert op["summary"] and op["responses"]
            operation_ids.append(op["operationId"])
            for param in op.get("parameters", []):
                assert "{" + param["name"] + "}" in path and param["in"] == "path"
            concrete = path.replace("{", "").replace("}", "")  # every documented route exists
            try:
                adapter.match(concrete, method=method.upper())
            except (NotFound, MethodNotAllowed) as exc:
                pytest.fail(f"{method.upper()} {path} is documented but not served: {exc}")
    assert len(operation_ids) == len(set(operation_ids))


@pytest.mark.parametrize("system", SYSTEMS)
def test_health(mocks, system):
    response = mocks.client(system).get("/_mock/health")
    assert response.status_code == 200
    assert response.get_json() == {"system": system, "status": "ok"}


def test_the_journal_records_calls_but_not_control_calls(mocks):
    assert mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}).status_code == 201
    assert mocks.crm.get("/crm/prospects/42").status_code == 404
    for path in ("/_mock/health", "/_mock/clock", "/_mock/outbox", "/openapi.json"):
        assert mocks.crm.get(path).status_code == 200
    mocks.crm.post("/_mock/outbox/deliver")
    entries = journal(mocks, "crm")
    assert [(e["channel"], e["summary"]) for e in entries] == [
        ("http", "POST /crm/prospects -> 201"),
        ("http", "GET /crm/prospects/42 -> 404"),
    ]
    assert json.loads(entries[0]["body"]) == {"first_name": "Ann", "last_name": "Lee"}
    assert all(dt.datetime.fromisoformat(e["at"]) for e in entries)
    # The webhook the CRM sent is in the RCM's journal, not the CRM's.
    assert [e["summary"] for e in journal(mocks, "rcm")] == ["POST /rcm/prospects -> 201"]
    assert [e["summary"] for e in mocks.rcm.get("/_mock/journal?channel=hl7").get_json()["entries"]] == []


@pytest.mark.parametrize("system", SYSTEMS)
def test_reset_empties_the_store_and_unpins_the_clock(mocks, system, pm):
    fresh = MockSuite(pm)  # a reset system is a new one: empty but for the default facility
    configured = state(fresh)[system]
    fresh.close()
    pin_clock(mocks, "2001-02-03T04:05:06")
    admit(mocks)
    mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"})
    mocks.payer.post("/payer/members", json={"member_id": "M1", "outcome": "inactive"})
    assert state(mocks.suite)[system] != configured
    response = mocks.client(system).post("/_mock/reset")
    assert response.status_code == 200 and response.get_json() == {"system": system, "reset": True}
    assert state(mocks.suite)[system] == configured
    assert journal(mocks, system) == []
    assert mocks.client(system).get("/_mock/clock").get_json()["now"] != "2001-02-03T04:05:06"
    # Ids start over after a reset.
    if system == "emr":
        assert new_patient(mocks, first_name="Bo", last_name="Ng")["id"] == 1


def test_the_clock_pins_and_unpins(mocks):
    pin_clock(mocks, "2001-02-03T04:05:06")
    for system in SYSTEMS:  # one clock for the suite
        assert mocks.client(system).get("/_mock/clock").get_json() == {"now": "2001-02-03T04:05:06"}
    prospect = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}).get_json()["prospect"]
    assert prospect["created_at"] == "2001-02-03T04:05:06"
    assert journal(mocks, "crm")[0]["at"] == "2001-02-03T04:05:06"

    response = mocks.emr.post("/_mock/clock", json={"now": None})
    assert response.status_code == 200
    assert response.get_json()["now"][:4] != "2001"


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00", 20240101, ["2024-01-01"], ""])
def test_a_bad_clock_value_is_a_422_naming_now_and_changes_nothing(mocks, value):
    pin_clock(mocks)
    response = mocks.emr.post("/_mock/clock", json={"now": value})
    refused(response, 422, {"now"})
    assert mocks.emr.get("/_mock/clock").get_json() == {"now": PINNED}


def test_the_outbox_can_be_filtered_and_redelivered(mocks):
    mocks.suite.contexts["emr"].links.down.add("rcm")
    new_patient(mocks, first_name="Ann", last_name="Lee")
    pending = mocks.emr.get("/_mock/outbox?status=pending").get_json()["deliveries"]
    assert len(pending) == 1 and pending[0]["detail"].startswith("unreachable")
    assert rcm_patients(mocks) == []
    mocks.suite.contexts["emr"].links.down.clear()
    delivered = mocks.emr.post("/_mock/outbox/deliver").get_json()["delivered"]
    assert [(d["id"], d["status"]) for d in delivered] == [(pending[0]["id"], "delivered")]
    assert mocks.emr.get("/_mock/outbox?status=pending").get_json()["deliveries"] == []
    assert len(rcm_patients(mocks)) == 1


# -- 6. SSNs never reach a journal in clear ----------------------------------------------

def _journals_text(m: Mocks) -> dict[str, str]:
    return {system: json.dumps(journal(m, system)) for system in SYSTEMS}


def test_an_admitted_patients_ssn_is_masked_in_every_journal(mocks):
    prospect = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee", "ssn": SSN_DIGITS})
    assert prospect.status_code == 201
    patient = admit(mocks)
    rcm = [p for p in rcm_patients(mocks) if p["emr_patient_id"] == str(patient["id"])]
    assert rcm[0]["status"] == "Admitted" and rcm[0]["profile"]["social_security_number"] == SSN

    hl7_bodies = [e["body"] for e in mocks.rcm.get("/_mock/journal?channel=hl7").get_json()["entries"] if e["body"]]
    assert any(b.startswith("MSH|") and "ADT^A01" in b for b in hl7_bodies)
    texts = _journals_text(mocks)
    for system, text in texts.items():
        assert SSN not in text, system
        assert SSN_DIGITS not in text, system
    for system in ("crm", "emr", "rcm"):  # the payer never receives an SSN here
        assert MASKED in texts[system], system
    assert any(MASKED in b for b in hl7_bodies)


def test_an_ssn_in_a_query_string_is_masked_in_the_journal(mocks):
    assert mocks.rcm.get(f"/rcm/patients?ssn={SSN}").status_code == 200
    assert mocks.emr.get(f"/api/patients/census?q={SSN_DIGITS}").status_code == 200
    texts = _journals_text(mocks)
    for system in ("rcm", "emr"):
        assert SSN not in texts[system] and SSN_DIGITS not in texts[system], texts[system]


@pytest.mark.parametrize("text,masked", [
    (SSN, MASKED),
    (SSN_DIGITS, MASKED),
    ("PID|1||41^^^KIPUEMR^PI||Lee^Ann||19800102|F||||||||||||123-45-6789", "PID|1||41^^^KIPUEMR^PI||Lee^Ann||19800102|F||||||||||||***-**-6789"),
    ('{"ssn": "123 45 6789", "x": 1}', '{"ssn": "***-**-6789", "x": 1}'),
    ('{"SSN":"12"}', '{"SSN":"***"}'),
    ("ssn 123-45-6789 and 987-65-4321", "ssn ***-**-6789 and ***-**-4321"),
    ("phone 555-123-4567", "phone 555-123-4567"),
    ("id 1234567890 and 12345678", "id 1234567890 and 12345678"),
    ("MR202400001", "MR202400001"),
])
def test_mask_ssn(text, masked):
    assert mask_ssn(text) == masked


# -- 7. persistence ----------------------------------------------------------------------

def test_records_survive_a_restart_on_the_same_folder(pm, tmp_path):
    suite = MockSuite(pm, data_dir=tmp_path)
    try:
        m = _mocks(suite)
        patient = admit(m)
        prospect = m.crm.post("/crm/prospects", json={"first_name": "Bo", "last_name": "Ng"}).get_json()["prospect"]
        rcm_before = rcm_patients(m)
        outbox_before = m.emr.get("/_mock/outbox").get_json()["deliveries"]
    finally:
        suite.close()
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["crm.db", "emr.db", "payer.db", "rcm.db"]

    suite = MockSuite(pm, data_dir=tmp_path)
    try:
        m = _mocks(suite)
        read = m.emr.get(f"/api/patients/{patient['id']}", query_string={"patient_master_id": patient["patient_master_id"]})
        assert read.status_code == 200
        assert read.get_json()["patient"]["mr_number"] == patient["mr_number"]
        assert [d["code"] for d in read.get_json()["patient"]["diagnoses"]] == ["F10.20"]
        assert rcm_patients(m) == rcm_before
        assert {p["status"] for p in rcm_before} == {"Admitted", "Prospective Patient"}
        assert m.crm.get(f"/crm/prospects/{prospect['id']}").get_json()["prospect"]["first_name"] == "Bo"
        assert m.emr.get("/_mock/outbox").get_json()["deliveries"] == outbox_before
        # New records carry on from the old ids.
        assert new_patient(m, first_name="Cy", last_name="Oh")["id"] == patient["id"] + 1
    finally:
        suite.close()


def test_an_in_memory_suite_keeps_nothing(pm, tmp_path):
    suite = MockSuite(pm)
    new_patient(_mocks(suite), first_name="Ann", last_name="Lee")
    suite.close()
    suite = MockSuite(pm)
    try:
        assert _mocks(suite).emr.get("/api/patients/census").get_json()["patients"] == []
    finally:
        suite.close()
    assert list(tmp_path.iterdir()) == []


# -- 8. the Store ------------------------------------------------------------------------

@pytest.fixture(params=["memory", "file"])
def store(request, tmp_path):
    s = Store(":memory:" if request.param == "memory" else tmp_path / "sub" / "s.db")
    yield s
    s.close()


def test_a_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError, match="boom"):
        with store.transaction() as tx:
            tx.insert("patient", {"name": "Ann"})
            tx.journal("2024-01-01T00:00:00", "http", "POST /x -> 201")
            tx.enqueue(destination="rcm", wire="hl7v2", path="/rcm/hl7", body="MSH", key="k1", at="2024-01-01T00:00:00")
            tx.remember("m1", "AA")
            assert tx.all("patient") != []
            raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.all("patient") == []
    assert store.outbox() == [] and store.journal_entries() == []
    with store.transaction() as tx:
        assert tx.remember("m1", "AE") is None  # the rolled-back remember left no trace
    # The store is still usable after the rollback.
    with store.transaction() as tx:
        assert tx.insert("patient", {"name": "Bo"})["id"] == 1


def test_insert_ids_increase_per_kind(store):
    with store.transaction() as tx:
        ids = [tx.insert("patient", {"n": i})["id"] for i in range(3)]
        other = tx.insert("prospect", {"n": 0})["id"]
    with store.transaction() as tx:
        later = tx.insert("patient", {"n": 3})
    assert ids == [1, 2, 3] and other == 1 and later["id"] == 4
    with store.read() as tx:
        assert [d["n"] for d in tx.all("patient")] == [0, 1, 2, 3]
        assert tx.get("patient", 2) == {"id": 2, "n": 1}
        assert tx.get("patient", 99) is None
        assert tx.find("patient", n=3) == [later]


def test_enqueue_with_the_same_key_keeps_one_row(store):
    with store.transaction() as tx:
        assert tx.enqueue(destination="rcm", wire="json", path="/a", body="first", key="same", at="t1") is True
        assert tx.enqueue(destination="rcm", wire="json", path="/b", body="second", key="same", at="t2") is False
    with store.transaction() as tx:
        assert tx.enqueue(destination="emr", wire="json", path="/c", body="third", key="same", at="t3") is False
    rows = store.outbox()
    assert len(rows) == 1
    assert (rows[0]["body"], rows[0]["path"], rows[0]["status"], rows[0]["attempts"]) == ("first", "/a", "pending", 0)
    store.mark(rows[0]["id"], "delivered", "AA", "t4")
    assert store.outbox("pending") == []
    assert [r["detail"] for r in store.outbox("delivered")] == ["AA"]


def test_remember_returns_the_earlier_result(store):
    with store.transaction() as tx:
        assert tx.remember("ctrl-1", "AA") is None
    with store.transaction() as tx:
        assert tx.remember("ctrl-1", "AE") == "AA"
        assert tx.remember("ctrl-2", "AE") is None
    with store.transaction() as tx:
        assert tx.remember("ctrl-2", "AA") == "AE"


def test_store_reset_clears_everything(store):
    with store.transaction() as tx:
        tx.insert("patient", {"n": 1})
        tx.journal("t", "http", "x")
        tx.enqueue(destination="rcm", wire="json", path="/a", body="b", key="k", at="t")
        tx.remember("m", "AA")
    store.reset()
    with store.transaction() as tx:
        assert tx.all("patient") == [] and tx.remember("m", "AE") is None
        assert tx.insert("patient", {"n": 2})["id"] == 1
    assert store.outbox() == [] and store.journal_entries() == []
