"""The fault soak (issue 10, point 5): the mocks served on loopback (HTTP and MLLP), well over a
thousand faults of every kind injected into their traffic while a facility admits and updates
patients, then a reconciliation of every sender against every receiver: nothing lost, nothing
duplicated, the newest data applied.

Bounded in time: it stops making changes once enough faults were injected (or a deadline
passes) and fails if the systems have not recovered within RECOVERY seconds after."""

from __future__ import annotations

import time

import pytest

from kipu_harness.apiauth import DEVELOPMENT
from kipu_harness.clients import CrmClient, EmrClient, RcmClient
from kipu_harness.mocks import MockSuite
from kipu_harness.mocks.common.faults import KINDS, Fault
from kipu_harness.mocks.serve import ServedSuite
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.synthetic import faker_for
from kipu_harness.transport import HttpTransport
from kipu_harness.waiting import eventually

FAULTS_WANTED = 1000
DEADLINE = 240.0  # seconds of changes at most
RECOVERY = 90.0
# A share of the messages on each channel meets each kind; hangs are short (the sender still
# times out) so the soak stays bounded.
PLAN = [("rcm", "hl7", kind, 0.12) for kind in KINDS] + \
       [("rcm", "http", kind, 0.12) for kind in KINDS if kind != "latency"]


@pytest.fixture
def served(tmp_path):
    suite = MockSuite(make_plugin_manager(), data_dir=tmp_path / "data")
    served = ServedSuite(suite, retry_every=0.2)
    yield suite, served
    served.stop()
    suite.close()


def _complete(fake) -> dict:
    return {"first_name": fake.first_name(), "last_name": fake.last_name(), "dob": "1981-05-06",
            "gender": "Female", "phone": fake.numerify("512-555-####"), "address_street": fake.street_address(),
            "address_city": "Austin", "address_state": "TX", "address_zip": "73301",
            "admission_date": "2026-03-02T10:00", "ssn": fake.numerify("219-##-####")}


def test_a_thousand_faults_lose_nothing_and_duplicate_nothing(served):
    suite, running = served
    emr = EmrClient(HttpTransport(running.urls["emr"], credential=DEVELOPMENT, timeout=30))
    crm, rcm = CrmClient(HttpTransport(running.urls["crm"])), RcmClient(HttpTransport(running.urls["rcm"]))
    for system, channel, kind, share in PLAN:
        extra = {"latency_ms": 50} if kind in ("latency", "hang") else {}
        suite.faults.add(Fault.from_mapping({"system": system, "channel": channel, "kind": kind,
                                             "fraction": share, **extra}))
    fake = faker_for(2026)
    newest: dict[int, str] = {}  # EMR patient id -> the phone it was last sent with
    prospects: list[int] = []
    started = time.monotonic()
    while sum(suite.faults.view()["injected"].values()) < FAULTS_WANTED:
        assert time.monotonic() - started < DEADLINE, f"only {suite.faults.view()['injected']} faults in time"
        prospects.append(crm.create_prospect(first_name=fake.first_name(), last_name=fake.last_name()).id)
        patient = emr.create_patient(**_complete(fake))
        patient = emr.add_diagnosis(patient, "F10.20")
        patient = emr.action(patient, "mr_number")
        for _ in range(3):  # newer and newer demographics, each sent on demand
            phone = fake.numerify("512-555-####")
            patient = emr.update_patient(patient, phone=phone)
            patient = emr.action(patient, "send_to_rcm")
            newest[patient.id] = phone
    injected = suite.faults.view()["injected"]
    suite.faults.clear()
    suite.faults.flush()
    assert set(injected) == set(KINDS), injected  # every kind met something

    def recovered():
        suite.faults.flush()
        return all(not c.store.outbox(status="pending") for c in suite.contexts.values())

    eventually(recovered, timeout=RECOVERY, what="every outbox drained")
    rejected = [r for c in suite.contexts.values() for r in c.store.outbox(status="rejected")]
    assert rejected == [], rejected[:3]
    for patient_id, phone in newest.items():
        found = rcm.find_patients(emr_patient_id=patient_id)
        assert len(found) == 1, f"EMR patient {patient_id}: {len(found)} RCM patients"
        assert found[0].status == "Admitted" and len(found[0].episodes) == 1, found[0]
        assert found[0].profile["phone"] == phone, f"EMR patient {patient_id}: not the newest phone"
    for prospect_id in prospects:
        assert len(rcm.find_patients(crm_prospect_id=prospect_id)) == 1, f"prospect {prospect_id}"
