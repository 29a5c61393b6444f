"""What the mock EMR shows of the RCM in Kipu's v3 shape: utilization reviews with Kipu's fields,
/api/utilization_reviews/latest naming each review's patient, and the RCM's payer list, pushed on
every payer save and shown read-only at /api/settings/payors (SYS-04, AMB-10)."""

from __future__ import annotations

from typing import Any

import pytest

from emrkit import walk
from insurancekit import TODAY, add_payer, emr_reviews, ready, review, save_review
from mockkit import Mocks, refused, state

KIPU_UR = {"frequency": None, "lcd": False, "comment": None, "next_care_level": None, "next_care_level_date": None}
PATIENT_BLOCK = ("casefile_id", "first_name", "middle_name", "last_name", "dob", "admission_date", "discharge_date",
                 "mr_number")


def payors(m: Mocks) -> list[dict[str, Any]]:
    return walk(m, "/api/settings/payors", "payors")


# -- utilization reviews ----------------------------------------------------------------------

def test_a_ur_has_kipus_fields_null_when_the_rcm_keeps_none_of_them(mocks):
    a = ready(mocks)
    save_review(mocks, a, review(a.payer["id"]))
    [mirrored] = emr_reviews(mocks, a)
    assert {k: mirrored[k] for k in KIPU_UR} == KIPU_UR


def test_kipus_ur_fields_are_carried_when_the_rcm_sends_them(mocks):
    a = ready(mocks)
    sent = {"frequency": "Weekly", "lcd": True, "comment": "step down next week", "next_care_level": "IOP",
            "next_care_level_date": "2024-01-13"}
    body = {"emr_patient_id": a.emr["id"], "utilization_reviews": [{
        "rcm_review_id": 7, "start_date": "2024-01-05", "end_date": "2024-01-12", "authorization_status": "Authorized",
        "authorization_number": "AUTH-1", **sent}]}
    response = mocks.emr.post("/api/integrations/rcm/utilization_reviews", json=body)
    assert response.status_code == 200, response.get_json()
    [mirrored] = emr_reviews(mocks, a)
    assert {k: mirrored[k] for k in sent} == sent
    before = state(mocks.suite)
    body["utilization_reviews"][0].update(lcd="yes", next_care_level_date="2024-02-30")
    refused(mocks.emr.post("/api/integrations/rcm/utilization_reviews", json=body), 422,
            {"utilization_reviews.0.lcd", "utilization_reviews.0.next_care_level_date"})
    assert state(mocks.suite) == before


def test_latest_reviews_name_their_patient_on_every_page(mocks):
    a = ready(mocks)
    save_review(mocks, a, review(a.payer["id"]))
    save_review(mocks, a, review(a.payer["id"], start_date="2024-01-13", end_date="2024-01-20"))
    rows = walk(mocks, "/api/utilization_reviews/latest", "utilization_reviews", start_date=TODAY, end_date=TODAY)
    assert len(rows) == 2
    patient = mocks.emr.get(f"/api/patients/{a.emr['id']}?{a.emr_query}").get_json()["patient"]
    for row in rows:
        assert set(row["patient"]) == set(PATIENT_BLOCK)
        assert row["patient"] == {k: patient[k] for k in PATIENT_BLOCK}
        assert row["patient"]["mr_number"] and row["patient"]["dob"] == "1980-01-02"
        assert {k: row[k] for k in KIPU_UR} == KIPU_UR


# -- payors: the RCM's list, shown read-only --------------------------------------------------------

def test_payers_saved_in_the_rcm_appear_in_the_emrs_payors(mocks):
    assert payors(mocks) == []
    made = [add_payer(mocks), add_payer(mocks, "Cigna", "62308", None), add_payer(mocks, "Humana", "61101")]
    shown = payors(mocks)  # walked one payor a page to the last
    assert [(p["id"], p["name"], p["code"], p["phone"], p["claim_formats"]) for p in shown] == [
        (p["id"], p["name"], p["payer_id"], p["phone"], p["claim_formats"]) for p in made]
    # An edit in the RCM reaches the EMR; the list stays whole.
    response = mocks.rcm.patch(f"/rcm/payers/{made[1]['id']}", json={"name": "Cigna Healthcare"})
    assert response.status_code == 200, response.get_json()
    assert [p["name"] for p in payors(mocks)] == ["Aetna", "Cigna Healthcare", "Humana"]


def test_a_refused_payer_save_sends_the_emr_nothing(mocks):
    add_payer(mocks)
    before = state(mocks.suite)
    refused(mocks.rcm.post("/rcm/payers", json={"name": "Aetna", "payer_id": "99999"}), 409, {"name"})
    assert state(mocks.suite) == before and [p["name"] for p in payors(mocks)] == ["Aetna"]


@pytest.mark.parametrize("method,path", [("post", "/api/settings/payors"), ("patch", "/api/settings/payors/1"),
                                         ("put", "/api/settings/payors/1"), ("delete", "/api/settings/payors/1")])
def test_the_emr_still_refuses_to_write_a_payor(mocks, method, path):
    add_payer(mocks)
    before, listed = state(mocks.suite), payors(mocks)
    response = getattr(mocks.emr, method)(path, json={"name": "Other"})
    assert "manage payers in the RCM" in refused(response, 403, {"payor"})["payor"]
    assert state(mocks.suite) == before and payors(mocks) == listed


def test_the_emr_keeps_exactly_the_list_the_rcm_last_sent(mocks):
    add_payer(mocks)
    add_payer(mocks, "Cigna", "62308")
    response = mocks.emr.post("/api/integrations/rcm/payors", json={"payors": [
        {"rcm_payer_id": 2, "name": "Cigna", "payer_id": "62308", "claim_formats": ["837I"]}]})
    assert response.status_code == 200 and response.get_json() == {"received": 1}
    assert [(p["id"], p["claim_formats"]) for p in payors(mocks)] == [(2, ["837I"])]
    refused(mocks.emr.post("/api/integrations/rcm/payors", json={"payors": [{"rcm_payer_id": 3}]}), 422,
            {"payors.0.name"})


def test_a_payer_saved_while_the_emr_is_down_reaches_it_when_it_is_back(mocks):
    links = mocks.suite.contexts["rcm"].links
    links.down.add("emr")
    try:
        add_payer(mocks)
        assert payors(mocks) == []
    finally:
        links.down.clear()
    assert mocks.rcm.post("/_mock/outbox/deliver").status_code == 200
    assert [p["name"] for p in payors(mocks)] == ["Aetna"]
