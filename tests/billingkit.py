"""What the tests of the mocks' billing side share: a patient made ready for billing, documenting,
transmitting, submitting and claiming, the charges the Billing Audit Tool sends, and snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kipu_harness.mocks import MockSuite
from kipu_harness.plugin_manager import make_plugin_manager
from mockkit import PINNED, Mocks, _mocks, state


BILLER = {"X-Kipu-User": "biller"}
CLINICIAN = {"X-Kipu-User": "clinician"}
ADMIT = "2024-01-05"
DAY = "2026-03-05"  # inside the U/R and the standalone authorization (2026-03-02..31)
KONNECTOR = "1987654328"  # the Konnector's rendering provider (harness/facility.toml)
REYES = "1765432103"  # the rendering provider on the standalone authorization

COMPLETE = {
    "first_name": "Ann", "last_name": "Lee", "dob": "1980-01-02", "gender": "Female", "ssn": "123-45-6789",
    "phone": "555-123-4567", "address_street": "1 Main St", "address_city": "Springfield", "address_state": "NY",
    "address_zip": "12345", "admission_date": f"{ADMIT}T10:00",
}
# Fourteen more billable ICD-10-CM codes: with the admission's F10.20, fifteen in all.
MORE_DIAGNOSES = ("F11.20", "F12.20", "F13.20", "F14.20", "F15.20", "F16.20", "F18.20", "F19.20", "F32.9", "F41.1",
                  "F43.10", "F33.1", "F41.0", "F17.210")

# The billing records each system keeps, besides what mockkit.state() already compares.
BILLING_KINDS = {
    "emr": ("billable_template", "group_session", "billing_item", "rendering_provider"),
    "rcm": ("attendance", "claim", "provider", "billing_setting", "rcm_service", "claim_rule"),
    "payer": ("x12_interchange",),
}


# -- helpers -------------------------------------------------------------------------------

def everything(suite: MockSuite) -> dict[str, Any]:
    """mockkit.state() plus every billing record: what a refused billing call must leave as it was."""
    snapshot = state(suite)
    for system, kinds in BILLING_KINDS.items():
        with suite.contexts[system].store.read() as tx:
            snapshot[system].update({kind: tx.all(kind) for kind in kinds})
    return snapshot


def records(m: Mocks, system: str, kind: str) -> list[dict[str, Any]]:
    with m.suite.contexts[system].store.read() as tx:
        return tx.all(kind)


@dataclass
class Patient:
    emr_id: int
    rcm_id: int
    payer_id: int | None

    @property
    def episode(self) -> str:
        return f"/rcm/patients/{self.rcm_id}/episodes/1"


def admitted(m: Mocks, *, insured: bool = True, payer: str = "Aetna") -> Patient:
    """Made ready for billing as charge_steps._ready_for_billing does: an admitted patient (the
    A01 reached the RCM), a new payer (Aetna; another name for a second patient), a primary self
    insurance unless ``insured`` is False, a Residential U/R and an Individual Therapy 60
    standalone authorization for March 2026."""
    response = m.emr.post("/_mock/clock", json={"now": PINNED})
    assert response.status_code == 200
    response = m.emr.post("/api/patients", json={"document": {"recipient_id": "t", "data": COMPLETE}})
    assert response.status_code == 201, response.get_json()
    emr_id = response.get_json()["patient"]["id"]
    assert m.emr.post(f"/api/patients/{emr_id}/diagnoses", json={"code": "F10.20"}).status_code == 201
    response = m.emr.post(f"/api/patients/{emr_id}/mr_number")
    assert response.status_code == 200 and response.get_json()["rcm"]["sent"] is True, response.get_json()
    found = m.rcm.get(f"/rcm/patients?emr_patient_id={emr_id}").get_json()["patients"]
    assert len(found) == 1, found
    response = m.rcm.post("/rcm/payers", json={"name": payer, "payer_id": "60054", "phone": "800-872-3862"})
    assert response.status_code == 201, response.get_json()
    patient = Patient(emr_id, found[0]["id"], response.get_json()["payer"]["id"])
    if insured:
        response = m.rcm.post(f"{patient.episode}/insurances", json={
            "priority": "primary", "payer": patient.payer_id, "effective_date": "2024-01-01",
            "policy_holder": {"relationship": "Self", "insurance_id": "W123", "plan_name": "Gold"}})
        assert response.status_code == 201, response.get_json()
    authorize(m, patient, "Residential", payer=patient.payer_id if insured else None)
    authorize(m, patient, "Individual Therapy 60", kind="standalone_authorizations", rendering_provider=REYES)
    return patient


def authorize(m: Mocks, patient: Patient, service: str, kind: str = "utilization_reviews", **changes: Any) -> None:
    body = {"service": service, "start_date": "2026-03-02", "end_date": "2026-03-31", "units": 30,
            "authorization_status": "Authorized", "authorization_number": f"AUTH-{service[:3].upper()}", **changes}
    response = m.rcm.post(f"{patient.episode}/{kind}", json=body)
    assert response.status_code == 201, response.get_json()


def templates(m: Mocks) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in m.emr.get("/api/billable_templates").get_json()["billable_templates"]}


def attend(m: Mocks, patient: Patient, name: str, day: str = DAY, times: int = 1) -> None:
    template_id = templates(m)[name]["id"]
    for _ in range(times):
        response = m.emr.post("/api/group_sessions", json={
            "template_id": template_id, "date": day,
            "attendance": [{"patient_id": patient.emr_id, "present": True, "minutes": 60}]})
        assert response.status_code == 201, response.get_json()


def evaluate(m: Mocks, patient: Patient, name: str = "Individual Therapy 60", day: str = DAY,
             provider: str = REYES) -> dict[str, Any]:
    response = m.emr.post(f"/api/patients/{patient.emr_id}/patient_evaluations", json={"document": {"data": {
        "evaluation_id": templates(m)[name]["id"], "start_time": day, "duration": 60, "rendering_provider": provider}}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["billing_item"]


def items(m: Mocks) -> list[dict[str, Any]]:
    return m.emr.get("/api/billing_audit_tool").get_json()["billing_items"]


def transmit(m: Mocks, ids: list[int] | None = None) -> list[dict[str, Any]]:
    ids = [i["id"] for i in items(m) if i["status"] == "open"] if ids is None else ids
    response = m.emr.post("/api/billing_audit_tool/transmit", json={"item_ids": ids}, headers=BILLER)
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert all(r["status"] == "accepted" for r in results), results
    return results


def entries(m: Mocks) -> list[dict[str, Any]]:
    return m.rcm.get("/rcm/attendance").get_json()["entries"]


def submit(m: Mocks, ids: list[int] | None = None) -> None:
    ids = [e["id"] for e in entries(m) if e["status"] == "transmitted"] if ids is None else ids
    response = m.rcm.post("/rcm/attendance/submit", json={"entry_ids": ids}, headers=BILLER)
    assert response.status_code == 200, response.get_json()


def make_claims(m: Mocks) -> list[dict[str, Any]]:
    response = m.rcm.post("/rcm/work_center/claims", headers=BILLER)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["claims"]


def bill_everything(m: Mocks) -> list[dict[str, Any]]:
    """Transmit every open item, submit every treatment, create the claims."""
    transmit(m)
    submit(m)
    return make_claims(m)


def segments(text: str) -> list[list[str]]:
    return [s.strip().split("*") for s in text.split("~") if s.strip()]


def charge(item_id: int, **changes: Any) -> dict[str, Any]:
    """A charge as the Billing Audit Tool sends it: a Group Therapy session by default; ``match``
    in ``changes`` replaces keys of the match block only."""
    match = {"level_of_care_uid": "", "service_description": "Group Therapy", "revenue_code": "",
             "procedure_code": "90853", "modifier": "", "claim_format": "professional", "place_of_service": "55"}
    wanted = changes.pop("match", {})
    return {"emr_item_id": item_id, "date_of_service": DAY, "units": 1, "rendering_provider": "",
            "admit_date": ADMIT, "location": "", "insurance": "Aetna", "program": "", "place_of_service": "55",
            "match": {**match, **wanted} if isinstance(wanted, dict) else wanted, **changes}


PER_DIEM = {"level_of_care_uid": "LOC-RES", "service_description": "Residential", "revenue_code": "1002",
            "procedure_code": "H0018", "claim_format": "institutional"}
UNMATCHABLE = {"level_of_care_uid": "LOC-NONE", "service_description": "Equine Therapy", "revenue_code": "0999",
               "procedure_code": "99999", "modifier": "GT", "claim_format": "professional"}


def batch(m: Mocks, emr_patient_id: Any, charges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = m.rcm.post("/rcm/charges/batch", json={"emr_patient_id": str(emr_patient_id), "charges": charges})
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert [r["emr_item_id"] for r in results] == [c.get("emr_item_id") for c in charges]
    return results


def x12_journal(m: Mocks) -> list[dict[str, Any]]:
    response = m.payer.get("/_mock/journal?channel=x12")
    assert response.status_code == 200
    return response.get_json()["entries"]


def suite_with(*, blocked: tuple[str, ...] = (), extra: tuple[object, ...] = ()) -> Mocks:
    return _mocks(MockSuite(make_plugin_manager(blocked=blocked, extra=extra)))
