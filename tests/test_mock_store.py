"""What the mocks keep: SSNs masked in every journal, records that survive a restart on the same
folder, and the Store's transactions, outbox and idempotency keys."""

from __future__ import annotations

import json

import pytest

from kipu_harness.mocks import SYSTEMS, MockSuite
from kipu_harness.mocks.common.base import mask_ssn
from kipu_harness.mocks.common.store import Store
from mockkit import SSN, Mocks, _mocks, new_patient
from patientkit import MASKED, SSN_DIGITS, admit, journal, rcm_patients


# -- SSNs never reach a journal in clear ----------------------------------------------

def _journals_text(m: Mocks) -> dict[str, str]:
    return {system: json.dumps(journal(m, system)) for system in SYSTEMS}


def test_an_admitted_patients_ssn_is_masked_in_every_journal(mocks):
    prospect = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee", "ssn": SSN_DIGITS})
    assert prospect.status_code == 201
    patient = admit(mocks)
    rcm = [p for p in rcm_patients(mocks) if p["emr_patient_id"] == str(patient["id"])]
    assert rcm[0]["status"] == "Admitted" and rcm[0]["profile"]["social_security_number"] == SSN

    hl7_bodies = [e["body"] for e in mocks.rcm.get("/_mock/journal?channel=hl7").get_json()["entries"] if e["body"]]
    assert any(b.startswith("MSH|") and "ADT^A01" in b for b in hl7_bodies)
    texts = _journals_text(mocks)
    for system, text in texts.items():
        assert SSN not in text, system
        assert SSN_DIGITS not in text, system
    for system in ("crm", "emr", "rcm"):  # the payer never receives an SSN here
        assert MASKED in texts[system], system
    assert any(MASKED in b for b in hl7_bodies)


def test_an_ssn_in_a_query_string_is_masked_in_the_journal(mocks):
    assert mocks.rcm.get(f"/rcm/patients?ssn={SSN}").status_code == 200
    assert mocks.emr.get(f"/api/patients/census?phi_level=high&q={SSN_DIGITS}").status_code == 200
    texts = _journals_text(mocks)
    for system in ("rcm", "emr"):
        assert SSN not in texts[system] and SSN_DIGITS not in texts[system], texts[system]


@pytest.mark.parametrize("text,masked", [
    (SSN, MASKED),
    (SSN_DIGITS, MASKED),
    ("PID|1||41^^^KIPUEMR^PI||Lee^Ann||19800102|F||||||||||||123-45-6789", "PID|1||41^^^KIPUEMR^PI||Lee^Ann||19800102|F||||||||||||***-**-6789"),
    ('{"ssn": "123 45 6789", "x": 1}', '{"ssn": "***-**-6789", "x": 1}'),
    ('{"SSN":"12"}', '{"SSN":"***"}'),
    ("ssn 123-45-6789 and 987-65-4321", "ssn ***-**-6789 and ***-**-4321"),
    ("phone 555-123-4567", "phone 555-123-4567"),
    ("id 1234567890 and 12345678", "id 1234567890 and 12345678"),
    ("MR202400001", "MR202400001"),
])
def test_mask_ssn(text, masked):
    assert mask_ssn(text) == masked


# -- persistence ----------------------------------------------------------------------

def test_records_survive_a_restart_on_the_same_folder(pm, tmp_path):
    suite = MockSuite(pm, data_dir=tmp_path)
    try:
        m = _mocks(suite)
        patient = admit(m)
        prospect = m.crm.post("/crm/prospects", json={"first_name": "Bo", "last_name": "Ng"}).get_json()["prospect"]
        rcm_before = rcm_patients(m)
        outbox_before = m.emr.get("/_mock/outbox").get_json()["deliveries"]
    finally:
        suite.close()
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["crm.db", "emr.db", "payer.db", "rcm.db"]

    suite = MockSuite(pm, data_dir=tmp_path)
    try:
        m = _mocks(suite)
        read = m.emr.get(f"/api/patients/{patient['id']}",
                         query_string={"phi_level": "high", "patient_master_id": patient["patient_master_id"]})
        assert read.status_code == 200
        assert read.get_json()["patient"]["mr_number"] == patient["mr_number"]
        assert [d["code"] for d in read.get_json()["patient"]["diagnoses"]] == ["F10.20"]
        assert rcm_patients(m) == rcm_before
        assert {p["status"] for p in rcm_before} == {"Admitted", "Prospective Patient"}
        assert m.crm.get(f"/crm/prospects/{prospect['id']}").get_json()["prospect"]["first_name"] == "Bo"
        assert m.emr.get("/_mock/outbox").get_json()["deliveries"] == outbox_before
        # New records carry on from the old ids.
        assert new_patient(m, first_name="Cy", last_name="Oh")["id"] == patient["id"] + 1
    finally:
        suite.close()


def test_an_in_memory_suite_keeps_nothing(pm, tmp_path):
    suite = MockSuite(pm)
    new_patient(_mocks(suite), first_name="Ann", last_name="Lee")
    suite.close()
    suite = MockSuite(pm)
    try:
        assert _mocks(suite).emr.get("/api/patients/census?phi_level=high").get_json()["patients"] == []
    finally:
        suite.close()
    assert list(tmp_path.iterdir()) == []


# -- the Store ------------------------------------------------------------------------

@pytest.fixture(params=["memory", "file"])
def store(request, tmp_path):
    s = Store(":memory:" if request.param == "memory" else tmp_path / "sub" / "s.db")
    yield s
    s.close()


def test_a_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError, match="boom"):
        with store.transaction() as tx:
            tx.insert("patient", {"name": "Ann"})
            tx.journal("2024-01-01T00:00:00", "http", "POST /x -> 201")
            tx.enqueue(destination="rcm", wire="hl7v2", path="/rcm/hl7", body="MSH", key="k1", at="2024-01-01T00:00:00")
            tx.remember("m1", "AA")
            assert tx.all("patient") != []
            raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.all("patient") == []
    assert store.outbox() == [] and store.journal_entries() == []
    with store.transaction() as tx:
        assert tx.remember("m1", "AE") is None  # the rolled-back remember left no trace
    # The store is still usable after the rollback.
    with store.transaction() as tx:
        assert tx.insert("patient", {"name": "Bo"})["id"] == 1


def test_insert_ids_increase_per_kind(store):
    with store.transaction() as tx:
        ids = [tx.insert("patient", {"n": i})["id"] for i in range(3)]
        other = tx.insert("prospect", {"n": 0})["id"]
    with store.transaction() as tx:
        later = tx.insert("patient", {"n": 3})
    assert ids == [1, 2, 3] and other == 1 and later["id"] == 4
    with store.read() as tx:
        assert [d["n"] for d in tx.all("patient")] == [0, 1, 2, 3]
        assert tx.get("patient", 2) == {"id": 2, "n": 1}
        assert tx.get("patient", 99) is None
        assert tx.find("patient", n=3) == [later]


def test_enqueue_with_the_same_key_keeps_one_row(store):
    with store.transaction() as tx:
        assert tx.enqueue(destination="rcm", wire="json", path="/a", body="first", key="same", at="t1") is True
        assert tx.enqueue(destination="rcm", wire="json", path="/b", body="second", key="same", at="t2") is False
    with store.transaction() as tx:
        assert tx.enqueue(destination="emr", wire="json", path="/c", body="third", key="same", at="t3") is False
    rows = store.outbox()
    assert len(rows) == 1
    assert (rows[0]["body"], rows[0]["path"], rows[0]["status"], rows[0]["attempts"]) == ("first", "/a", "pending", 0)
    store.mark(rows[0]["id"], "delivered", "AA", "t4")
    assert store.outbox("pending") == []
    assert [r["detail"] for r in store.outbox("delivered")] == ["AA"]


def test_remember_returns_the_earlier_result(store):
    with store.transaction() as tx:
        assert tx.remember("ctrl-1", "AA") is None
    with store.transaction() as tx:
        assert tx.remember("ctrl-1", "AE") == "AA"
        assert tx.remember("ctrl-2", "AE") is None
    with store.transaction() as tx:
        assert tx.remember("ctrl-2", "AA") == "AE"


def test_store_reset_clears_everything(store):
    with store.transaction() as tx:
        tx.insert("patient", {"n": 1})
        tx.journal("t", "http", "x")
        tx.enqueue(destination="rcm", wire="json", path="/a", body="b", key="k", at="t")
        tx.remember("m", "AA")
    store.reset()
    with store.transaction() as tx:
        assert tx.all("patient") == [] and tx.remember("m", "AE") is None
        assert tx.insert("patient", {"n": 2})["id"] == 1
    assert store.outbox() == [] and store.journal_entries() == []
