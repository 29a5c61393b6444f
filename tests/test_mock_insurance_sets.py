"""The RCM's insurance sets: bad input named and nothing written, primary before secondary before
tertiary, and what reaches the EMR (its own SSN and address for Self, N/A otherwise)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from insurancekit import (
    REVIEW_KINDS, add_payer, emr_insurances, insurances_of, outbox, rcm_patient, ready, review, save, self_insurance,
    spouse_insurance,
)
from mockkit import PINNED, SSN, refused, state


SELF_ONLY = ("subscriber_SSN", "subscriber_address_street", "subscriber_address_city",
             "subscriber_address_state", "subscriber_address_zip")


# -- insurance sets ---------------------------------------------------------------------

def _body_with(payer: int, change: str) -> dict[str, Any]:
    body = self_insurance(payer)
    holder = body["policy_holder"]
    if change == "priority":
        body["priority"] = "quaternary"
    elif change == "unknown payer":
        body["payer"] = 999
    elif change == "payer as text":
        body["payer"] = str(payer)
    elif change == "payer as bool":
        body["payer"] = True
    elif change == "no payer":
        del body["payer"]
    elif change == "impossible date":
        body["effective_date"] = "2024-02-30"
    elif change == "no date":
        del body["effective_date"]
    elif change == "non-self without subscriber":
        holder["relationship"] = "Child"
    elif change == "unknown fields":
        body["copay"] = 20
        holder["nickname"] = "Annie"
    elif change == "relationship":
        body["policy_holder"] = spouse_insurance(payer)["policy_holder"] | {"relationship": "Cousin"}
    elif change == "no insurance id":
        del holder["insurance_id"]
    return body


BAD_INSURANCES = {
    "priority": {"priority"},
    "unknown payer": {"payer"},
    "payer as text": {"payer"},
    "payer as bool": {"payer"},
    "no payer": {"payer"},
    "impossible date": {"effective_date"},
    "no date": {"effective_date"},
    "non-self without subscriber": {"policy_holder.first_name", "policy_holder.last_name",
                                    "policy_holder.birthday", "policy_holder.gender"},
    "unknown fields": {"copay", "policy_holder.nickname"},
    "relationship": {"policy_holder.relationship"},
    "no insurance id": {"policy_holder.insurance_id"},
}


def test_bad_insurance_input_is_named_and_writes_nothing(mocks, subtests):
    a = ready(mocks)
    before = state(mocks.suite)
    for change, fields in BAD_INSURANCES.items():
        with subtests.test(change):
            status = 409 if change == "unknown payer" else 422  # a payer not in the list: a rule, not the schema
            named = refused(mocks.rcm.post(a.insurances, json=_body_with(a.payer["id"], change)), status, fields)
            if change == "unknown payer":
                assert "999" in named["payer"]
            if change == "impossible date":
                assert "2024-02-30" in named["effective_date"]
            if change == "relationship":
                assert "Cousin" in named["policy_holder.relationship"]
            assert state(mocks.suite) == before
    # The control: the same body without the change is saved.
    save(mocks, a, self_insurance(a.payer["id"]))
    assert state(mocks.suite) != before


def test_every_insurance_problem_is_named_at_once(mocks):
    a = ready(mocks)
    before = state(mocks.suite)
    body = {"priority": "first", "payer": "Aetna", "effective_date": "2024-13-01", "copay": 1,
            "policy_holder": {"relationship": "Spouse"}}
    refused(mocks.rcm.post(a.insurances, json=body), 422, {
        "priority", "payer", "effective_date", "copay", "policy_holder.insurance_id", "policy_holder.first_name",
        "policy_holder.last_name", "policy_holder.birthday", "policy_holder.gender"})
    assert state(mocks.suite) == before


def test_a_secondary_without_a_primary_is_refused_and_nothing_is_written(mocks):
    a = ready(mocks)
    patient_before, outbox_before = rcm_patient(mocks, a.rcm_id), outbox(mocks, "rcm")
    before = state(mocks.suite)
    named = refused(mocks.rcm.post(a.insurances, json=self_insurance(a.payer["id"], "secondary")), 409, {"priority"})
    assert "primary" in named["priority"]
    assert rcm_patient(mocks, a.rcm_id) == patient_before
    assert outbox(mocks, "rcm") == outbox_before
    assert state(mocks.suite) == before


def test_a_tertiary_without_a_secondary_is_refused_and_nothing_is_written(mocks):
    a = ready(mocks)
    save(mocks, a, self_insurance(a.payer["id"]))
    patient_before, outbox_before = rcm_patient(mocks, a.rcm_id), outbox(mocks, "rcm")
    before = state(mocks.suite)
    named = refused(mocks.rcm.post(a.insurances, json=spouse_insurance(a.payer["id"], "tertiary")), 409, {"priority"})
    assert "secondary" in named["priority"]
    assert rcm_patient(mocks, a.rcm_id) == patient_before
    assert outbox(mocks, "rcm") == outbox_before
    assert state(mocks.suite) == before


def test_a_second_primary_is_refused(mocks):
    a = ready(mocks)
    save(mocks, a, self_insurance(a.payer["id"]))
    before = state(mocks.suite)
    named = refused(mocks.rcm.post(a.insurances, json=spouse_insurance(a.payer["id"])), 409, {"priority"})
    assert "primary" in named["priority"]
    assert state(mocks.suite) == before


def test_a_patch_that_leaves_a_secondary_without_primary_is_refused(mocks):
    a = ready(mocks)
    first = save(mocks, a, self_insurance(a.payer["id"]))
    save(mocks, a, spouse_insurance(a.payer["id"], "secondary"))
    before = state(mocks.suite)
    refused(mocks.rcm.patch(f"{a.insurances}/{first['id']}", json={"priority": "tertiary"}), 409, {"priority"})
    assert state(mocks.suite) == before


def test_primary_secondary_and_tertiary_in_order_reach_the_emr(mocks):
    a = ready(mocks)
    cigna = add_payer(mocks, "Cigna", "62308", phone=None)
    save(mocks, a, self_insurance(a.payer["id"]))
    save(mocks, a, spouse_insurance(cigna["id"], "secondary"))
    save(mocks, a, self_insurance(cigna["id"], "tertiary", insurance_id="T9"))
    rows = emr_insurances(mocks, a)
    assert [(r["insurance_type"], r["insurance_company"], r["policy_no"]) for r in rows] == [
        ("Primary", "Aetna", "W123"), ("Secondary", "Cigna", "C456"), ("Tertiary", "Cigna", "T9")]
    assert rows[1]["insurance_phone"] is None


@pytest.mark.parametrize("path,field", [("/rcm/patients/{rcm}/episodes/2/insurances", "episode_id"),
                                        ("/rcm/patients/999/episodes/1/insurances", "id")],
                         ids=["unknown episode", "unknown patient"])
def test_an_unknown_episode_or_patient_is_a_404(mocks, path, field):
    a = ready(mocks)
    before = state(mocks.suite)
    refused(mocks.rcm.post(path.format(rcm=a.rcm_id), json=self_insurance(a.payer["id"])), 404, {field})
    assert state(mocks.suite) == before


def test_a_non_numeric_episode_is_a_404_not_a_500(mocks, subtests):
    """BUG: save_insurance (rcm_insurance.py, `event_data = {"episode_id": int(episode_id)}`) and
    save_review (rcm_review.py, the `int(episode_id)` argument of context.write) convert the
    episode id before looking the episode up, so /episodes/abc/... is a 500 ValueError."""
    a = ready(mocks)
    before = state(mocks.suite)
    for kind in ("insurances", *REVIEW_KINDS):
        with subtests.test(kind):
            body = self_insurance(a.payer["id"]) if kind == "insurances" else review(a.payer["id"])
            response = mocks.rcm.post(f"/rcm/patients/{a.rcm_id}/episodes/abc/{kind}", json=body)
            # The strict id converter: no route takes "abc", so the answer is the JSON 404 of an unknown URL.
            assert response.status_code == 404 and response.get_json()["status_code"] == 404
            assert state(mocks.suite) == before


def test_a_self_insurance_reaches_the_emr_mapped_with_the_emrs_own_ssn_and_address(mocks):
    a = ready(mocks)
    outbox_before = outbox(mocks, "rcm")
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    assert entry["policy_holder"]["first_name"] == "Ann" and entry["policy_holder"]["birthday"] == "1980-01-02"
    new_rows = outbox(mocks, "rcm")[len(outbox_before):]
    assert len(new_rows) == 1
    row = new_rows[0]
    assert (row["destination"], row["path"], row["status"]) == ("emr", "/api/integrations/rcm/insurances", "delivered")
    sent = json.loads(row["body"])
    assert sent["emr_patient_id"] == str(a.emr["id"])
    # INS-11/INS-14: SSN and address are the EMR's own; the RCM never sends them.
    assert not set(SELF_ONLY) & set(sent["insurances"][0])
    [mirrored] = emr_insurances(mocks, a)
    assert {k: v for k, v in mirrored.items() if k not in ("id", "updated_at")} == {
        "patient_id": a.emr["id"],
        "rcm_insurance_id": entry["id"],
        "insurance_company": "Aetna",
        "policy_no": "W123",
        "plan_name": "Gold",
        "effective_date": "2024-01-01",
        "insurance_type": "Primary",
        "insurance_phone": "800-555-0100",
        "subscriber_first_name": "Ann",
        "subscriber_last_name": "Lee",
        "subscriber_relationship": "Self",
        "subscriber_DOB": "1980-01-02",
        "subscriber_gender": "Female",
        "subscriber_SSN": SSN,
        "subscriber_address_street": "1 Main St",
        "subscriber_address_city": "Springfield",
        "subscriber_address_state": "NY",
        "subscriber_address_zip": "12345",
        "edited_in_emr": [],
    }
    assert mirrored["updated_at"] == PINNED


def test_a_non_self_insurance_shows_na_for_the_emr_owned_fields(mocks):
    a = ready(mocks)
    save(mocks, a, spouse_insurance(a.payer["id"]))
    [mirrored] = emr_insurances(mocks, a)
    assert {k: mirrored[k] for k in SELF_ONLY} == {k: "N/A" for k in SELF_ONLY}
    assert (mirrored["subscriber_first_name"], mirrored["subscriber_last_name"], mirrored["subscriber_DOB"],
            mirrored["subscriber_gender"], mirrored["subscriber_relationship"], mirrored["plan_name"],
            mirrored["effective_date"]) == ("Bob", "Lee", "1979-03-04", "Male", "Spouse", "Silver", "2024-02-01")


def test_an_insurance_patch_changes_one_field_and_keeps_the_rest(mocks):
    a = ready(mocks)
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    [mirrored_before] = emr_insurances(mocks, a)
    rows_before = len(outbox(mocks, "rcm"))
    response = mocks.rcm.patch(f"{a.insurances}/{entry['id']}", json={"policy_holder": {"plan_name": "Platinum"}})
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()["insurance"]
    assert changed == {**entry, "policy_holder": {**entry["policy_holder"], "plan_name": "Platinum"}}
    assert insurances_of(rcm_patient(mocks, a.rcm_id)) == [changed]
    assert len(outbox(mocks, "rcm")) == rows_before + 1
    [mirrored] = emr_insurances(mocks, a)
    assert mirrored == {**mirrored_before, "plan_name": "Platinum"}
    response = mocks.rcm.patch(f"{a.insurances}/{entry['id']}", json={"effective_date": "2024-03-01"})
    assert response.get_json()["insurance"] == {**changed, "effective_date": "2024-03-01"}
    assert emr_insurances(mocks, a)[0] == {**mirrored, "effective_date": "2024-03-01"}


def test_a_patch_of_an_unknown_insurance_is_a_404(mocks):
    a = ready(mocks)
    save(mocks, a, self_insurance(a.payer["id"]))
    before = state(mocks.suite)
    refused(mocks.rcm.patch(f"{a.insurances}/7", json={"effective_date": "2024-03-01"}), 404, {"insurance_id"})
    assert state(mocks.suite) == before
