"""The mock EMR's directory in Kipu's API v3 shape: locations and buildings, users and providers
(uuid ids), roles and user titles, and the levels of care with Kipu's fields."""

from __future__ import annotations

import re

import pytest

from emrkit import NOBODY, walk
from kipu_harness.mocks.common import facility
from mockkit import refused, state

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
BASIC = {"id", "first_name", "middle_name", "last_name", "title", "email", "mobile", "home_phone"}
PROVIDERS = {("Elena", "Morgan", "MD", "1987654328"), ("Daniel", "Okafor", "LCSW", "1456789019"),
             ("Priya", "Reyes", "PsyD", "1765432103")}


def by_name(rows):
    return {(r["first_name"], r["last_name"]): r for r in rows}


def get(m, path, **params):
    response = m.emr.get(path, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# -- locations -----------------------------------------------------------------------------------

def test_locations_are_the_facility_and_its_buildings_only_when_asked(mocks):
    plain = get(mocks, "/api/locations")
    assert set(plain) == {"locations"}  # not paged
    assert plain["locations"] == [{"location_id": 1, "location_name": "Kipu Harness Recovery Center", "enabled": True}]
    for value in ("false", "False"):
        assert get(mocks, "/api/locations", include_buildings=value) == plain
    for value in ("true", "True"):  # kipu-python sends Python's True as it prints
        [place] = get(mocks, "/api/locations", include_buildings=value)["locations"]
        assert {k: v for k, v in place.items() if k != "buildings"} == plain["locations"][0]
        assert [b["building_name"] for b in place["buildings"]] == ["Main House", "North Campus"]
        ids = [b["building_id"] for b in place["buildings"]]
        assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 2
    named = refused(mocks.emr.get("/api/locations?include_buildings=yes"), 422, {"include_buildings"})
    assert "true" in named["include_buildings"]


def test_without_a_locations_table_the_facility_is_the_location_with_the_billed_buildings():
    data = {k: v for k, v in facility.load().items() if k != "locations"}
    assert facility.locations(data) == [{"name": "Kipu Harness Recovery Center", "buildings": ["North Campus"]}]


# -- users and providers -------------------------------------------------------------------------

def test_users_are_the_emrs_users_then_its_providers_walked_to_the_last_page(mocks):
    users = walk(mocks, "/api/users", "users")
    assert len(users) == 5
    assert all(set(u) - {"username", "npi"} == BASIC for u in users)
    assert all(UUID.fullmatch(u["id"]) for u in users) and len({u["id"] for u in users}) == 5
    assert [u.get("username") for u in users[:2]] == ["biller", "clinician"]
    biller = users[0]
    expected = {k: v for k, v in facility.USERS[0].items() if k != "roles"}
    assert {k: biller[k] for k in expected} == expected and "npi" not in biller
    assert {(u["first_name"], u["last_name"], u["title"], u["npi"]) for u in users[2:]} == PROVIDERS
    assert all("username" not in u for u in users[2:])


def test_ids_are_stable_across_a_reset(mocks):
    before = [u["id"] for u in walk(mocks, "/api/users", "users")]
    assert mocks.emr.post("/_mock/reset").status_code == 200
    assert [u["id"] for u in get(mocks, "/api/users")["users"]] == before


def test_one_user_has_its_locations_roles_and_restrictions_only_when_asked(mocks):
    users = {u.get("username") or u["last_name"]: u for u in get(mocks, "/api/users")["users"]}
    roles = {r["name"]: r for r in get(mocks, "/api/roles")["roles"]}
    biller = get(mocks, f"/api/users/{users['biller']['id']}")["user"]
    assert {k: biller[k] for k in users["biller"]} == users["biller"]
    assert biller["locations"] == [{"location_id": 1, "location_name": "Kipu Harness Recovery Center"}]
    assert biller["roles"] == [roles["billing"]]
    assert "restricted_patients" not in biller
    assert get(mocks, f"/api/users/{users['biller']['id']}", include_restrictions="true")["user"] == \
        {**biller, "restricted_patients": []}
    assert get(mocks, f"/api/users/{users['biller']['id']}", include_restrictions="false")["user"] == biller
    assert get(mocks, f"/api/users/{users['clinician']['id']}")["user"]["roles"] == []
    # A provider is a user too, with the providers' role; its uuid is accepted in upper case.
    morgan = get(mocks, f"/api/users/{users['Morgan']['id'].upper()}")["user"]
    assert morgan["npi"] == "1987654328" and morgan["roles"] == [roles["rendering provider"]]


def test_a_users_roles_are_paged(mocks):
    users = {u.get("username") or u["last_name"]: u for u in get(mocks, "/api/users")["users"]}
    assert [r["name"] for r in walk(mocks, f"/api/users/{users['biller']['id']}/roles", "roles")] == ["billing"]
    assert walk(mocks, f"/api/users/{users['clinician']['id']}/roles", "roles") == []
    assert [r["name"] for r in walk(mocks, f"/api/users/{users['Reyes']['id']}/roles", "roles")] == ["rendering provider"]


def test_providers_are_the_rendering_providers_walked_to_the_last_page(mocks):
    providers = walk(mocks, "/api/providers", "providers")
    assert {(p["first_name"], p["last_name"], p["title"], p["npi"]) for p in providers} == PROVIDERS
    assert all(set(p) == BASIC | {"npi"} for p in providers)
    users = by_name(get(mocks, "/api/users")["users"])
    assert all(users[(p["first_name"], p["last_name"])] == p for p in providers)  # the same person, the same id
    one = get(mocks, f"/api/providers/{providers[0]['id']}")["provider"]
    assert {k: one[k] for k in providers[0]} == providers[0]
    assert one["roles"] == [{"id": 2, "name": "rendering provider"}] and len(one["locations"]) == 1
    assert [r["name"] for r in walk(mocks, f"/api/providers/{providers[0]['id']}/roles", "roles")] == \
        ["rendering provider"]


def test_a_rendering_provider_added_to_the_emr_is_in_the_directory(mocks):
    response = mocks.emr.post("/api/rendering_providers", json={"name": "Nakamura, Ren", "npi": "1234567893"})
    assert response.status_code == 201
    providers = walk(mocks, "/api/providers", "providers")
    assert len(providers) == 4
    ren = by_name(providers)[("Ren", "Nakamura")]
    assert ren["npi"] == "1234567893" and ren["title"] is None
    assert by_name(walk(mocks, "/api/users", "users"))[("Ren", "Nakamura")] == ren


def test_a_user_is_no_provider(mocks):
    biller = get(mocks, "/api/users")["users"][0]
    for path in (f"/api/providers/{biller['id']}", f"/api/providers/{biller['id']}/roles"):
        named = refused(mocks.emr.get(path), 404, {"id"})
        assert biller["id"] in named["id"]


@pytest.mark.parametrize("path", ["/api/users/{}", "/api/users/{}/roles", "/api/providers/{}",
                                  "/api/providers/{}/roles"])
def test_an_unknown_or_malformed_person_id_is_refused(mocks, path):
    before = state(mocks.suite)
    named = refused(mocks.emr.get(path.format(NOBODY)), 404, {"id"})
    assert NOBODY in named["id"]
    field = "provider_id" if "providers" in path else "user_id"
    for bad in ("1", "not-a-uuid", NOBODY + "0"):
        assert "uuid" in refused(mocks.emr.get(path.format(bad)), 422, {field})[field]
    assert state(mocks.suite) == before


def test_user_titles_are_every_title_held_once(mocks):
    body = get(mocks, "/api/user_titles")
    assert set(body) == {"user_titles"}  # not paged
    titles = body["user_titles"]
    assert [t["name"] for t in titles] == ["Billing Specialist", "Clinician", "LCSW", "MD", "PsyD"]
    assert len({t["id"] for t in titles}) == 5 and all(isinstance(t["id"], int) for t in titles)


# -- roles ----------------------------------------------------------------------------------------

def test_roles_and_who_holds_each(mocks):
    roles = walk(mocks, "/api/roles", "roles")
    assert [r["name"] for r in roles] == ["billing", "rendering provider"]
    assert all(set(r) == {"id", "name"} and isinstance(r["id"], int) for r in roles)
    billing, providers = roles
    assert [u["username"] for u in walk(mocks, f"/api/roles/{billing['id']}/users", "users")] == ["biller"]
    holders = walk(mocks, f"/api/roles/{providers['id']}/users", "users")
    assert {(u["first_name"], u["last_name"], u["title"], u["npi"]) for u in holders} == PROVIDERS
    named = refused(mocks.emr.get("/api/roles/99/users"), 404, {"id"})
    assert "99" in named["id"]


# -- levels of care --------------------------------------------------------------------------------

CARE_LEVEL = {"id", "care_level_id", "care_level_name", "care_level_uid", "hours", "billable", "consider_as",
              "days_of_the_week", "place_of_service", "selected_billing_code", "claim_format", "type_of_bill",
              "occurrence_code", "occurrence_span_code", "value_code", "locations"}
HERE = [{"id": 1, "name": "Kipu Harness Recovery Center"}]


def test_care_levels_have_kipus_fields(mocks):
    body = get(mocks, "/api/care_levels")
    assert set(body) == {"care_levels"}  # not paged
    levels = {c["care_level_name"]: c for c in body["care_levels"]}
    assert list(levels) == ["Detox", "Residential", "PHP", "IOP", "OP"]
    assert all(set(c) == CARE_LEVEL for c in levels.values())
    residential = levels["Residential"]
    assert residential["selected_billing_code"] == {"HCode": "H0018", "CCode": "", "RCode": "1002", "Custom": ""}
    assert (residential["billable"], residential["consider_as"], residential["place_of_service"],
            residential["care_level_uid"], residential["locations"]) == (True, "Residential", "55", "LOC-RES", HERE)
    assert residential["care_level_id"] == residential["id"]
    assert levels["IOP"]["days_of_the_week"] == {"sun": False, "mon": True, "tue": False, "wed": True, "thu": False,
                                                 "fri": True, "sat": False}
    assert all(c[k] is None for c in levels.values() for k in ("type_of_bill", "occurrence_code", "value_code"))


def test_a_level_of_care_made_in_the_emr_has_no_codes_and_bills_nothing(mocks):
    days = {d: d in ("mon", "tue") for d in facility.DAYS}
    response = mocks.emr.post("/api/care_levels", json={"care_level_name": "Sober Living", "days_of_the_week": days})
    assert response.status_code == 201, response.get_json()
    made = response.get_json()["care_level"]
    assert set(made) == CARE_LEVEL
    assert made["selected_billing_code"] == {"HCode": "", "CCode": "", "RCode": "", "Custom": ""}
    assert (made["billable"], made["consider_as"], made["days_of_the_week"], made["locations"]) == \
        (False, None, days, HERE)
    assert get(mocks, "/api/care_levels")["care_levels"][-1] == made
    # A per-diem template on it takes its (empty) codes; on a level of the facility, that level's.
    template = {"name": "Sober Day", "kind": "group_session", "billing": "per_diem", "level_of_care": "Sober Living"}
    made = mocks.emr.post("/api/billable_templates", json=template).get_json()["billable_template"]
    assert (made["hcpcs"], made["revenue_code"]) == ("", "")
    made = mocks.emr.post("/api/billable_templates", json={**template, "name": "PHP Day", "level_of_care": "PHP"})
    assert (made.get_json()["billable_template"]["hcpcs"], made.get_json()["billable_template"]["revenue_code"]) == \
        ("H0035", "0913")
