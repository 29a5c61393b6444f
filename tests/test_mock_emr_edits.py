"""Edits made only in the EMR (INS-15): a local edit of a mirrored insurance or U/R stays in the EMR
until the next RCM save; the EMR never creates either."""

from __future__ import annotations

from typing import Any

import pytest

from insurancekit import (
    Admitted, admit, emr_insurances, emr_reviews, insurances_of, rcm_patient, rcm_patient_of, ready, review, save,
    save_review, self_insurance,
)
from mockkit import Mocks, refused, state


# -- edits made only in the EMR (INS-15) ---------------------------------------------------

def _mirrored(m: Mocks, a: Admitted, kind: str) -> dict[str, Any]:
    if kind == "insurances":
        save(m, a, self_insurance(a.payer["id"]))
        return emr_insurances(m, a)[0]
    save_review(m, a, review(a.payer["id"]))
    return emr_reviews(m, a)[0]


LOCAL_EDITS = {"insurances": {"plan_name": "Local plan", "insurance_phone": "555-000-1111"},
               "ur": {"status": "Denied", "number_of_days": 3}}


@pytest.mark.parametrize("kind", ["insurances", "ur"])
def test_an_emr_local_edit_stays_in_the_emr_until_the_next_rcm_save(mocks, kind):
    a = ready(mocks)
    record = _mirrored(mocks, a, kind)
    before = state(mocks.suite)
    edit = LOCAL_EDITS[kind]
    response = mocks.emr.patch(f"/api/patients/{a.emr['id']}/{kind}/{record['id']}",
                               json={"document": {"data": edit}})
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()["insurance" if kind == "insurances" else "utilization_review"]
    assert edited == {**record, **edit, "edited_in_emr": sorted(edit)}
    after = state(mocks.suite)
    assert after["rcm"] == before["rcm"]
    assert after["emr"]["outbox"] == before["emr"]["outbox"]
    assert after["emr"]["patient"] == before["emr"]["patient"]
    shown = emr_insurances(mocks, a) if kind == "insurances" else emr_reviews(mocks, a)
    assert shown == [edited]
    # The next RCM save wins.
    if kind == "insurances":
        entry = insurances_of(rcm_patient(mocks, a.rcm_id))[0]
        assert mocks.rcm.patch(f"{a.insurances}/{entry['id']}", json={"effective_date": "2024-01-01"}).status_code == 200
        assert emr_insurances(mocks, a) == [record]
    else:
        rid = record["rcm_review_id"]
        assert mocks.rcm.patch(f"{a.episode}/utilization_reviews/{rid}", json={"units": 7}).status_code == 200
        assert emr_reviews(mocks, a) == [record]


@pytest.mark.parametrize("kind", ["insurances", "ur"])
def test_an_emr_local_edit_of_an_unknown_field_is_refused(mocks, kind):
    a = ready(mocks)
    record = _mirrored(mocks, a, kind)
    before = state(mocks.suite)
    response = mocks.emr.patch(f"/api/patients/{a.emr['id']}/{kind}/{record['id']}",
                               json={"document": {"data": {"rcm_insurance_id": 9, "colour": "red"}}})
    named = refused(response, 422, {"rcm_insurance_id", "colour"})
    assert named["colour"] == "is not a field of this resource"
    refused(mocks.emr.patch(f"/api/patients/{a.emr['id']}/{kind}/{record['id']}", json={"plan_name": "x"}), 422,
            {"document.data"})
    assert state(mocks.suite) == before


@pytest.mark.parametrize("kind", ["insurances", "ur"])
def test_an_emr_local_edit_of_another_patients_record_is_a_404(mocks, kind):
    a = ready(mocks)
    other = admit(mocks, first_name="Cy", ssn="987-65-4320")
    other_rcm = rcm_patient_of(mocks, other)["id"]
    b = Admitted(other, other_rcm, a.payer)
    theirs = _mirrored(mocks, b, kind)
    assert theirs["patient_id"] == other["id"]
    before = state(mocks.suite)
    field = "plan_name" if kind == "insurances" else "status"
    response = mocks.emr.patch(f"/api/patients/{a.emr['id']}/{kind}/{theirs['id']}",
                               json={"document": {"data": {field: "Denied"}}})
    refused(response, 404, {"id"})
    refused(mocks.emr.patch(f"/api/patients/{a.emr['id']}/{kind}/99", json={"document": {"data": {field: "x"}}}),
            404, {"id"})
    assert state(mocks.suite) == before


@pytest.mark.parametrize("path,field", [("insurances", "insurance"), ("ur", "utilization_review")])
def test_the_emr_refuses_to_create_insurance_or_ur(mocks, path, field):
    a = ready(mocks)
    before = state(mocks.suite)
    response = mocks.emr.post(f"/api/patients/{a.emr['id']}/{path}", json={"document": {"data": {"status": "x"}}})
    named = refused(response, 403, {field})
    assert "RCM" in named[field]
    assert state(mocks.suite) == before


@pytest.mark.parametrize("kind", ["insurances", "ur"])
def test_an_emr_local_edit_may_clear_any_field_it_may_set(mocks, kind):
    # The fuzzer found `lcd: null` answered 500: every editable field may be sent null.
    a = ready(mocks)
    record = _mirrored(mocks, a, kind)
    schema = "InsuranceEditData" if kind == "insurances" else "ReviewEditData"
    from kipu_harness.mocks.emr import mirror_schemas

    fields = getattr(mirror_schemas, schema).model_fields
    response = mocks.emr.patch(f"/api/patients/{a.emr['id']}/{kind}/{record['id']}",
                               json={"document": {"data": {name: None for name in fields}}})
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()["insurance" if kind == "insurances" else "utilization_review"]
    assert edited["edited_in_emr"] == sorted(fields)
    if kind == "ur":
        assert edited["lcd"] is False
