"""The mocks' routes: unknown ids, routes and methods answered in JSON, the OpenAPI document, and
the control routes (health, journal, reset, clock, outbox)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from kipu_harness.mocks import SYSTEMS, MockSuite
from mockkit import PINNED, new_patient, pin_clock, refused, state
from patientkit import admit, journal, rcm_patients


# -- unknown ids, unknown routes, wrong methods --------------------------------------------

UNKNOWN_IDS = [
    ("crm", "get", "/crm/prospects/999", None),
    ("crm", "post", "/crm/prospects/999/insurance", {"payer_name": "Aetna", "policy_number": "P1"}),
    ("crm", "post", "/crm/prospects/999/opportunities", {"level_of_care": "Detox"}),
    ("crm", "post", "/crm/opportunities/999/push", None),
    ("emr", "get", "/api/patients/999?phi_level=high&patient_master_id=x", None),
    ("emr", "patch", "/api/patients/999", {"document": {"data": {"first_name": "Ann"}}}),
    ("emr", "post", "/api/patients/999/mr_number", None),
    ("emr", "post", "/api/patients/999/send_to_rcm", None),
    ("emr", "post", "/api/patients/999/diagnoses", {"code": "F10.20"}),
    ("emr", "post", "/api/patients/999/discharge", {"discharge_date": "2024-01-20"}),
    ("emr", "post", "/api/patients/999/accept", None),
    ("rcm", "get", "/rcm/patients/999", None),
    ("rcm", "patch", "/rcm/patients/999/profile", {"first_name": "Ann"}),
]


@pytest.mark.parametrize("system,method,path,body", UNKNOWN_IDS, ids=[f"{m} {p}" for _, m, p, _ in UNKNOWN_IDS])
def test_an_unknown_id_is_a_json_404_naming_it(mocks, system, method, path, body):
    before = state(mocks.suite)
    response = getattr(mocks.client(system), method)(path, json=body)
    named = refused(response, 404, {"id"})
    assert "999" in response.get_json()["errors"]
    assert "999" in named["id"]
    assert state(mocks.suite) == before


def test_a_non_numeric_id_is_a_404_not_a_500(mocks):
    # The strict id converter: no route takes "abc", so the answer is the JSON 404 of an unknown URL.
    response = mocks.emr.get("/api/patients/abc?patient_master_id=x")
    assert response.status_code == 404 and response.is_json and response.get_json()["status_code"] == 404


@pytest.mark.parametrize("system", SYSTEMS)
def test_an_unknown_route_is_a_json_404(mocks, system):
    response = mocks.client(system).get("/no/such/route")
    assert response.status_code == 404
    assert response.is_json
    body = response.get_json()
    assert body["status_code"] == 404 and isinstance(body["errors"], str) and body["errors"]
    assert "<html" not in response.get_data(as_text=True).lower()


WRONG_METHODS = [("crm", "delete", "/crm/prospects"), ("emr", "delete", "/api/patients/census"),
                 ("emr", "get", "/api/patients/1/mr_number"), ("rcm", "put", "/rcm/hl7")]


@pytest.mark.parametrize("system,method,path", WRONG_METHODS, ids=[f"{m} {p}" for _, m, p in WRONG_METHODS])
def test_a_wrong_method_is_a_json_405(mocks, system, method, path):
    before = state(mocks.suite)
    response = getattr(mocks.client(system), method)(path)
    assert response.status_code == 405
    assert response.is_json
    body = response.get_json()
    assert body["status_code"] == 405 and body["errors"]
    assert state(mocks.suite) == before


def test_a_405_says_which_methods_are_allowed(mocks):
    """RFC 9110 §15.5.6: a 405 response MUST carry an Allow header."""
    response = mocks.crm.delete("/crm/prospects")
    assert response.status_code == 405
    assert set(response.allow) >= {"GET", "POST"}


# -- control routes -------------------------------------------------------------------

MAIN_ROUTES = {
    "crm": {"/crm/prospects", "/crm/prospects/{prospect_id}", "/crm/opportunities/{opportunity_id}/push"},
    "emr": {"/api/patients", "/api/patients/census", "/api/patients/{patient_id}",
            "/api/patients/{patient_id}/send_to_rcm", "/api/patients/{patient_id}/mr_number"},
    "rcm": {"/rcm/prospects", "/rcm/hl7", "/rcm/patients", "/rcm/patients/{patient_id}"},
    "payer": {"/payer/members", "/payer/x12/270"},
}


@pytest.mark.parametrize("system", SYSTEMS)
def test_openapi_document_describes_the_routes_the_app_serves(mocks, system):
    response = mocks.client(system).get("/openapi.json")
    assert response.status_code == 200 and response.is_json
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert MAIN_ROUTES[system] <= set(doc["paths"])
    assert "Error" in doc["components"]["schemas"]
    adapter = mocks.suite.apps[system].url_map.bind("localhost")
    operation_ids = []
    for path, operations in doc["paths"].items():
        assert path.startswith("/")
        for method, op in operations.items():
            assert method in {"get", "post", "put", "patch", "delete"}
            assert op["summary"] and op["responses"]
            operation_ids.append(op["operationId"])
            for param in op.get("parameters", []):
                assert param["in"] in ("path", "query", "header")  # header: X-Kipu-User (SET-05)
                assert ("{" + param["name"] + "}" in path) == (param["in"] == "path")
            concrete = re.sub(r"\{[^}]+\}", "1", path)  # every documented route exists (ids are digits)
            try:
                adapter.match(concrete, method=method.upper())
            except (NotFound, MethodNotAllowed) as exc:
                pytest.fail(f"{method.upper()} {path} is documented but not served: {exc}")
    assert len(operation_ids) == len(set(operation_ids))


@pytest.mark.parametrize("system", SYSTEMS)
def test_health(mocks, system):
    response = mocks.client(system).get("/_mock/health")
    assert response.status_code == 200
    assert response.get_json() == {"system": system, "status": "ok"}


def test_the_journal_records_calls_but_not_control_calls(mocks):
    assert mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}).status_code == 201
    assert mocks.crm.get("/crm/prospects/42").status_code == 404
    for path in ("/_mock/health", "/_mock/clock", "/_mock/outbox", "/openapi.json"):
        assert mocks.crm.get(path).status_code == 200
    mocks.crm.post("/_mock/outbox/deliver")
    entries = journal(mocks, "crm")
    assert [(e["channel"], e["summary"]) for e in entries] == [
        ("http", "POST /crm/prospects -> 201"),
        ("http", "GET /crm/prospects/42 -> 404"),
    ]
    assert json.loads(entries[0]["body"]) == {"first_name": "Ann", "last_name": "Lee"}
    assert all(dt.datetime.fromisoformat(e["at"]) for e in entries)
    # The webhook the CRM sent is in the RCM's journal, not the CRM's.
    assert [e["summary"] for e in journal(mocks, "rcm")] == ["POST /rcm/prospects -> 201"]
    assert [e["summary"] for e in mocks.rcm.get("/_mock/journal?channel=hl7").get_json()["entries"]] == []
    # bodies=false: the same entries, to count them, without the messages; after: only the newer.
    bare = mocks.crm.get("/_mock/journal?bodies=false").get_json()["entries"]
    assert bare == [{k: v for k, v in e.items() if k != "body"} for e in entries]
    newer = mocks.crm.get(f"/_mock/journal?bodies=false&after={entries[0]['id']}").get_json()["entries"]
    assert [e["summary"] for e in newer] == ["GET /crm/prospects/42 -> 404"]
    refused = mocks.crm.get("/_mock/journal?bodies=maybe")
    assert refused.status_code == 422 and "bodies" in refused.get_data(as_text=True)


@pytest.mark.parametrize("system", SYSTEMS)
def test_reset_empties_the_store_and_unpins_the_clock(mocks, system, pm):
    fresh = MockSuite(pm)  # a reset system is a new one: empty but for the default facility
    configured = state(fresh)[system]
    fresh.close()
    pin_clock(mocks, "2001-02-03T04:05:06")
    admit(mocks)
    mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"})
    mocks.payer.post("/payer/members", json={"member_id": "M1", "outcome": "inactive"})
    assert state(mocks.suite)[system] != configured
    response = mocks.client(system).post("/_mock/reset")
    assert response.status_code == 200 and response.get_json() == {"system": system, "reset": True}
    assert state(mocks.suite)[system] == configured
    assert journal(mocks, system) == []
    assert mocks.client(system).get("/_mock/clock").get_json()["now"] != "2001-02-03T04:05:06"
    # Ids start over after a reset.
    if system == "emr":
        assert new_patient(mocks, first_name="Bo", last_name="Ng")["id"] == 1


def test_the_clock_pins_and_unpins(mocks):
    pin_clock(mocks, "2001-02-03T04:05:06")
    for system in SYSTEMS:  # one clock for the suite
        assert mocks.client(system).get("/_mock/clock").get_json() == {"now": "2001-02-03T04:05:06"}
    prospect = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}).get_json()["prospect"]
    assert prospect["created_at"] == "2001-02-03T04:05:06"
    assert journal(mocks, "crm")[0]["at"] == "2001-02-03T04:05:06"

    response = mocks.emr.post("/_mock/clock", json={"now": None})
    assert response.status_code == 200
    assert response.get_json()["now"][:4] != "2001"


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00", 20240101, ["2024-01-01"], ""])
def test_a_bad_clock_value_is_a_422_naming_now_and_changes_nothing(mocks, value):
    pin_clock(mocks)
    response = mocks.emr.post("/_mock/clock", json={"now": value})
    refused(response, 422, {"now"})
    assert mocks.emr.get("/_mock/clock").get_json() == {"now": PINNED}


def test_the_outbox_can_be_filtered_and_redelivered(mocks):
    mocks.suite.contexts["emr"].links.down.add("rcm")
    new_patient(mocks, first_name="Ann", last_name="Lee")
    pending = mocks.emr.get("/_mock/outbox?status=pending").get_json()["deliveries"]
    assert len(pending) == 1 and pending[0]["detail"].startswith("unreachable")
    assert rcm_patients(mocks) == []
    mocks.suite.contexts["emr"].links.down.clear()
    delivered = mocks.emr.post("/_mock/outbox/deliver").get_json()["delivered"]
    assert [(d["id"], d["status"]) for d in delivered] == [(pending[0]["id"], "delivered")]
    assert mocks.emr.get("/_mock/outbox?status=pending").get_json()["deliveries"] == []
    assert len(rcm_patients(mocks)) == 1
