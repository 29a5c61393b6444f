"""The mocks' insurance side: payers (only in the RCM), insurance sets, U/R and standalone
authorizations, what the EMR mirrors of them and may edit locally, the Manage Insurance / Manage
Review windows, and electronic eligibility (X12 270/271) with the payer."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest

from kipu_harness.mocks import MockSuite
from kipu_harness.plugins import x12_eligibility as x12
from kipu_harness.settings import IntegrationSettings
from mockkit import Mocks, _mocks, refused, state

SSN = "123-45-6789"
PINNED = "2024-06-01T12:00:00"
TODAY = PINNED[:10]

# Every demographic an admission needs (WF-2.2), in the EMR's write names.
COMPLETE = {
    "first_name": "Ann",
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
STATUSES = ("Authorized", "Authorized - Not Required", "Denied", "Pending", "Required - Not Obtained", "Not Required")
REVIEW_KINDS = ("utilization_reviews", "standalone_authorizations")
SELF_ONLY = ("subscriber_SSN", "subscriber_address_street", "subscriber_address_city",
             "subscriber_address_state", "subscriber_address_zip")
ALL_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@pytest.fixture
def managed_mocks(pm):
    """A suite whose EMR counts *Authorized - Not Required* as Managed (AMB-01's other value)."""
    suite = MockSuite(pm, settings=IntegrationSettings(auth_not_required_managed="managed"))
    yield _mocks(suite)
    suite.close()


# -- helpers -------------------------------------------------------------------------------

def pin_clock(m: Mocks, when: str = PINNED, system: str = "emr") -> None:
    response = m.client(system).post("/_mock/clock", json={"now": when})
    assert response.status_code == 200 and response.get_json() == {"now": when}


def new_patient(m: Mocks, **data: Any) -> dict[str, Any]:
    response = m.emr.post("/api/patients", json={"document": {"recipient_id": "t", "data": data}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["patient"]


def admit(m: Mocks, **changes: Any) -> dict[str, Any]:
    """A complete EMR patient with a diagnosis and an MR Number: the A01 reaches the RCM."""
    patient = new_patient(m, **{**COMPLETE, **changes})
    assert m.emr.post(f"/api/patients/{patient['id']}/diagnoses", json={"code": "F10.20"}).status_code == 201
    response = m.emr.post(f"/api/patients/{patient['id']}/mr_number")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["rcm"]["sent"] is True
    return response.get_json()["patient"]


def rcm_patient_of(m: Mocks, emr_patient: dict[str, Any]) -> dict[str, Any]:
    found = m.rcm.get(f"/rcm/patients?emr_patient_id={emr_patient['id']}").get_json()["patients"]
    assert len(found) == 1, found
    assert [e["id"] for e in found[0]["treatment_episodes"]] == [1]
    return found[0]


def rcm_patient(m: Mocks, rcm_id: int) -> dict[str, Any]:
    response = m.rcm.get(f"/rcm/patients/{rcm_id}")
    assert response.status_code == 200
    return response.get_json()["patient"]


def add_payer(m: Mocks, name: str = "Aetna", payer_id: str = "60054", phone: str | None = "800-555-0100") -> dict[str, Any]:
    body = {"name": name, "payer_id": payer_id, **({"phone": phone} if phone else {})}
    response = m.rcm.post("/rcm/payers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["payer"]


def self_insurance(payer: int, priority: str = "primary", insurance_id: str = "W123") -> dict[str, Any]:
    return {"priority": priority, "payer": payer, "effective_date": "2024-01-01",
            "policy_holder": {"relationship": "Self", "insurance_id": insurance_id, "plan_name": "Gold"}}


def spouse_insurance(payer: int, priority: str = "primary") -> dict[str, Any]:
    return {"priority": priority, "payer": payer, "effective_date": "2024-02-01",
            "policy_holder": {"relationship": "Spouse", "insurance_id": "C456", "plan_name": "Silver",
                              "first_name": "Bob", "last_name": "Lee", "birthday": "1979-03-04", "gender": "Male"}}


def review(payer: int | None = None, /, **changes: Any) -> dict[str, Any]:
    body = {"start_date": "2024-01-05", "end_date": "2024-01-12", "units": 7, "authorization_status": "Authorized",
            "authorization_number": "AUTH-1", "service": "Sober Living", "um_follow_up_date": "2024-01-10",
            "payer": payer, "rendering_provider": "Dr. Who"}
    return {**body, **changes}


@dataclass
class Admitted:
    emr: dict[str, Any]  # the EMR patient
    rcm_id: int
    payer: dict[str, Any]

    @property
    def episode(self) -> str:
        return f"/rcm/patients/{self.rcm_id}/episodes/1"

    @property
    def insurances(self) -> str:
        return f"{self.episode}/insurances"

    @property
    def emr_query(self) -> str:
        return f"patient_master_id={self.emr['patient_master_id']}"


def ready(m: Mocks, **changes: Any) -> Admitted:
    """The clock pinned, an admitted patient with its RCM episode 1, and one RCM payer."""
    pin_clock(m)
    emr_patient = admit(m, **changes)
    return Admitted(emr_patient, rcm_patient_of(m, emr_patient)["id"], add_payer(m))


def insurances_of(rcm: dict[str, Any], episode: int = 1) -> list[dict[str, Any]]:
    found = next(e for e in rcm["treatment_episodes"] if e["id"] == episode)
    return found["intake"]["insurance"]["insurance_set"]["insurances"]


def save(m: Mocks, a: Admitted, body: dict[str, Any]) -> dict[str, Any]:
    response = m.rcm.post(a.insurances, json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["emr"] == {"sent": True}
    return response.get_json()["insurance"]


def save_review(m: Mocks, a: Admitted, body: dict[str, Any], kind: str = "utilization_reviews") -> dict[str, Any]:
    response = m.rcm.post(f"{a.episode}/{kind}", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["authorization"]


def emr_insurances(m: Mocks, a: Admitted) -> list[dict[str, Any]]:
    response = m.emr.get(f"/api/patients/{a.emr['id']}?{a.emr_query}")
    assert response.status_code == 200
    return response.get_json()["patient"]["insurances"]


def emr_reviews(m: Mocks, a: Admitted) -> list[dict[str, Any]]:
    response = m.emr.get(f"/api/patients/{a.emr['id']}/ur?{a.emr_query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["patient"]["utilization_reviews"]


def outbox(m: Mocks, system: str) -> list[dict[str, Any]]:
    return m.suite.contexts[system].store.outbox()


def x12_journal(m: Mocks, system: str) -> list[dict[str, Any]]:
    response = m.client(system).get("/_mock/journal?channel=x12")
    assert response.status_code == 200
    entries = response.get_json()["entries"]
    assert all(e["channel"] == "x12" for e in entries)
    return entries


# -- 1. payers: only in the RCM (SYS-04) --------------------------------------------------

def test_a_payer_without_name_or_payer_id_is_refused_naming_both(mocks):
    before = state(mocks.suite)
    named = refused(mocks.rcm.post("/rcm/payers", json={"phone": "800-555-0100"}), 422, {"name", "payer_id"})
    assert named == {"name": "is required", "payer_id": "is required"}
    refused(mocks.rcm.post("/rcm/payers", json={"name": "", "payer_id": "60054"}), 422, {"name"})
    assert state(mocks.suite) == before


@pytest.mark.parametrize("formats", ["837P", [], ["837X"], ["837P", 837], None],
                         ids=["a string", "empty", "unknown format", "a number", "null"])
def test_bad_claim_formats_are_refused(mocks, formats):
    before = state(mocks.suite)
    named = refused(mocks.rcm.post("/rcm/payers", json={"name": "Aetna", "payer_id": "60054", "claim_formats": formats}),
                    422, {"claim_formats"})
    assert "837P" in named["claim_formats"] and "837I" in named["claim_formats"]
    assert state(mocks.suite) == before


def test_a_bad_phone_payer_id_and_an_unknown_field_are_each_named(mocks):
    before = state(mocks.suite)
    body = {"name": "Aetna", "payer_id": "60*54", "phone": "call us", "fax": "555"}
    named = refused(mocks.rcm.post("/rcm/payers", json=body), 422, {"phone", "payer_id", "fax"})
    assert named["fax"] == "is not a field of this resource"
    assert state(mocks.suite) == before


def test_a_valid_payer_is_listed_with_both_claim_formats_by_default(mocks):
    payer = add_payer(mocks)
    assert payer == {"id": 1, "name": "Aetna", "payer_id": "60054", "phone": "800-555-0100",
                     "claim_formats": ["837P", "837I"]}
    assert mocks.rcm.get("/rcm/payers").get_json() == {"payers": [payer]}
    response = mocks.rcm.post("/rcm/payers", json={"name": "Cigna", "payer_id": "62308", "claim_formats": ["837I"]})
    assert response.status_code == 201
    assert response.get_json()["payer"]["claim_formats"] == ["837I"]


def test_a_duplicate_payer_name_is_a_409_and_writes_nothing(mocks):
    add_payer(mocks)
    before = state(mocks.suite)
    named = refused(mocks.rcm.post("/rcm/payers", json={"name": "Aetna", "payer_id": "99999"}), 409, {"name"})
    assert "Aetna" in named["name"]
    assert state(mocks.suite) == before


def test_a_payer_patch_changes_only_what_it_names(mocks):
    payer = add_payer(mocks)
    response = mocks.rcm.patch(f"/rcm/payers/{payer['id']}", json={"phone": "800-555-0199"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["payer"] == {**payer, "phone": "800-555-0199"}
    assert mocks.rcm.get("/rcm/payers").get_json()["payers"] == [{**payer, "phone": "800-555-0199"}]


def test_a_bad_payer_patch_is_refused_and_changes_nothing(mocks):
    payer = add_payer(mocks)
    before = state(mocks.suite)
    refused(mocks.rcm.patch(f"/rcm/payers/{payer['id']}", json={"claim_formats": ["X"], "colour": "red"}), 422,
            {"claim_formats", "colour"})
    refused(mocks.rcm.patch("/rcm/payers/99", json={"phone": "800-555-0199"}), 404, {"id"})
    assert state(mocks.suite) == before


def test_a_payer_patch_cannot_take_another_payers_name(mocks):
    """BUG: POST refuses a duplicate name with 409, but PATCH renames a payer onto an existing name."""
    add_payer(mocks)
    cigna = add_payer(mocks, "Cigna", "62308")
    before = state(mocks.suite)
    named = refused(mocks.rcm.patch(f"/rcm/payers/{cigna['id']}", json={"name": "Aetna"}), 409, {"name"})
    assert "Aetna" in named["name"]
    assert state(mocks.suite) == before


def test_a_payer_patch_cannot_blank_its_name_or_payer_id(mocks):
    """BUG: both are required on create, but a PATCH may set them to ""."""
    payer = add_payer(mocks)
    before = state(mocks.suite)
    refused(mocks.rcm.patch(f"/rcm/payers/{payer['id']}", json={"name": "", "payer_id": ""}), 422,
            {"name", "payer_id"})
    assert state(mocks.suite) == before


PAYER_WRITES = [
    ("crm", "post", "/crm/payers", "payer"),
    ("crm", "patch", "/crm/payers/1", "payer"),
    ("emr", "post", "/api/settings/payors", "payor"),
    ("emr", "patch", "/api/settings/payors/1", "payor"),
]


@pytest.mark.parametrize("system,method,path,field", PAYER_WRITES, ids=[f"{m} {p}" for _, m, p, _ in PAYER_WRITES])
def test_the_crm_and_emr_refuse_to_write_payers(mocks, system, method, path, field):
    add_payer(mocks)
    before = state(mocks.suite)
    response = getattr(mocks.client(system), method)(path, json={"name": "Humana", "payer_id": "61101"})
    named = refused(response, 403, {field})
    assert "RCM" in named[field] and "RCM" in response.get_json()["errors"]
    assert state(mocks.suite) == before
    assert [p["name"] for p in mocks.rcm.get("/rcm/payers").get_json()["payers"]] == ["Aetna"]


# -- 2. insurance sets ---------------------------------------------------------------------

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
            named = refused(mocks.rcm.post(a.insurances, json=_body_with(a.payer["id"], change)), 422, fields)
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
    named = refused(mocks.rcm.post(a.insurances, json=self_insurance(a.payer["id"], "secondary")), 422, {"priority"})
    assert "primary" in named["priority"]
    assert rcm_patient(mocks, a.rcm_id) == patient_before
    assert outbox(mocks, "rcm") == outbox_before
    assert state(mocks.suite) == before


def test_a_tertiary_without_a_secondary_is_refused_and_nothing_is_written(mocks):
    a = ready(mocks)
    save(mocks, a, self_insurance(a.payer["id"]))
    patient_before, outbox_before = rcm_patient(mocks, a.rcm_id), outbox(mocks, "rcm")
    before = state(mocks.suite)
    named = refused(mocks.rcm.post(a.insurances, json=spouse_insurance(a.payer["id"], "tertiary")), 422, {"priority"})
    assert "secondary" in named["priority"]
    assert rcm_patient(mocks, a.rcm_id) == patient_before
    assert outbox(mocks, "rcm") == outbox_before
    assert state(mocks.suite) == before


def test_a_second_primary_is_refused(mocks):
    a = ready(mocks)
    save(mocks, a, self_insurance(a.payer["id"]))
    before = state(mocks.suite)
    named = refused(mocks.rcm.post(a.insurances, json=spouse_insurance(a.payer["id"])), 422, {"priority"})
    assert "primary" in named["priority"]
    assert state(mocks.suite) == before


def test_a_patch_that_leaves_a_secondary_without_primary_is_refused(mocks):
    a = ready(mocks)
    first = save(mocks, a, self_insurance(a.payer["id"]))
    save(mocks, a, spouse_insurance(a.payer["id"], "secondary"))
    before = state(mocks.suite)
    refused(mocks.rcm.patch(f"{a.insurances}/{first['id']}", json={"priority": "tertiary"}), 422, {"priority"})
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
            named = refused(response, 404, {"episode_id"})
            assert "abc" in named["episode_id"]
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


# -- 3. U/R and standalone authorizations ----------------------------------------------------

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
            named = refused(mocks.rcm.post(f"{a.episode}/{kind}", json=review(a.payer["id"], **change)), 422, {field})
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
            422, {"end_date"})
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


# -- 4. edits made only in the EMR (INS-15) ---------------------------------------------------

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


# -- 5. Manage Insurance / Manage Review windows -----------------------------------------------

def open_window(m: Mocks, emr_id: int, scope: str = "insurance") -> dict[str, Any]:
    response = m.emr.post(f"/api/patients/{emr_id}/manage_{scope}")
    assert response.status_code == 200, response.get_json()
    window = response.get_json()["window"]
    assert set(window) == {"path", "token", "expires_at"}
    return window


def test_manage_insurance_returns_a_scoped_expiring_window(mocks):
    a = ready(mocks)
    window = open_window(mocks, a.emr["id"])
    assert window["path"] == f"/rcm/window/{a.emr['id']}/insurance"
    assert window["expires_at"] == "2024-06-01T12:30:00"  # PINNED + window_ttl_minutes
    response = mocks.rcm.get(f"{window['path']}?token={window['token']}")
    assert response.status_code == 200, response.get_json()
    shown = response.get_json()
    assert (shown["patient_id"], shown["episode_id"], shown["insurances"]) == (a.rcm_id, 1, [])
    assert shown["profile"]["first_name"] == "Ann"


def test_insurance_saved_and_checked_through_the_window_reaches_the_emr(mocks):
    a = ready(mocks)
    window = open_window(mocks, a.emr["id"])
    response = mocks.rcm.post(f"{window['path']}/insurances?token={window['token']}", json=self_insurance(a.payer["id"]))
    assert response.status_code == 201, response.get_json()
    iid = response.get_json()["insurance"]["id"]
    assert [r["policy_no"] for r in emr_insurances(mocks, a)] == ["W123"]
    response = mocks.rcm.patch(f"{window['path']}/insurances/{iid}?token={window['token']}",
                               json={"effective_date": "2024-05-01"})
    assert response.status_code == 200, response.get_json()
    assert emr_insurances(mocks, a)[0]["effective_date"] == "2024-05-01"
    response = mocks.rcm.post(f"{window['path']}/insurances/{iid}/eligibility?token={window['token']}")
    assert response.status_code == 200, response.get_json()
    assert insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"]["status"] == "active"


def test_a_ur_saved_through_the_review_window_reaches_the_emr(mocks):
    a = ready(mocks)
    window = open_window(mocks, a.emr["id"], "review")
    assert window["path"] == f"/rcm/window/{a.emr['id']}/review"
    response = mocks.rcm.post(f"{window['path']}/utilization_reviews?token={window['token']}",
                              json=review(a.payer["id"]))
    assert response.status_code == 201, response.get_json()
    assert [r["authorization_number"] for r in emr_reviews(mocks, a)] == ["AUTH-1"]
    shown = mocks.rcm.get(f"{window['path']}?token={window['token']}").get_json()
    assert [u["service"] for u in shown["utilization_reviews"]] == ["Sober Living"]


def _altered(token: str, where: str) -> str:
    body, signature = token.split(".")
    if where == "signature":
        return f"{body}.{signature[:-2]}{'AB' if signature[-2:] != 'AB' else 'CD'}"
    return f"{body[:-2]}{'AB' if body[-2:] != 'AB' else 'CD'}.{signature}"


REFUSED_WINDOWS = ["missing", "empty", "altered signature", "altered body", "no signature", "review token",
                   "another patient", "expired"]


def test_a_refused_window_call_is_a_403_naming_the_token_and_writes_nothing(mocks, subtests):
    a = ready(mocks)
    other = admit(mocks, first_name="Cy", ssn="987-65-4320")
    window = open_window(mocks, a.emr["id"])
    review_token = open_window(mocks, a.emr["id"], "review")["token"]
    # The controls: the link works for its patient and scope until it expires.
    assert mocks.rcm.get(f"{window['path']}?token={window['token']}").status_code == 200
    assert mocks.rcm.get(f"/rcm/window/{a.emr['id']}/review?token={review_token}").status_code == 200
    before = state(mocks.suite)
    for case in REFUSED_WINDOWS:  # "expired" last: it moves the clock
        path, query = window["path"], f"?token={window['token']}"
        reason = "not a valid RCM window link"
        if case == "missing":
            query = ""
        elif case == "empty":
            query = "?token="
        elif case.startswith("altered"):
            query = f"?token={_altered(window['token'], case.split()[1])}"
        elif case == "no signature":
            query = f"?token={window['token'].split('.')[0]}"
        elif case == "review token":
            query = f"?token={review_token}"
            reason = "Manage Review, not Manage Insurance"
        elif case == "another patient":
            path = f"/rcm/window/{other['id']}/insurance"
            reason = "another patient"
        elif case == "expired":
            pin_clock(mocks, window["expires_at"], system="rcm")  # the suite shares one clock
            reason = "expired at 2024-06-01T12:30:00"
        with subtests.test(case):
            for response in (mocks.rcm.get(f"{path}{query}"),
                             mocks.rcm.post(f"{path}/insurances{query}", json=self_insurance(a.payer["id"])),
                             mocks.rcm.post(f"{path}/insurances/1/eligibility{query}")):
                named = refused(response, 403, {"token"})
                assert reason in named["token"], named
            assert state(mocks.suite) == before


def test_a_window_is_good_until_the_second_it_expires(mocks):
    a = ready(mocks)
    window = open_window(mocks, a.emr["id"])
    expires = dt.datetime.fromisoformat(window["expires_at"])
    pin_clock(mocks, (expires - dt.timedelta(seconds=1)).isoformat(), system="rcm")
    assert mocks.rcm.get(f"{window['path']}?token={window['token']}").status_code == 200
    pin_clock(mocks, expires.isoformat())
    refused(mocks.rcm.get(f"{window['path']}?token={window['token']}"), 403, {"token"})
    # Opened again from the EMR, the link works again.
    fresh = open_window(mocks, a.emr["id"])
    assert mocks.rcm.get(f"{fresh['path']}?token={fresh['token']}").status_code == 200


def test_a_non_ascii_token_is_a_403_not_a_500(mocks, subtests):
    """BUG: windows.verify (windows.py:41) hands a non-ASCII signature to hmac.compare_digest,
    which raises TypeError: the RCM answers 500 instead of refusing the link."""
    a = ready(mocks)
    before = state(mocks.suite)
    for token in ("%C3%A9", "x.%C3%A9"):  # non-ASCII body (no signature), non-ASCII signature
        with subtests.test(token):
            refused(mocks.rcm.get(f"/rcm/window/{a.emr['id']}/insurance?token={token}"), 403, {"token"})
            assert state(mocks.suite) == before


@pytest.mark.parametrize("how", ["prospective only", "nothing reached the rcm"])
def test_a_window_for_a_patient_not_admitted_in_the_rcm_is_a_404(mocks, how):
    pin_clock(mocks)
    if how == "nothing reached the rcm":
        mocks.suite.contexts["emr"].links.down.add("rcm")
    patient = new_patient(mocks, first_name="Dee", last_name="Fox")
    window = open_window(mocks, patient["id"])
    found = mocks.rcm.get(f"/rcm/patients?emr_patient_id={patient['id']}").get_json()["patients"]
    assert len(found) == (1 if how == "prospective only" else 0)
    named = refused(mocks.rcm.get(f"{window['path']}?token={window['token']}"), 404, {"emr_patient_id"})
    assert "RCM" in named["emr_patient_id"]


# -- 6. electronic eligibility (X12 270/271) ---------------------------------------------------

class AnswerWith:
    """The RCM's links, except that the payer exchange answers ``answer`` or raises ``error``."""

    def __init__(self, original: Any, answer: tuple[int, str] | None = None, error: Exception | None = None):
        self.original, self.answer, self.error = original, answer, error
        self.sent: list[str] = []

    def exchange(self, system: str, path: str, text: str) -> tuple[int, str]:
        self.sent.append(text)
        if self.error:
            raise self.error
        return self.answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


def set_outcome(m: Mocks, member_id: str, outcome: str) -> None:
    response = m.payer.post("/payer/members", json={"member_id": member_id, "outcome": outcome})
    assert response.status_code == 201, response.get_json()


def check(m: Mocks, a: Admitted, iid: int):
    return m.rcm.post(f"{a.insurances}/{iid}/eligibility")


EXPECTED_ELIGIBILITY = {
    "active": ([("1", False, "")], ""),
    "inactive": ([("6", False, "")], ""),
    "auth_required": ([("1", True, "AUTHORIZATION REQUIRED")], ""),
    "not_found": ([], "75"),
}


@pytest.mark.parametrize("outcome", x12.OUTCOMES)
def test_an_eligibility_check_stores_the_payers_answer_and_journals_the_pair(mocks, outcome):
    a = ready(mocks)
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    set_outcome(mocks, "W123", outcome)
    outbox_before = outbox(mocks, "rcm")
    response = check(mocks, a, entry["id"])
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["eligibility"]
    benefits, reject = EXPECTED_ELIGIBILITY[outcome]
    assert result["status"] == outcome
    assert [(b["info"], b["authorization_required"], b["message"]) for b in result["benefits"]] == benefits
    assert all(b["service_types"] == list(x12.SERVICE_TYPES) for b in result["benefits"])
    assert result["reject_reason"] == reject
    assert (result["checked_at"], result["reviewed"]) == (PINNED, None)
    stored = insurances_of(rcm_patient(mocks, a.rcm_id))[0]
    assert stored["eligibility"] == result
    assert outbox(mocks, "rcm") == outbox_before  # eligibility is not sent to the EMR
    rcm_x12 = x12_journal(mocks, "rcm")
    assert [e["summary"] for e in rcm_x12] == ["270 sent to Aetna (ISA13 000000001)", "271 received"]
    sent_270, got_271 = rcm_x12[0]["body"], rcm_x12[1]["body"]
    x12.validate_structure(sent_270, "270")
    x12.validate_structure(got_271, "271")
    assert x12.parse_271(got_271).status == outcome
    inquiry, _ = x12.parse_270(sent_270)
    assert (inquiry.subscriber.member_id, inquiry.subscriber.last_name, inquiry.dependent) == ("W123", "Lee", None)
    assert inquiry.service_date == dt.date(2024, 6, 1)
    payer_x12 = x12_journal(mocks, "payer")
    assert [e["summary"] for e in payer_x12] == ["270 received", f"271 sent ({outcome})"]
    assert [e["body"] for e in payer_x12] == [sent_270, got_271]


def test_a_dependents_check_sends_the_subscriber_and_the_patient(mocks):
    a = ready(mocks)
    entry = save(mocks, a, spouse_insurance(a.payer["id"]))
    response = check(mocks, a, entry["id"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["eligibility"]["status"] == "active"
    inquiry, _ = x12.parse_270(x12_journal(mocks, "rcm")[0]["body"])
    assert (inquiry.subscriber.member_id, inquiry.subscriber.first_name, inquiry.subscriber.gender) == ("C456", "Bob", "M")
    assert inquiry.dependent is not None
    assert (inquiry.dependent.first_name, inquiry.dependent.dob, inquiry.dependent.gender) == (
        "Ann", dt.date(1980, 1, 2), "F")


def test_an_eligibility_check_of_an_unknown_insurance_is_a_404(mocks):
    a = ready(mocks)
    refused(check(mocks, a, 5), 404, {"insurance_id"})
    assert x12_journal(mocks, "rcm") == [] and x12_journal(mocks, "payer") == []


def _a_270() -> str:
    request = x12.EligibilityRequest(
        payer_name="Aetna", payer_id="60054", provider_name="KIPU HARNESS RECOVERY", provider_npi="1234567893",
        subscriber=x12.Party("W123", "Ann", "Lee", dt.date(1980, 1, 2), "F"), service_date=dt.date(2024, 6, 1))
    envelope = x12.Envelope(sender_id="KIPURCM", receiver_id="60054", interchange_control=7, group_control=7,
                            transaction_control=7, created_at=dt.datetime(2024, 6, 1, 12, 0))
    return x12.build_270(request, envelope)


def _broken(case: str) -> str:
    good = _a_270()
    if case == "wrong SE01":
        count = next(line for line in good.splitlines() if line.startswith("SE*")).split("*")[1]
        return good.replace(f"SE*{count}*", f"SE*{int(count) + 1}*")
    if case == "truncated ISA":
        return good[:60]
    return "this is not X12 at all"


@pytest.mark.parametrize("case,names", [("wrong SE01", "SE01"), ("truncated ISA", "ISA"), ("garbage", "ISA")])
def test_a_broken_270_straight_to_the_payer_is_a_400_naming_the_problem(mocks, case, names):
    x12.validate_structure(_a_270(), "270")  # the control: only the change breaks it
    response = mocks.payer.post("/payer/x12/270", data=_a_270(), content_type="text/plain")
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("ISA")
    before = state(mocks.suite)
    named = refused(mocks.payer.post("/payer/x12/270", data=_broken(case), content_type="text/plain"), 400, {"x12"})
    assert named["x12"].startswith(names), named
    assert state(mocks.suite) == before
    assert x12_journal(mocks, "payer")[-1]["summary"].startswith("270 rejected")


@pytest.mark.parametrize("answer", [(200, "garbage"), (200, _a_270()), (400, "nope")],
                         ids=["garbage", "a 270 for a 271", "a refusal"])
def test_a_payer_answer_that_is_not_a_valid_271_is_a_502_and_stores_nothing(mocks, answer):
    a = ready(mocks)
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    links = AnswerWith(mocks.suite.contexts["rcm"].links, answer=answer)
    mocks.suite.contexts["rcm"].links = links
    before = state(mocks.suite)
    refused(check(mocks, a, entry["id"]), 502, {"x12"})
    assert len(links.sent) == 1
    x12.validate_structure(links.sent[0], "270")
    assert insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"] is None
    assert state(mocks.suite) == before
    # The delegating links still deliver the RCM's outbox to the EMR.
    assert mocks.rcm.patch(f"{a.insurances}/{entry['id']}", json={"effective_date": "2024-04-01"}).status_code == 200
    assert emr_insurances(mocks, a)[0]["effective_date"] == "2024-04-01"


def test_an_unreachable_payer_is_a_503_and_stores_nothing(mocks):
    a = ready(mocks)
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    mocks.suite.contexts["rcm"].links = AnswerWith(mocks.suite.contexts["rcm"].links,
                                                   error=ConnectionError("payer is down"))
    before = state(mocks.suite)
    named = refused(check(mocks, a, entry["id"]), 503, {"payer"})
    assert "payer is down" in named["payer"]
    assert insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"] is None
    assert state(mocks.suite) == before
    assert x12_journal(mocks, "payer") == []


@pytest.mark.parametrize("field,value", [("payer name", "Aetna: Behavioral"), ("insurance id", "W*123")])
def test_a_value_x12_cannot_carry_is_refused_not_a_500(mocks, field, value):
    """A payer name or insurance ID holding an X12 delimiter (: * ^ ~) cannot travel in a 270:
    either the save or the check names it; the check never answers 500 or reaches the payer."""
    a = ready(mocks)
    payer_body = {"name": value if field == "payer name" else "Humana", "payer_id": "61101"}
    response = mocks.rcm.post("/rcm/payers", json=payer_body)
    if response.status_code == 422:
        refused(response, 422, {"name"})
        return
    assert response.status_code == 201
    payer = response.get_json()["payer"]
    body = self_insurance(payer["id"], insurance_id=value if field == "insurance id" else "W123")
    response = mocks.rcm.post(a.insurances, json=body)
    if response.status_code == 422:
        refused(response, 422, {"policy_holder.insurance_id"})
        return
    assert response.status_code == 201
    before = state(mocks.suite)
    named = refused(check(mocks, a, response.get_json()["insurance"]["id"]), 422, {"x12"})
    assert value in named["x12"]
    assert insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"] is None
    assert state(mocks.suite) == before
    assert x12_journal(mocks, "payer") == []


def test_an_eligibility_review_needs_a_check_first(mocks):
    a = ready(mocks)
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    path = f"{a.insurances}/{entry['id']}/eligibility/review"
    before = state(mocks.suite)
    refused(mocks.rcm.post(path, json={"reviewed_by": "Jo"}), 409, {"eligibility"})
    assert state(mocks.suite) == before
    assert check(mocks, a, entry["id"]).status_code == 200
    refused(mocks.rcm.post(path, json={"note": "ok", "mood": "good"}), 422, {"reviewed_by", "mood"})
    pin_clock(mocks, "2024-06-01T13:00:00")
    response = mocks.rcm.post(path, json={"reviewed_by": "Jo", "note": "covered"})
    assert response.status_code == 200, response.get_json()
    reviewed = response.get_json()["insurance"]["eligibility"]["reviewed"]
    assert reviewed == {"by": "Jo", "at": "2024-06-01T13:00:00", "note": "covered"}
    stored = insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"]
    assert stored["reviewed"] == reviewed and stored["status"] == "active"
