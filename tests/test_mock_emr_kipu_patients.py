"""The mock EMR's patient side of Kipu's API v3 beyond the census: latest, occupancy, care teams, a
patient's care team and program history, the vault; the patient fields Kipu documents; phi_level
(AMB-09) on every patient read that requires it; the literal routes no patient id swallows."""

from __future__ import annotations

from typing import Any

import pytest

from billingkit import templates
from emrkit import walk
from mockkit import SSN, Mocks, new_patient, pin_clock, refused, state
from patientkit import COMPLETE, admit

RANGE = {"start_date": "2024-01-01", "end_date": "2024-12-31"}
FACILITY = "Kipu Harness Recovery Center"  # location 1 of harness/facility.toml
REYES, OKAFOR = "1765432103", "1456789019"  # rendering providers of the facility file
HEAD = {"casefile_id", "first_name", "middle_name", "last_name", "dob"}
LOW_HIDDEN = {"ssn", "dob", "phone", "email", "address_street", "address_city", "state", "address_state", "address_zip"}


def read(m: Mocks, patient: dict[str, Any], phi_level: str = "high", path: str = "") -> dict[str, Any]:
    response = m.emr.get(f"/api/patients/{patient['id']}{path}",
                         query_string={"phi_level": phi_level, "patient_master_id": patient["patient_master_id"]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["patient"]


def document(m: Mocks, patient: dict[str, Any], npi: str, day: str) -> None:
    """An evaluation of the patient documented with a rendering provider: one of its care team."""
    body = {"document": {"data": {"evaluation_id": templates(m)["Individual Therapy 60"]["id"], "start_time": day,
                                  "duration": 60, "rendering_provider": npi}}}
    response = m.emr.post(f"/api/patients/{patient['id']}/patient_evaluations", json=body)
    assert response.status_code == 201, response.get_json()


def patch(m: Mocks, patient: dict[str, Any], **data: Any) -> dict[str, Any]:
    response = m.emr.patch(f"/api/patients/{patient['id']}", json={"document": {"data": data}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["patient"]


# -- the literal routes are not patient ids ---------------------------------------------------

@pytest.mark.parametrize("path,required", [
    ("/api/patients/latest", {"start_date", "end_date"}),
    ("/api/patients/occupancy", {"phi_level"}),
    ("/api/patients/care_teams", {"start_date", "end_date"}),
    ("/api/patients/census", {"phi_level"}),
    ("/api/patients/admissions", {"phi_level", "start_date", "end_date"}),
])
def test_each_list_names_what_it_requires_and_is_no_patient_id(mocks, path, required):
    new_patient(mocks, first_name="Ann", last_name="Lee")
    named = refused(mocks.emr.get(path), 422, required)  # not the 404 of an unknown patient
    assert set(named.values()) == {"is required"}


@pytest.mark.parametrize("path,query,keys", [
    ("/api/patients/latest", RANGE, {"pagination", "patients"}),
    ("/api/patients/occupancy", {"phi_level": "high"}, {"beds", "buildings", "locations"}),
    ("/api/patients/care_teams", RANGE, {"pagination", "patients"}),
    ("/api/vaults/patients", {}, {"pagination", "patients"}),
])
def test_each_list_answers_its_own_envelope(mocks, path, query, keys):
    new_patient(mocks, first_name="Ann", last_name="Lee", admission_date="2024-03-01")
    response = mocks.emr.get(path, query_string=query)
    assert response.status_code == 200, response.get_json()
    assert set(response.get_json()) == keys


@pytest.mark.parametrize("path", ["/api/patients/latest", "/api/patients/care_teams", "/api/vaults/patients",
                                  "/api/patients/admissions"])
def test_a_range_that_ends_before_it_starts_is_a_409_naming_end_date(mocks, path):
    query = {"phi_level": "high", "start_date": "2024-02-02", "end_date": "2024-02-01"}
    named = refused(mocks.emr.get(path, query_string=query), 409, {"end_date"})
    assert named["end_date"] == "2024-02-01 is before the start date 2024-02-02"
    refused(mocks.emr.get(path, query_string={**query, "end_date": "2024-02-30"}), 422, {"end_date"})


# -- phi_level (AMB-09) -----------------------------------------------------------------------

@pytest.mark.parametrize("level,hidden", [("high", set()), ("medium", {"ssn"}), ("low", LOW_HIDDEN)])
def test_phi_level_leaves_out_its_fields_on_every_patient_read(mocks, level, hidden):
    patient = admit(mocks, {**COMPLETE, "email": "ann@example.com"})
    full = {k: v for k, v in read(mocks, patient).items() if k != "insurances"}
    assert LOW_HIDDEN <= set(full) and full["ssn"] == SSN and full["email"] == "ann@example.com"
    lists = [mocks.emr.get(path, query_string={"phi_level": level, **RANGE}).get_json()["patients"]
             for path in ("/api/patients/census", "/api/patients/admissions")]
    views = [read(mocks, patient, level), *(only for [only] in lists)]
    for view in views:
        view.pop("insurances", None)
        assert set(full) - set(view) == hidden  # exactly these, nothing else
        assert view == {k: v for k, v in full.items() if k not in hidden}
        # Whatever the level: names, ids and the stay.
        assert (view["first_name"], view["casefile_id"], view["mr_number"], view["admission_date"]) == (
            "Ann", full["casefile_id"], full["mr_number"], "2024-01-05T10:00")


@pytest.mark.parametrize("path", ["/api/patients/census", "/api/patients/occupancy", "/api/patients/admissions",
                                  "/api/patients/{id}"])
def test_phi_level_is_required_and_one_of_three(mocks, path):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    path = path.format(id=patient["id"])
    query = {**RANGE, "patient_master_id": patient["patient_master_id"]}
    before = state(mocks.suite)
    assert refused(mocks.emr.get(path, query_string=query), 422, {"phi_level"}) == {"phi_level": "is required"}
    named = refused(mocks.emr.get(path, query_string={**query, "phi_level": "all"}), 422, {"phi_level"})
    assert "'all' is not one of high, medium, low" == named["phi_level"]
    assert state(mocks.suite) == before


def test_phi_level_on_one_patient_also_hides_its_insurances_subscriber_data(mocks):
    from insurancekit import emr_insurances, ready, save, self_insurance

    a = ready(mocks)
    save(mocks, a, self_insurance(a.payer["id"]))
    [full] = emr_insurances(mocks, a)
    assert full["subscriber_SSN"] == SSN and full["policy_no"] == "W123"
    [medium] = read(mocks, a.emr, "medium")["insurances"]
    assert set(full) - set(medium) == {"subscriber_SSN"}
    [low] = read(mocks, a.emr, "low")["insurances"]
    assert set(full) - set(low) == {"subscriber_SSN", "subscriber_DOB", "subscriber_address_street", "policy_no",
                                    "subscriber_address_city", "subscriber_address_state", "subscriber_address_zip"}
    assert low["insurance_company"] == "Aetna" and low["subscriber_first_name"] == "Ann"


# -- fields Kipu documents ------------------------------------------------------------------------

def test_state_is_read_under_both_names_and_written_under_address_state(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee", address_state="NY")
    assert (patient["state"], patient["address_state"]) == ("NY", "NY")
    changed = patch(mocks, patient, address_state="TX")
    for view in (changed, read(mocks, patient), read(mocks, patient, "medium")):
        assert (view["state"], view["address_state"]) == ("TX", "TX")


def test_payment_method_discharge_type_room_and_bed_are_kept(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee", admission_date="2024-03-01",
                          payment_method="Self Pay", room_name="101", bed_name="B")
    assert (patient["payment_method"], patient["room_name"], patient["bed_name"], patient["discharge_type"]) == (
        "Self Pay", "101", "B", None)
    assert patch(mocks, patient, payment_method="Insurance")["payment_method"] == "Insurance"
    response = mocks.emr.post(f"/api/patients/{patient['id']}/discharge",
                              json={"discharge_date": "2024-03-20", "discharge_type": "Completed Treatment"})
    assert response.status_code == 200 and response.get_json()["patient"]["discharge_type"] == "Completed Treatment"
    assert read(mocks, patient)["discharge_type"] == "Completed Treatment"
    refused(mocks.emr.post(f"/api/patients/{patient['id']}/discharge",
                           json={"discharge_date": "2024-03-21", "discharge_type": 7}), 422, {"discharge_type"})


@pytest.mark.parametrize("location_id,name", [(None, FACILITY), ("1", FACILITY), ("99", None)])
def test_location_name_comes_from_the_location(mocks, location_id, name):
    data = {"location_id": location_id} if location_id else {}
    patient = new_patient(mocks, first_name="Ann", last_name="Lee", **data)
    assert patient["location_name"] == name and read(mocks, patient)["location_name"] == name
    assert mocks.emr.get("/api/locations").get_json()["locations"][0]["location_name"] == FACILITY


def test_insurance_company_is_the_primary_insurances_payer_or_null(mocks):
    from insurancekit import add_payer, ready, save, self_insurance, spouse_insurance

    a = ready(mocks)
    assert read(mocks, a.emr)["insurance_company"] is None
    cigna = add_payer(mocks, "Cigna", "62308")
    save(mocks, a, self_insurance(a.payer["id"]))
    save(mocks, a, spouse_insurance(cigna["id"], "secondary"))
    assert read(mocks, a.emr)["insurance_company"] == "Aetna"  # the primary's, not the last saved
    census = mocks.emr.get("/api/patients/census?phi_level=low").get_json()["patients"]
    assert [p["insurance_company"] for p in census] == ["Aetna"]
    # An edit of the primary made only in the EMR shows there too (until the RCM's next save).
    [primary] = [i for i in read(mocks, a.emr)["insurances"] if i["insurance_type"] == "Primary"]
    response = mocks.emr.patch(f"/api/patients/{a.emr['id']}/insurances/{primary['id']}",
                               json={"document": {"data": {"insurance_company": "Aetna Better Health"}}})
    assert response.status_code == 200, response.get_json()
    assert read(mocks, a.emr)["insurance_company"] == "Aetna Better Health"


@pytest.mark.parametrize("value,only_admitted", [
    ("true", True), ("True", True), ("1", True), ("false", False), ("False", False), ("0", False), ("", False)])
def test_exclude_preadmission_takes_what_clients_send(mocks, value, only_admitted):
    pre = new_patient(mocks, first_name="Pre", last_name="Admit")
    admitted = admit(mocks)
    body = mocks.emr.get("/api/patients/census", query_string={"phi_level": "high", "exclude_preadmission": value})
    assert body.status_code == 200, body.get_json()
    ids = [p["id"] for p in body.get_json()["patients"]]
    assert ids == ([admitted["id"]] if only_admitted else [pre["id"], admitted["id"]])


@pytest.mark.parametrize("value", ["yes", "TRUE", "2", "t"])
def test_exclude_preadmission_refuses_anything_else_naming_it(mocks, value):
    response = mocks.emr.get("/api/patients/census", query_string={"phi_level": "high", "exclude_preadmission": value})
    assert "is not true or false" in refused(response, 422, {"exclude_preadmission"})["exclude_preadmission"]


# -- latest ---------------------------------------------------------------------------------------

def test_latest_lists_the_patients_changed_in_the_range_and_filters_by_location(mocks):
    pin_clock(mocks, "2024-06-01T09:00:00")
    ann = new_patient(mocks, first_name="Ann", last_name="Lee", location_id="1")
    bo = new_patient(mocks, first_name="Bo", last_name="Ray", admission_date="2024-05-20")
    cy = new_patient(mocks, first_name="Cy", last_name="Oh", location_id="1")
    pin_clock(mocks, "2024-06-03T09:00:00")
    patch(mocks, ann, phone="555-123-4567")
    mocks.emr.post(f"/api/patients/{bo['id']}/discharge", json={"discharge_date": "2024-06-02"})

    def latest(start: str, end: str, **more: str) -> list[str]:
        rows = walk(mocks, "/api/patients/latest", "patients", start_date=start, end_date=end, **more)
        return [p["first_name"] for p in rows]

    assert latest("2024-06-01", "2024-06-01") == ["Cy"]
    assert latest("2024-06-03", "2024-06-03") == ["Ann", "Bo"]  # a discharge is a change too
    assert latest("2024-06-01", "2024-06-30") == ["Ann", "Bo", "Cy"]
    assert latest("2024-06-01", "2024-06-30", location_id="1") == ["Ann", "Cy"]
    assert latest("2024-06-04", "2024-06-30") == []
    [view] = mocks.emr.get("/api/patients/latest?start_date=2024-06-03&end_date=2024-06-03&per=1").get_json()["patients"]
    assert view["last_updated_at"] == "2024-06-03T09:00:00" and view["phone"] == "555-123-4567"
    assert cy["last_updated_at"] == "2024-06-01T09:00:00"


# -- care teams -------------------------------------------------------------------------------------

def test_a_patients_care_team_is_who_documented_its_evaluations(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee", dob="1980-01-02", admission_date="2024-03-01")
    assert read(mocks, patient, path="/care_team") == {**{k: read(mocks, patient)[k] for k in HEAD}, "care_team": []}
    document(mocks, patient, OKAFOR, "2024-03-09")
    document(mocks, patient, REYES, "2024-03-05")
    document(mocks, patient, OKAFOR, "2024-03-04")
    block = read(mocks, patient, path="/care_team")
    assert set(block) == HEAD | {"care_team"} and block["dob"] == "1980-01-02"
    assert [(c["npi"], c["since"], c["role"]) for c in block["care_team"]] == [
        (OKAFOR, "2024-03-04", "rendering provider"), (REYES, "2024-03-05", "rendering provider")]
    for member in block["care_team"]:  # the directory knows each by the same id
        provider = mocks.emr.get(f"/api/providers/{member['provider_id']}")
        assert provider.status_code == 200, provider.get_json()
        assert provider.get_json()["provider"]["id"] == member["provider_id"]


def test_care_teams_lists_patients_staying_in_the_range_page_by_page(mocks):
    stays = {"Ann": ("2023-12-01", None), "Bo": ("2024-02-10", "2024-02-20"), "Cy": ("2024-03-05", None),
             "Di": ("2023-11-01", "2023-12-31"), "Ed": ("2024-04-01", None)}
    made = {}
    for name, (admitted, discharged) in stays.items():
        made[name] = new_patient(mocks, first_name=name, last_name="Lee", admission_date=admitted)
        if discharged:
            mocks.emr.post(f"/api/patients/{made[name]['id']}/discharge", json={"discharge_date": discharged})
    new_patient(mocks, first_name="Pre", last_name="Admit")  # no stay at all
    document(mocks, made["Cy"], REYES, "2024-03-06")

    def listed(**query: str) -> list[str]:
        return [p["first_name"] for p in walk(mocks, "/api/patients/care_teams", "patients", **query)]

    window = {"start_date": "2024-02-15", "end_date": "2024-03-31"}
    assert listed(**window) == ["Ann", "Bo", "Cy"]
    for admitted_only in ("true", "True", "1"):
        assert listed(**window, admissions=admitted_only) == ["Cy"]
    assert listed(**window, admissions="False") == ["Ann", "Bo", "Cy"]
    rows = {p["first_name"]: p for p in walk(mocks, "/api/patients/care_teams", "patients", **window)}
    assert set(rows["Cy"]) == HEAD | {"admission_date", "discharge_date", "mr_number", "care_team"}
    assert [c["npi"] for c in rows["Cy"]["care_team"]] == [REYES] and rows["Ann"]["care_team"] == []
    assert rows["Bo"]["discharge_date"] == "2024-02-20"


# -- program history --------------------------------------------------------------------------------

def test_program_history_keeps_each_change_of_program_level_of_care_or_location(mocks):
    pin_clock(mocks, "2024-03-01T08:00:00")
    patient = new_patient(mocks, first_name="Ann", last_name="Lee", program="Adult", level_of_care="Detox")
    pin_clock(mocks, "2024-03-05T08:00:00")
    patch(mocks, patient, level_of_care="Residential")
    patch(mocks, patient, phone="555-123-4567", level_of_care="Residential")  # no change of placement
    pin_clock(mocks, "2024-03-20T08:00:00")
    patch(mocks, patient, location_id="1", program="Young Adult")
    block = read(mocks, patient, path="/program_history")
    assert set(block) == HEAD | {"program_history"}
    assert [{k: e[k] for k in ("id", "program", "level_of_care", "location_id", "location_name", "start_date",
                               "end_date")} for e in block["program_history"]] == [
        {"id": 1, "program": "Adult", "level_of_care": "Detox", "location_id": None, "location_name": FACILITY,
         "start_date": "2024-03-01T08:00:00", "end_date": "2024-03-05T08:00:00"},
        {"id": 2, "program": "Adult", "level_of_care": "Residential", "location_id": None, "location_name": FACILITY,
         "start_date": "2024-03-05T08:00:00", "end_date": "2024-03-20T08:00:00"},
        {"id": 3, "program": "Young Adult", "level_of_care": "Residential", "location_id": "1",
         "location_name": FACILITY, "start_date": "2024-03-20T08:00:00", "end_date": None},
    ]
    assert "program_history" not in read(mocks, patient)  # a sub-resource, not a field of the patient


def test_a_patient_placed_nowhere_has_no_program_history(mocks):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    assert read(mocks, patient, path="/program_history")["program_history"] == []


@pytest.mark.parametrize("sub", ["/care_team", "/program_history", "/diagnosis_history", "/ur"])
def test_a_patients_sub_resource_needs_its_master_id_and_a_known_patient(mocks, sub):
    patient = new_patient(mocks, first_name="Ann", last_name="Lee")
    path = f"/api/patients/{patient['id']}{sub}"
    assert refused(mocks.emr.get(path), 422, {"patient_master_id"}) == {"patient_master_id": "is required"}
    refused(mocks.emr.get(path, query_string={"patient_master_id": "not-hers"}), 404, {"patient_master_id"})
    response = mocks.emr.get(f"/api/patients/999{sub}", query_string={"patient_master_id": patient["patient_master_id"]})
    assert "999" in refused(response, 404, {"id"})["id"]


# -- occupancy ------------------------------------------------------------------------------------------

def test_occupancy_counts_who_is_in_the_facility_now_by_location_building_and_bed(mocks):
    pin_clock(mocks, "2024-06-01T12:00:00")
    here = new_patient(mocks, first_name="Ann", last_name="Lee", dob="1980-01-02", admission_date="2024-05-01",
                       building_name="North Campus", room_name="12", bed_name="12A")
    new_patient(mocks, first_name="Bo", last_name="Ray", admission_date="2024-05-02", building_name="North Campus")
    new_patient(mocks, first_name="Cy", last_name="Oh", admission_date="2024-05-03", building_name="Annex",
                location_id="99", bed_name="A1")
    gone = new_patient(mocks, first_name="Di", last_name="Ng", admission_date="2024-05-01", building_name="Main House",
                       bed_name="M1")
    mocks.emr.post(f"/api/patients/{gone['id']}/discharge", json={"discharge_date": "2024-05-30"})
    new_patient(mocks, first_name="Ed", last_name="Yu", admission_date="2024-06-02", bed_name="M2")  # tomorrow
    new_patient(mocks, first_name="Fay", last_name="Lo", bed_name="M3")  # pre-admission

    body = mocks.emr.get("/api/patients/occupancy?phi_level=high").get_json()
    assert body["locations"] == [{"location_id": 1, "location_name": FACILITY, "occupied": 2},
                                 {"location_id": None, "location_name": None, "occupied": 1}]
    assert [(b["building_name"], b["location_id"], b["occupied"]) for b in body["buildings"]] == [
        ("Main House", 1, 0), ("North Campus", 1, 2), ("Annex", None, 1)]
    assert [b["building_id"] is None for b in body["buildings"]] == [False, False, True]
    assert [(b["bed_name"], b["room_name"], b["building_name"], b["location_name"]) for b in body["beds"]] == [
        ("12A", "12", "North Campus", FACILITY), ("A1", None, "Annex", None)]
    assert body["beds"][0]["patient"] == {
        "casefile_id": here["casefile_id"], "first_name": "Ann", "middle_name": None, "last_name": "Lee",
        "dob": "1980-01-02", "mr_number": None, "admission_date": "2024-05-01"}
    low = mocks.emr.get("/api/patients/occupancy?phi_level=low").get_json()
    assert [set(b["patient"]) for b in low["beds"]] == [set(body["beds"][0]["patient"]) - {"dob"}] * 2
    assert {k: v for k, v in low.items() if k != "beds"} == {k: v for k, v in body.items() if k != "beds"}


# -- the vault -------------------------------------------------------------------------------------------

def test_the_vault_is_an_empty_kipu_envelope_with_no_delete_operation(mocks):
    new_patient(mocks, first_name="Ann", last_name="Lee")
    for query in ({}, RANGE, {"start_date": "2024-01-01"}, {"per": "1", "page": "2"}):
        body = mocks.emr.get("/api/vaults/patients", query_string=query).get_json()
        number, per = query.get("page", "1"), query.get("per", "20")
        assert body == {"pagination": {"current_page": number, "total_pages": "1", "records_per_page": per,
                                       "total_records": "0"}, "patients": []}
    assert mocks.emr.delete("/api/patients/1").status_code == 405  # nothing deletes a patient


# -- the harness's own EMR driver ---------------------------------------------------------------------

def test_the_harness_emr_driver_reads_every_patient_with_phi_level_high(mocks):
    from kipu_harness.clients import EmrClient
    from kipu_harness.transport import FlaskTransport

    sent: list[tuple[str, str, dict[str, Any]]] = []

    class Recording(FlaskTransport):
        def request(self, method, path, **named):
            sent.append((method, path, dict(named.get("params") or {})))
            return super().request(method, path, **named)

    emr = EmrClient(Recording(mocks.suite.apps["emr"], mocks.suite.emr_auth.signer))
    patient = emr.create_patient(**COMPLETE)
    assert emr.get(patient).ssn == SSN and emr.census()[0].ssn == SSN and emr.insurances(patient) == []
    assert emr.find_by_prospect(1) is None
    reads = [params for method, path, params in sent if method == "GET"
             and (path in ("/api/patients/census", "/api/patients/admissions") or path.rsplit("/", 1)[-1].isdigit())]
    assert len(reads) == 4 and all(params.get("phi_level") == "high" for params in reads), sent
