"""The RCM's charge batch (WF-5.3): each charge matched or refused on its own, what an attendance
entry keeps, and the matching chain as a set of pluggy plugins."""

from __future__ import annotations

import json

import pytest

import kipu_harness
from kipu_harness.events import MatchStep
from billingkit import (
    ADMIT, DAY, KONNECTOR, PER_DIEM, UNMATCHABLE, admitted, authorize, batch, charge, entries, everything, records,
    suite_with,
)
from mockkit import refused


@pytest.mark.parametrize("charges", ["x", None, {"emr_item_id": 1}, [1], [{"emr_item_id": 1}, "two"]],
                         ids=["string", "null", "object", "list of numbers", "one not an object"])
def test_a_charge_batch_whose_charges_are_not_a_list_of_objects_is_refused(mocks, charges):
    before = everything(mocks.suite)
    named = refused(mocks.rcm.post("/rcm/charges/batch", json={"emr_patient_id": "1", "charges": charges}),
                    422, {"charges"})
    assert "list" in named["charges"]
    assert everything(mocks.suite) == before

# -- the charge batch, straight to the RCM --------------------------------------------------

def test_one_bad_charge_does_not_stop_the_others(mocks):
    p = admitted(mocks)
    results = batch(mocks, p.emr_id, [
        charge(1),
        charge(2, match=UNMATCHABLE),
        charge(3, date_of_service="2026-04-15", match={"service_description": "Individual Therapy 60",
                                                       "procedure_code": "90837"}),  # outside its authorization
        charge(4, match=PER_DIEM),
        charge(5, admit_date="2023-12-31"),  # no episode admitted that day
    ])
    assert [r["status"] for r in results] == ["accepted", "error", "error", "accepted", "error"]
    assert [r["service"] for r in results if r["status"] == "accepted"] == ["Group Therapy", "Residential"]
    for r in results:
        if r["status"] == "error":
            assert r["cause"].startswith(f"charge {r['emr_item_id']}:") and r["fix"], r
    assert "no RCM service matches" in results[1]["cause"]
    assert "authorizes Individual Therapy 60 on 2026-04-15" in results[2]["cause"]
    assert "2023-12-31" in results[4]["cause"]
    assert [(e["emr_item_id"], e["id"]) for e in entries(mocks)] == \
        [(1, results[0]["attendance_id"]), (4, results[3]["attendance_id"])]


@pytest.mark.parametrize("change", [{"date_of_service": None}, {"date_of_service": "2026-02-30"}, {"match": "x"}],
                         ids=["no date", "not a date", "match not an object"])
def test_a_malformed_charge_is_an_error_of_its_own(mocks, change):
    # BUG: a charge without a date of service, or whose match is not an object, fails the whole
    # batch with a 500 (KeyError / AttributeError), and an impossible date lands on the
    # Attendance Calendar; each should be a per-charge error naming the charge.
    p = admitted(mocks)
    bad = charge(2, **change)
    if change.get("date_of_service", "") is None:
        del bad["date_of_service"]
    results = batch(mocks, p.emr_id, [charge(1), bad, charge(3)])
    assert [r["status"] for r in results] == ["accepted", "error", "accepted"]
    assert results[1]["cause"].startswith("charge 2:")
    assert [e["emr_item_id"] for e in entries(mocks)] == [1, 3]


def test_a_charge_for_a_patient_unknown_to_the_rcm_names_the_charge_and_the_cause(mocks):
    admitted(mocks)
    before = everything(mocks.suite)
    results = batch(mocks, 999, [charge(41), charge(42, match=PER_DIEM)])
    assert [r["status"] for r in results] == ["error", "error"]
    for r in results:
        assert r["cause"].startswith(f"charge {r['emr_item_id']}:")
        assert "profile is not in the RCM" in r["cause"]
        assert "Send to Kipu RCM" in r["fix"]
    assert everything(mocks.suite) == before


def test_the_trace_of_an_unmatched_charge_lists_every_link_with_its_reason(mocks):
    p = admitted(mocks)
    [result] = batch(mocks, p.emr_id, [charge(7, match=UNMATCHABLE)])
    assert result["status"] == "error" and "no RCM service matches" in result["cause"]
    trace = result["matching"]
    # Insurance-pay services are tried first, then private-pay ones, each through the whole chain.
    assert [(t["pay_type"], t["link"]) for t in trace] == [
        (pay, link) for pay in ("insurance", "private") for link in ("level of care ID", "service name", "codes")]
    assert all(t["service"] is None for t in trace)
    for t in trace:
        assert t["reason"].startswith(f"no {t['pay_type']}-pay RCM service"), t
    assert "'LOC-NONE'" in trace[0]["reason"]
    assert "'Equine Therapy'" in trace[1]["reason"]
    assert all(v in trace[2]["reason"] for v in ("'0999'", "'99999'", "'GT'", "'professional'"))
    assert entries(mocks) == []


def test_insurance_pay_services_are_tried_before_private_pay_ones(mocks):
    p = admitted(mocks)
    # Group Therapy's codes are those of "Group Therapy - Private Pay" too: insurance wins.
    results = batch(mocks, p.emr_id, [charge(1, match={"service_description": "Group Session"}),
                                      charge(2, match={"service_description": "Group Therapy - Private Pay",
                                                       "procedure_code": "", "claim_format": ""})])
    assert [r["service"] for r in results] == ["Group Therapy", "Group Therapy - Private Pay"]
    assert [(e["pay_type"], e["matched_by"]) for e in entries(mocks)] == [("insurance", "codes"),
                                                                           ("private", "service name")]


def test_an_uninsured_patient_matches_only_private_pay_services(mocks):
    p = admitted(mocks, insured=False)
    private = {"insurance": "Private Pay"}
    results = batch(mocks, p.emr_id, [charge(1, **private), charge(2, match=PER_DIEM, **private),
                                      charge(3, match={"service_description": "Individual Therapy 60",
                                                       "procedure_code": "90837"}, **private),
                                      charge(4, match=UNMATCHABLE, **private),
                                      charge(5)])  # billed to Aetna, but the RCM has no insurance for him
    assert [r.get("service") for r in results] == ["Group Therapy - Private Pay", "Residential - Private Pay",
                                                   "Individual Therapy 60 - Private Pay", None, None]
    assert {t["pay_type"] for t in results[3]["matching"]} == {"private"}
    assert len(results[3]["matching"]) == 3
    assert "no insurance in the RCM" in results[4]["cause"]
    assert {e["pay_type"] for e in entries(mocks)} == {"private"}


def test_the_attendance_entry_keeps_only_what_travels(mocks):
    p = admitted(mocks)
    sent = charge(9, location="Annex B", program="Evening Track", insurance="Aetna", units=4,
                  diagnosis_codes=["F32.9"], duration={"minutes": 61, "required": 45}, claim_format="professional",
                  codes={"cpt": "90853"}, match={"modifier": "HQ"})
    [result] = batch(mocks, p.emr_id, [sent])
    assert result["status"] == "accepted", result
    [entry] = records(mocks, "rcm", "attendance")
    forbidden = {"admit_date", "location", "insurance", "program", "modifier", "modifiers", "diagnosis_codes",
                 "diagnoses", "duration", "claim_format", "codes", "match"}
    assert not forbidden & set(entry), entry
    text = json.dumps(entry)
    for value in (ADMIT, "Annex B", "Evening Track", "Aetna", "F32.9", "HQ", "professional", "90853"):
        assert value not in text, (value, entry)
    assert (entry["date_of_service"], entry["units"], entry["rendering_provider"]) == (DAY, 1, KONNECTOR)


# -- the matching chain is a set of plugins -----------------------------------------------------

def test_blocking_the_level_of_care_link_leaves_the_service_name(mocks):
    p = admitted(mocks)
    [result] = batch(mocks, p.emr_id, [charge(1, match=PER_DIEM)])
    assert result["service"] == "Residential"
    assert entries(mocks)[0]["matched_by"] == "level of care ID"  # with every built-in link

    m = suite_with(blocked=("kipu_harness.plugins.charge_matching:by_level_of_care_id",))
    try:
        p = admitted(m)
        [result] = batch(m, p.emr_id, [charge(1, match=PER_DIEM)])
        assert result["service"] == "Residential"
        assert entries(m)[0]["matched_by"] == "service name"
        [unmatched] = batch(m, p.emr_id, [charge(2, match=UNMATCHABLE)])
        assert [t["link"] for t in unmatched["matching"]] == ["service name", "codes"] * 2
    finally:
        m.suite.close()


class CustomLink:
    """A deployment's own link, placed before the built-ins: a charge described as ``description``
    bills the first service of its pay type."""

    def __init__(self, description: str):
        self.description = description

    @kipu_harness.hookimpl(tryfirst=True)
    def harness_match_charge(self, charge, services, pay_type):
        if charge.service_description == self.description:
            return MatchStep("custom", services[0], "the deployment's rule")
        return None


def test_a_custom_link_placed_first_wins(mocks):
    m = suite_with(extra=(CustomLink("Residential"),))
    try:
        p = admitted(m)
        authorize(m, p, "Detox", payer=p.payer_id)  # services[0] of insurance pay: Detox
        results = batch(m, p.emr_id, [charge(1, match=PER_DIEM), charge(2)])
        assert [r["service"] for r in results] == ["Detox", "Group Therapy"]
        assert [e["matched_by"] for e in entries(m)] == ["custom", "service name"]
        [unmatched] = batch(m, p.emr_id, [charge(3, match=UNMATCHABLE)])
        assert "custom" not in {t["link"] for t in unmatched["matching"]}  # it answered nothing for this one
    finally:
        m.suite.close()
