"""The mock EMR's patients: impossible dates, ICD-10-CM diagnoses, sending to the RCM (WF-2.2),
pending pre-admissions, and the Kipu v3 shape of the census and of one patient."""

from __future__ import annotations

import datetime as dt

import pytest

from kipu_harness.settings import REQUIRED_DEMOGRAPHICS
from mockkit import new_patient, pin_clock, refused, state
from patientkit import COMPLETE, admit, create_post, rcm_patients


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
    named = refused(mocks.client(system).post(path, json=body), 409, {"dob"})  # a rule of the clock, not the schema
    assert named["dob"] == "2024-06-02 is in the future"
    assert state(mocks.suite) == before
    path, body = create_post(system, {"first_name": "Ann", "last_name": "Lee", "dob": "2024-06-01"})
    assert mocks.client(system).post(path, json=body).status_code == 201


def test_an_admission_before_birth_is_refused_on_create_and_on_update(mocks):
    before = state(mocks.suite)
    response = mocks.emr.post("/api/patients", json={"document": {"data": {
        "first_name": "Ann", "last_name": "Lee", "dob": "1990-05-10", "admission_date": "1990-05-09T23:59"}}})
    named = refused(response, 409, {"admission_date"})
    assert "before the date of birth 1990-05-10" in named["admission_date"]
    assert state(mocks.suite) == before

    patient = new_patient(mocks, first_name="Ann", last_name="Lee", dob="1990-05-10")
    before = state(mocks.suite)
    response = mocks.emr.patch(f"/api/patients/{patient['id']}",
                               json={"document": {"data": {"admission_date": "1989-12-31"}}})
    refused(response, 409, {"admission_date"})
    assert state(mocks.suite) == before


def test_a_discharge_before_the_admission_is_refused(mocks):
    patient = admit(mocks)
    before = state(mocks.suite)
    path = f"/api/patients/{patient['id']}/discharge"
    named = refused(mocks.emr.post(path, json={"discharge_date": "2024-01-04T09:00"}), 409, {"discharge_date"})
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
    named = refused(response, 409, {"code"})  # a well-formed code that is not a billable one: a rule
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


# -- WF-2.2: an incomplete patient cannot be sent, and nothing moves --------------------

def test_send_to_rcm_on_an_incomplete_patient_names_each_missing_item_and_sends_nothing(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    outbox = mocks.emr.get("/_mock/outbox").get_json()["deliveries"]
    assert [d["status"] for d in outbox] == ["delivered"]  # the A04 of WF-1.5
    before = state(mocks.suite)

    response = mocks.emr.post(f"/api/patients/{patient['id']}/send_to_rcm")
    expected = {"admission_date", "mr_number", "diagnoses"} | (set(REQUIRED_DEMOGRAPHICS) - {"first_name", "last_name"})
    named = refused(response, 409, expected)
    assert named["mr_number"].startswith("is required for admission")
    assert named["diagnoses"] == "at least one diagnosis code is required"
    for field in set(REQUIRED_DEMOGRAPHICS) - {"first_name", "last_name"}:
        assert named[field] == "is a required demographic field"

    assert mocks.emr.get("/_mock/outbox").get_json()["deliveries"] == outbox
    assert all(p["status"] != "Admitted" for p in rcm_patients(mocks))
    assert state(mocks.suite) == before
    view = mocks.emr.get(f"/api/patients/{patient['id']}?phi_level=high&patient_master_id={patient['patient_master_id']}").get_json()
    assert view["patient"]["rcm_connection"] == {"connected": False, "connected_at": None, "last_sent_at": None, "sends": 0}


def test_send_to_rcm_names_only_what_is_missing(mocks):
    data = {k: v for k, v in COMPLETE.items() if k not in ("address_zip", "admission_date")}
    patient = new_patient(mocks, **data)
    assert mocks.emr.post(f"/api/patients/{patient['id']}/mr_number").status_code == 200
    before = state(mocks.suite)
    response = mocks.emr.post(f"/api/patients/{patient['id']}/send_to_rcm")
    refused(response, 409, {"address_zip", "admission_date", "diagnoses"})
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


# -- a pending patient has no MR number -----------------------------------------------

def test_a_pending_patient_cannot_get_an_mr_number_until_accepted(mocks):
    prospect = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}).get_json()["prospect"]
    opportunity = mocks.crm.post(f"/crm/prospects/{prospect['id']}/opportunities",
                                 json={"level_of_care": "Detox"}).get_json()["opportunity"]
    pushed = mocks.crm.post(f"/crm/opportunities/{opportunity['id']}/push")
    assert pushed.status_code == 200 and pushed.get_json()["emr"] == {"pushed": True}
    (patient,) = mocks.emr.get("/api/patients/census?phi_level=high").get_json()["patients"]
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


# -- the Kipu v3 shape of the EMR -----------------------------------------------------

def test_census_is_paged_with_string_pagination(mocks):
    ids = [new_patient(mocks, first_name=f"P{i}", last_name="Lee")["id"] for i in range(5)]
    body = mocks.emr.get("/api/patients/census?phi_level=high").get_json()
    assert list(body) == ["pagination", "patients"]
    assert body["pagination"] == {"current_page": "1", "total_pages": "1", "records_per_page": "20", "total_records": "5"}

    seen = []
    for number, size in ((1, 2), (2, 2), (3, 1)):
        body = mocks.emr.get(f"/api/patients/census?phi_level=high&page={number}&per=2").get_json()
        assert body["pagination"] == {"current_page": str(number), "total_pages": "3",
                                      "records_per_page": "2", "total_records": "5"}
        assert all(isinstance(v, str) for v in body["pagination"].values())
        assert len(body["patients"]) == size
        seen += [p["id"] for p in body["patients"]]
    assert seen == ids
    assert mocks.emr.get("/api/patients/census?phi_level=high&page=4&per=2").get_json()["patients"] == []


@pytest.mark.parametrize("bad", ["page", "per"])
def test_census_paging_names_the_parameter_that_is_not_an_integer(mocks, bad):
    query = {"phi_level": "high", "page": "1", "per": "2", bad: "two"}
    response = mocks.emr.get("/api/patients/census", query_string=query)
    refused(response, 422, {bad})  # the document's page and per are strings of digits


def test_census_can_leave_out_pre_admissions(mocks):
    new_patient(mocks, first_name="Pre", last_name="Admit")
    admitted = admit(mocks)
    body = mocks.emr.get("/api/patients/census?phi_level=high&exclude_preadmission=true").get_json()
    assert [p["id"] for p in body["patients"]] == [admitted["id"]]
    assert body["pagination"]["total_records"] == "1"


def test_one_patient_needs_its_patient_master_id(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    path = f"/api/patients/{patient['id']}"
    named = refused(mocks.emr.get(path + "?phi_level=high"), 422, {"patient_master_id"})  # the document requires it
    assert named["patient_master_id"] == "is required"
    refused(mocks.emr.get(path + "?phi_level=high&patient_master_id=not-the-one"), 404, {"patient_master_id"})
    refused(mocks.emr.get(path + "/diagnosis_history"), 422, {"patient_master_id"})
    response = mocks.emr.get(path, query_string={"phi_level": "high", "patient_master_id": patient["patient_master_id"]})
    assert response.status_code == 200
    view = response.get_json()["patient"]
    assert view["casefile_id"] == f"{patient['id']}:{patient['patient_master_id']}"
    assert view["first_name"] == "Ann" and view["id"] == patient["id"]


def test_a_new_patient_is_made_from_a_document_and_reads_back_in_kipu_names(mocks):
    response = mocks.emr.post("/api/patients", json={"document": {"recipient_id": 7, "data": COMPLETE}})
    assert response.status_code == 201
    created = response.get_json()["patient"]
    read = mocks.emr.get(f"/api/patients/{created['id']}", query_string={
        "phi_level": "high", "patient_master_id": created["patient_master_id"]}).get_json()["patient"]
    for view in (created, read):
        assert view["state"] == view["address_state"] == "NY"  # Kipu's read name, and the write name a client may read
        assert view["pre_admission_status"] == "pre-admission" and view["mr_number"] is None
        assert view["admission_date"] == "2024-01-05T10:00" and view["dob"] == "1980-01-02"
        assert view["casefile_id"] == f"{created['id']}:{created['patient_master_id']}"
    # A PATCH in the write name updates the read name.
    patched = mocks.emr.patch(f"/api/patients/{created['id']}", json={"document": {"data": {"address_state": "CA"}}})
    assert patched.status_code == 200 and patched.get_json()["patient"]["state"] == "CA"
    assert patched.get_json()["patient"]["address_state"] == "CA"


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
