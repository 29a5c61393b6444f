"""What the tests of the mocks' insurance side share: an admitted patient with its RCM episode and
payer, insurance and U/R bodies, and reading back what the RCM holds and the EMR mirrors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import patientkit
from mockkit import PINNED, Mocks, new_patient, pin_clock


TODAY = PINNED[:10]

# Every demographic an admission needs (WF-2.2), without a middle name.
COMPLETE = {k: v for k, v in patientkit.COMPLETE.items() if k != "middle_name"}

REVIEW_KINDS = ("utilization_reviews", "standalone_authorizations")


# -- helpers -------------------------------------------------------------------------------

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
        return f"phi_level=high&patient_master_id={self.emr['patient_master_id']}"


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
