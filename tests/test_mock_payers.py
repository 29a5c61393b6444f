"""Payers live only in the RCM (SYS-04): what a payer needs, edits of it, and the CRM and EMR
refusing to write one."""

from __future__ import annotations

import pytest

from insurancekit import add_payer
from mockkit import refused, state


# -- payers: only in the RCM (SYS-04) --------------------------------------------------

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
