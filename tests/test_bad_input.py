"""Regression tests for the seven causes of server errors found by hand-made bad requests: each
bad request answers 4xx naming the field and the problem, and changes nothing stored."""

from __future__ import annotations

import re

import pytest
from mockkit import new_patient, refused, state
from insurancekit import add_payer, self_insurance
from patientkit import COMPLETE, admit, rcm_patients

HUGE = "99999999999999999999"
ID_PATHS = {
    "crm": "/crm/prospects/{}",
    "emr": "/api/patients/{}?phi_level=high&patient_master_id=x",
    "rcm": "/rcm/patients/{}",
}


# 1. ids too large for SQLite, non-ASCII digits, and loosely parsed ids ---------------------

@pytest.mark.parametrize("system", sorted(ID_PATHS))
@pytest.mark.parametrize("raw", [HUGE, "%C2%B2", "%D9%A1", "1%0A", "%201", "1_0", "+1", "1.0", "-1"])
def test_an_id_that_is_not_a_plain_decimal_in_range_matches_nothing(mocks, system, raw):
    new_patient(mocks, **COMPLETE)  # patients 1 exists: a loose parse would find it
    mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"})
    response = mocks.client(system).get(ID_PATHS[system].format(raw))
    assert response.status_code in (404, 422), response.get_data(as_text=True)
    body = response.get_json()
    assert body["status_code"] == response.status_code and body["errors"]


def test_an_id_just_past_sqlites_range_is_a_422_naming_it(mocks):
    response = mocks.crm.get(f"/crm/prospects/{2**63}")
    named = refused(response, 422, {"prospect_id"})
    assert "9223372036854775807" in named["prospect_id"]


# 2. deeply nested JSON on every JSON route ----------------------------------------------------

def _json_routes(mocks, system):
    doc = mocks.client(system).get("/openapi.json").get_json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                yield method, re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("system", ["crm", "emr", "rcm", "payer"])
def test_deeply_nested_json_is_a_400_on_every_json_route(mocks, system):
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    routes = list(_json_routes(mocks, system))
    assert routes, f"{system} documents no JSON body"
    before = state(mocks.suite)
    for method, path in routes:
        response = mocks.client(system).open(path, method=method.upper(), data=deep, content_type="application/json")
        assert response.status_code in (400, 404), (method, path, response.status_code, response.get_data(as_text=True))
    assert state(mocks.suite) == before


def test_a_body_one_level_over_the_nesting_limit_is_a_400_and_one_at_it_is_not(mocks):
    # MAX_DEPTH (32) is far below Python's recursion limit: the depth check itself must refuse it.
    over = '{"first_name": "Ann", "last_name": "Lee", "notes": ' + "[" * 32 + "]" * 32 + "}"
    response = mocks.crm.post("/crm/prospects", data=over, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.get_data(as_text=True)
    at = '{"first_name": "Ann", "last_name": "Lee", "notes": ' + "[" * 31 + "]" * 31 + "}"
    response = mocks.crm.post("/crm/prospects", data=at, content_type="application/json")
    assert "nested too deeply" not in response.get_data(as_text=True)


def test_a_body_over_the_limit_is_a_413(mocks):
    response = mocks.crm.post("/crm/prospects", data='{"first_name": "' + "A" * (2 << 20) + '"}',
                              content_type="application/json")
    assert response.status_code == 413 and response.get_json()["status_code"] == 413


# 3. control characters and lone surrogates in a name --------------------------------------

BAD_TEXT = ["Ann\x00", "An\x1bn", "Ann\x7f", "Ann\x85", "An\ud800n", "\udfffAnn", "An\nn"]


@pytest.mark.parametrize("name", BAD_TEXT)
def test_a_name_no_message_can_carry_is_refused_at_every_door(mocks, name):
    patient = new_patient(mocks, **COMPLETE)
    before = state(mocks.suite)
    named = refused(mocks.crm.post("/crm/prospects", json={"first_name": name, "last_name": "Lee"}), 422, {"first_name"})
    assert "control characters" in named["first_name"]
    refused(mocks.emr.post("/api/patients", json={"document": {"recipient_id": 1, "data": {**COMPLETE, "last_name": name}}}),
            422, {"last_name"})
    refused(mocks.emr.patch(f"/api/patients/{patient['id']}", json={"document": {"data": {"first_name": name}}}),
            422, {"first_name"})
    assert state(mocks.suite) == before


def test_hl7_and_x12_delimiters_in_a_name_are_stored_and_still_sent(mocks):
    patient = admit(mocks, {**COMPLETE, "last_name": "O'Neil|Smith^Jr~&\\", "first_name": "Ann*Marie:B"})
    found = [p for p in rcm_patients(mocks) if p.get("emr_patient_id") == str(patient["id"])]
    assert found and found[0]["profile"]["first_name"] == "Ann*Marie:B"
    assert found[0]["profile"]["last_name"] == "O'Neil|Smith^Jr~&\\"


# 4. whitespace-only required fields are missing ---------------------------------------------

@pytest.mark.parametrize("blank", ["", "   ", "\t "])
def test_a_blank_required_name_is_required_in_the_crm_and_never_reaches_the_rcm(mocks, blank):
    before = state(mocks.suite)
    named = refused(mocks.crm.post("/crm/prospects", json={"first_name": blank, "last_name": "Lee"}), 422, {"first_name"})
    assert named["first_name"] == "is required"
    assert state(mocks.suite) == before


def test_a_blank_prospect_name_is_refused_by_the_rcm_webhook(mocks):
    before = state(mocks.suite)
    named = refused(mocks.rcm.post("/rcm/prospects", json={"crm_prospect_id": 1, "first_name": "   ", "last_name": "Lee"}),
                    422, {"first_name"})
    assert named["first_name"] == "is required"
    assert state(mocks.suite) == before


# 5. a huge integer payer id, 6. a wrongly typed webhook body ---------------------------------

@pytest.mark.parametrize("payer_id", [2**64, 10**30, -(2**64)])
def test_a_huge_integer_payer_id_is_refused(mocks, payer_id):
    before = state(mocks.suite)
    response = mocks.rcm.post("/rcm/payers", json={"name": "Acme", "payer_id": payer_id})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "payer_id" in {p["field"] for p in response.get_json()["problems"]}
    assert state(mocks.suite) == before


@pytest.mark.parametrize("path,body", [
    ("/api/integrations/rcm/insurances", {"insurances": 5}),
    ("/api/integrations/rcm/insurances", {"insurances": [5]}),
    ("/api/integrations/rcm/utilization_reviews", {"utilization_reviews": "x"}),
    ("/api/integrations/crm/patients", {"prospect": 5}),
])
def test_a_wrongly_typed_webhook_body_is_a_422(mocks, path, body):
    before = state(mocks.suite)
    response = mocks.emr.post(path, json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["problems"]
    assert state(mocks.suite) == before


def test_a_blank_effective_date_is_required(mocks):
    admit(mocks)
    patient = rcm_patients(mocks)[0]
    episode = patient["treatment_episodes"][0]["id"]
    payer = add_payer(mocks)
    before = state(mocks.suite)
    response = mocks.rcm.post(f"/rcm/patients/{patient['id']}/episodes/{episode}/insurances",
                              json={**self_insurance(payer["id"]), "effective_date": "   "})
    assert response.status_code == 422, response.get_data(as_text=True)
    named = {p["field"]: p["problem"] for p in response.get_json()["problems"]}
    assert named.get("effective_date") == "is required", named
    assert state(mocks.suite) == before
