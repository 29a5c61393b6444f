"""What the tests of the mock CRM, EMR and RCM on their own share: a complete EMR patient and its
admission, the RCM's patients, a system's journal and each system's create call."""

from __future__ import annotations

from typing import Any

from mockkit import SSN, Mocks, new_patient


SSN_DIGITS = "123456789"
MASKED = "***-**-6789"

# Every demographic an admission needs (WF-2.2), in the EMR's write names.
COMPLETE = {
    "first_name": "Ann",
    "middle_name": "Beth",
    "last_name": "Lee",
    "dob": "1980-01-02",
    "gender": "Female",
    "ssn": SSN,
    "phone": "555-123-4567",
    "address_street": "1 Main St",
    "address_city": "Springfield",
    "address_state": "NY",
    "address_zip": "12345",
    "admission_date": "2024-01-05T10:00",
}


def admit(m: Mocks, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A complete EMR patient with a diagnosis and an MR Number: the A01 reaches the RCM."""
    patient = new_patient(m, **(data or COMPLETE))
    assert m.emr.post(f"/api/patients/{patient['id']}/diagnoses", json={"code": "F10.20"}).status_code == 201
    response = m.emr.post(f"/api/patients/{patient['id']}/mr_number")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["rcm"]["sent"] is True
    return response.get_json()["patient"]


def rcm_patients(m: Mocks) -> list[dict[str, Any]]:
    return m.rcm.get("/rcm/patients").get_json()["patients"]


def journal(m: Mocks, system: str) -> list[dict[str, Any]]:
    response = m.client(system).get("/_mock/journal")
    assert response.status_code == 200
    return response.get_json()["entries"]


def create_post(system: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(path, JSON body) of the create call of ``system`` for the fields ``data``."""
    if system == "emr":
        return "/api/patients", {"document": {"recipient_id": 1, "data": data}}
    if system == "rcm":
        return "/rcm/prospects", data
    return "/crm/prospects", data
