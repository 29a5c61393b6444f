"""U/R and standalone authorizations in the RCM: bad input, what a U/R becomes in the EMR (status,
Managed, days of week), and the EMR's /latest pages."""

from __future__ import annotations

import json

import pytest

from kipu_harness.mocks import MockSuite
from kipu_harness.settings import IntegrationSettings
from insurancekit import (
    REVIEW_KINDS, TODAY, emr_reviews, outbox, rcm_patient, ready, review, save, save_review, self_insurance,
    spouse_insurance,
)
from mockkit import _mocks, refused, state


STATUSES = ("Authorized", "Authorized - Not Required", "Denied", "Pending", "Required - Not Obtained", "Not Required")
ALL_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@pytest.fixture
def managed_mocks(pm):
    """A suite whose EMR counts *Authorized - Not Required* as Managed (AMB-01's other value)."""
    suite = MockSuite(pm, settings=IntegrationSettings(auth_not_required_managed="managed"))
    yield _mocks(suite)
    suite.close()


# -- U/R and standalone authorizations ----------------------------------------------------

BAD_REVIEWS = [
    ("end before start", {"end_date": "2024-01-04"}, "end_date"),
    ("units 0", {"units": 0}, "units"),
    ("units as text", {"units": "7"}, "units"),
    ("units fractional", {"units": 1.5}, "units"),
    ("units as bool", {"units": True}, "units"),
    ("status outside the six", {"authorization_status": "Approved"}, "authorization_status"),
    ("authorized without number", {"authorization_number": None}, "authorization_number"),
    ("unknown payer", {"payer": 999}, "payer"),
    ("payer as text", {"payer": "1"}, "payer"),
    ("impossible date", {"start_date": "2024-02-30"}, "start_date"),
    ("no service", {"service": ""}, "service"),
    ("unknown field", {"copay": 20}, "copay"),
]


@pytest.mark.parametrize("kind", REVIEW_KINDS)
def test_bad_authorization_input_is_named_and_writes_nothing(mocks, subtests, kind):
    a = ready(mocks)
    before = state(mocks.suite)
    for case, change, field in BAD_REVIEWS:
        with subtests.test(case):
            status = 409 if case in ("end before start", "unknown payer") else 422  # rules, not the schema
            named = refused(mocks.rcm.post(f"{a.episode}/{kind}", json=review(a.payer["id"], **change)), status, {field})
            if field == "end_date":
                assert "2024-01-05" in named["end_date"]
            if case == "unknown payer":
                assert "999" in named["payer"]
            assert state(mocks.suite) == before
    # The control: the same body without the change is saved.
    save_review(mocks, a, review(a.payer["id"]), kind)
    assert state(mocks.suite) != before


def test_a_boolean_payer_is_not_payer_1(mocks, subtests):
    """BUG: check_review (rcm_review.py, `isinstance(merged["payer"], int)`) lets a bool through, so
    "payer": true is read as payer id 1 and saved; check_insurance refuses a boolean payer."""
    a = ready(mocks)
    for kind in REVIEW_KINDS:
        with subtests.test(kind):
            before = state(mocks.suite)
            refused(mocks.rcm.post(f"{a.episode}/{kind}", json=review(True)), 422, {"payer"})
            assert state(mocks.suite) == before


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "Authorized"])
def test_only_authorized_needs_an_authorization_number(mocks, status):
    a = ready(mocks)
    saved = save_review(mocks, a, review(a.payer["id"], authorization_status=status, authorization_number=None))
    assert saved["authorization_status"] == status and saved["authorization_number"] is None


def test_a_valid_ur_reaches_the_emr_mapped_field_by_field(mocks):
    a = ready(mocks)
    days = {d: d not in ("sat", "sun") for d in ALL_DAYS}
    assert mocks.emr.post("/api/care_levels", json={"care_level_name": "Sober Living", "days_of_the_week": days}).status_code == 201
    rows_before = len(outbox(mocks, "rcm"))
    saved = save_review(mocks, a, review(a.payer["id"]))
    assert saved["payer"] == a.payer and saved["units"] == 7
    [row] = outbox(mocks, "rcm")[rows_before:]
    assert (row["destination"], row["path"], row["status"]) == ("emr", "/api/integrations/rcm/utilization_reviews",
                                                                 "delivered")
    sent = json.loads(row["body"])["utilization_reviews"][0]
    # AUTH-08, AUTH-11: Managed and Days of Week are the EMR's, never sent by the RCM.
    assert "managed" not in sent and "days_of_week" not in sent
    [mirrored] = emr_reviews(mocks, a)
    assert {k: v for k, v in mirrored.items() if k not in ("id", "updated_at")} == {
        "patient_id": a.emr["id"],
        "rcm_review_id": saved["id"],
        "start_date": "2024-01-05",
        "end_date": "2024-01-12",
        "number_of_days": 7,
        "authorization_date": "2024-01-05",
        "authorization_number": "AUTH-1",
        "status": "Approved",
        "authorization_status": "Authorized",
        "managed": "Managed",
        "level_of_care": "Sober Living",
        "next_review": "2024-01-10",
        "insurance": "Aetna",
        # Kipu's U/R fields the RCM keeps none of: null, and lcd false.
        "frequency": None, "lcd": False, "comment": None, "next_care_level": None, "next_care_level_date": None,
        "days_of_week": days,
        "edited_in_emr": [],
    }


def test_days_of_week_is_null_when_the_emr_has_no_such_level_of_care(mocks):
    a = ready(mocks)
    days = {d: True for d in ALL_DAYS}
    assert mocks.emr.post("/api/care_levels", json={"care_level_name": "Sober Living", "days_of_the_week": days}).status_code == 201
    save_review(mocks, a, review(None, service="Aftercare"))
    [mirrored] = emr_reviews(mocks, a)
    assert mirrored["level_of_care"] == "Aftercare"
    assert mirrored["days_of_week"] is None
    assert mirrored["insurance"] is None


EXPECTED_STATUS = {  # AUTH-07, AUTH-08 (and AMB-01 for Authorized - Not Required)
    "Authorized": ("Approved", "Managed"),
    "Authorized - Not Required": ("Approved", "Nonmanaged"),
    "Denied": ("Denied", "Managed"),
    "Pending": ("Pending", "Managed"),
    "Required - Not Obtained": ("Required - Not Obtained", "Managed"),
    "Not Required": ("Not Required", "Nonmanaged"),
}


@pytest.mark.parametrize("setting", ["default", "managed"])
def test_each_status_maps_to_the_emr_status_and_managed_flag(request, subtests, setting):
    m = request.getfixturevalue("mocks" if setting == "default" else "managed_mocks")
    a = ready(m)
    for status in STATUSES:
        save_review(m, a, review(a.payer["id"], authorization_status=status, authorization_number="A-9"))
    mirrored = {r["authorization_status"]: r for r in emr_reviews(m, a)}
    assert set(mirrored) == set(STATUSES)
    for status in STATUSES:
        with subtests.test(status):
            shown, managed = EXPECTED_STATUS[status]
            if setting == "managed" and status == "Authorized - Not Required":
                managed = "Managed"
            assert (mirrored[status]["status"], mirrored[status]["managed"]) == (shown, managed)


def test_a_standalone_authorization_stays_in_the_rcm(mocks):
    a = ready(mocks)
    before = state(mocks.suite)
    response = mocks.rcm.post(f"{a.episode}/standalone_authorizations",
                              json=review(a.payer["id"], service="Lab work", units=2))
    assert response.status_code == 201, response.get_json()
    assert "emr" not in response.get_json()
    after = state(mocks.suite)
    assert after["rcm"]["outbox"] == before["rcm"]["outbox"]
    assert after["emr"] == before["emr"]
    episode = rcm_patient(mocks, a.rcm_id)["treatment_episodes"][0]["scheduling_and_utilization"]
    assert [s["service"] for s in episode["standalone_authorizations"]] == ["Lab work"]
    assert episode["utilization_reviews"] == []
    assert emr_reviews(mocks, a) == []


def test_a_ur_patch_changes_one_field_and_keeps_the_rest(mocks):
    a = ready(mocks)
    saved = save_review(mocks, a, review(a.payer["id"]))
    [mirrored_before] = emr_reviews(mocks, a)
    response = mocks.rcm.patch(f"{a.episode}/utilization_reviews/{saved['id']}", json={"units": 3})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["authorization"] == {**saved, "units": 3}
    assert emr_reviews(mocks, a) == [{**mirrored_before, "number_of_days": 3}]
    before = state(mocks.suite)
    refused(mocks.rcm.patch(f"{a.episode}/utilization_reviews/9", json={"units": 3}), 404, {"id"})
    refused(mocks.rcm.patch(f"{a.episode}/utilization_reviews/{saved['id']}", json={"end_date": "2024-01-01"}),
            409, {"end_date"})
    assert state(mocks.suite) == before


LATEST = [("/api/insurances/latest", "insurances"), ("/api/utilization_reviews/latest", "utilization_reviews")]


@pytest.mark.parametrize("path,key", LATEST, ids=[k for _, k in LATEST])
def test_latest_needs_start_and_end_dates(mocks, path, key):
    refused(mocks.emr.get(path), 422, {"start_date", "end_date"})
    refused(mocks.emr.get(f"{path}?start_date=2024-01-01"), 422, {"end_date"})
    named = refused(mocks.emr.get(f"{path}?start_date=2024-01-01&end_date=2024-02-30"), 422, {"end_date"})
    assert "2024-02-30" in named["end_date"]


@pytest.mark.parametrize("path,key", LATEST, ids=[k for _, k in LATEST])
def test_latest_is_a_paged_envelope_with_string_pagination(mocks, path, key):
    a = ready(mocks)
    if key == "insurances":
        save(mocks, a, self_insurance(a.payer["id"]))
        save(mocks, a, spouse_insurance(a.payer["id"], "secondary"))
    else:
        save_review(mocks, a, review(a.payer["id"]))
        save_review(mocks, a, review(a.payer["id"], start_date="2024-01-13", end_date="2024-01-20"))
    response = mocks.emr.get(f"{path}?start_date={TODAY}&end_date={TODAY}&per=1&page=2")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"pagination", key}
    assert body["pagination"] == {"current_page": "2", "total_pages": "2", "records_per_page": "1",
                                  "total_records": "2"}
    assert len(body[key]) == 1 and body[key][0]["patient_id"] == a.emr["id"]
    empty = mocks.emr.get(f"{path}?start_date=2024-06-02&end_date=2024-06-30").get_json()
    assert empty == {"pagination": {"current_page": "1", "total_pages": "1", "records_per_page": "20",
                                    "total_records": "0"}, key: []}
