"""Every paged list the mock EMR documents, found in its own OpenAPI document (so a new list
cannot be missed), walked one record a page to the end as a Kipu client does, on a facility with
a seeded census, documented services and the RCM's payers."""

from __future__ import annotations

import re

import pytest

from emrkit import walk
from kipu_harness.mocks import census
from kipu_harness.mocks.common.api import document
from mockkit import Mocks, _mocks

WIDE = {"start_date": "2000-01-01", "end_date": "2100-12-31", "session_start_date": "2000-01-01",
        "session_end_date": "2100-12-31"}
# Lists that are rightly short here: the vault holds deleted patients (the mock deletes none),
# and each user, provider and role of the default facility has one role or user.
SHORT = {"/api/vaults/patients": 0, "/api/users/{user_id}/roles": 1, "/api/providers/{provider_id}/roles": 1,
         "/api/roles/{role_id}/users": 1}


@pytest.fixture(scope="module")
def facility(pm):
    from kipu_harness.mocks import MockSuite

    suite = MockSuite(pm)
    census.seed(suite, seed=11, size=9)
    m = _mocks(suite)
    patients = m.emr.get("/api/patients/census", query_string={"phi_level": "high", "per": "100"}).get_json()["patients"]
    admitted = [p for p in patients if p["mr_number"]]
    sessions = [t for t in m.emr.get("/api/billable_templates").get_json()["billable_templates"] if t["kind"] == "group_session"]
    template = {"name": "Family Session", "kind": "evaluation", "billing": "ancillary", "cpt": "90847",
                "service_description": "Family Session", "claim_format": "Professional"}
    assert m.emr.post("/api/billable_templates", json=template).status_code == 201  # a second evaluation
    evaluations = m.emr.get("/api/evaluations", query_string={"per": "100"}).get_json()["evaluations"]
    for day in ("2026-03-03", "2026-03-04"):
        body = {"template_id": sessions[0]["id"], "date": day,
                "attendance": [{"patient_id": p["id"], "present": True, "minutes": 360} for p in admitted[:3]]}
        assert m.emr.post("/api/group_sessions", json=body).status_code == 201
        for rendering in ("1987654328", "1456789019"):
            body = {"document": {"data": {"evaluation_id": evaluations[0]["id"], "start_time": f"{day}T10:00",
                                          "duration": 60, "rendering_provider": rendering}}}
            response = m.emr.post(f"/api/patients/{admitted[0]['id']}/patient_evaluations", json=body)
            assert response.status_code == 201, response.get_json()
    yield m, admitted[0]
    suite.close()


def _paged(m: Mocks) -> list[tuple[str, str]]:
    spec = document(m.suite.apps["emr"])
    schemas = spec["components"]["schemas"]
    found = []
    for path, item in spec["paths"].items():
        ok = item.get("get", {}).get("responses", {}).get("200", {})
        ref = ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        if "pagination" in properties:
            found.append((path, next(k for k in properties if k != "pagination")))
    return found


def test_the_document_lists_the_paged_operations(facility):
    paths = {path for path, _ in _paged(facility[0])}
    assert {"/api/patients/census", "/api/patients/admissions", "/api/settings/payors", "/api/group_sessions",
            "/api/patient_evaluations", "/api/users", "/api/providers"} <= paths, paths
    assert len(paths) >= 19


def test_every_paged_list_walks_to_its_last_page(facility):
    m, patient = facility
    walked = {}
    for path, key in _paged(m):
        concrete = re.sub(r"\{patient_id\}", str(patient["id"]), path)
        params = {**WIDE, "phi_level": "high", "patient_master_id": patient["patient_master_id"]}
        if "{" in concrete:  # a list under another record: its first record
            parent, _, rest = concrete.partition("/{")
            first = m.emr.get(parent, query_string={"per": "1", **params}).get_json()
            items = next(v for k, v in first.items() if k != "pagination")
            concrete = f"{parent}/{items[0]['id']}{rest[rest.index('}') + 1:]}"
        walked[path] = len(walk(m, concrete, key, **params))
    short = {p: n for p, n in walked.items() if n < 2 and n != SHORT.get(p)}
    assert not short, f"lists with fewer than two records prove no paging: {short}"
