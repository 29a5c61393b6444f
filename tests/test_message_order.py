"""Per-patient order and identity of the messages between the systems (issue 10, point 2).

The EMR numbers each patient's ADT in MSH-13; the RCM applies a patient's messages in that order
whatever order they arrive in: an older one is AA and not applied, an A08 or A03 before the
patient's A01/A04 is AE with ERR-3 206 (try later), a reused MSH-10 with other content is AR 205,
the same message twice is applied once. The RCM numbers its insurance, U/R and payer-list posts
(``sequence``) and the EMR holds to the same rules (200 for an older or duplicate body, 409 for a
reused sequence with another body). Then the real outbox, its deliveries reordered.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from emrkit import walk
from insurancekit import (COMPLETE, add_payer, emr_insurances, emr_reviews, ready, review, save, save_review,
                          self_insurance)
from kipu_harness.mocks import MockSuite
from kipu_harness.wire import hl7v2
from mockkit import Mocks, _mocks, new_patient, pin_clock, refused

T0 = dt.datetime(2024, 1, 5, 12)
OLD = {"street": "1 Old St", "codes": ("F10.20",)}
NEW = {"street": "2 New St", "codes": ("F10.20", "F33.1")}


def adt(trigger: str, sequence: int | None, *, street: str = "1 Old St", codes: tuple[str, ...] = ("F10.20",),
        control_id: str | None = None, sent_at: dt.datetime = T0, patient_id: str = "41") -> str:
    """An ADT from the EMR for patient ``patient_id``, built with the project's own builder."""
    patient = hl7v2.AdtPatient(
        patient_id=patient_id, mr_number="MR-7", last_name="Lee", first_name="Ann", middle_name="",
        dob=dt.date(1980, 1, 2), sex="F", address_street=street, address_city="Springfield", address_state="NY",
        address_zip="12345", phone="555-123-4567", ssn="",
        admit_at=None if trigger == "A04" else dt.datetime(2024, 1, 5, 10),
        discharge_at=dt.datetime(2024, 1, 9, 11) if trigger == "A03" else None,
        diagnoses=tuple(hl7v2.AdtDiagnosis(code, f"dx {code}", dt.date(2024, 1, 5), n)
                        for n, code in enumerate(codes, start=1)))
    return hl7v2.build_adt(trigger, patient, control_id=control_id or f"{trigger}-{sequence}", sent_at=sent_at,
                           sequence=sequence)


def send(m: Mocks, text: str) -> tuple[int, str, str, str]:
    """(HTTP status, MSA-1, ERR-3, reason) of the RCM's answer to ``text``."""
    response = m.rcm.post("/rcm/hl7", data=text, content_type="text/plain")
    ack = response.get_data(as_text=True)
    code, reason = hl7v2.ack_code(ack)
    error = re.search(r"^ERR\|[^|\n]*\|[^|\n]*\|(\d+)\^", ack, re.M)
    return response.status_code, code, error.group(1) if error else "", reason


def rcm_patients(m: Mocks, patient_id: str = "41") -> list[dict[str, Any]]:
    return m.rcm.get(f"/rcm/patients?emr_patient_id={patient_id}").get_json()["patients"]


def held(m: Mocks, patient_id: str = "41") -> dict[str, Any]:
    """What the RCM holds of the patient's data: the part an ADT writes."""
    [patient] = rcm_patients(m, patient_id)
    intake = patient["treatment_episodes"][-1]["intake"]
    return {"status": patient["status"], "phone": patient["profile"]["phone"],
            "street": intake["patient_profile"]["address"],
            "codes": tuple(d["code"] for d in intake["behavioral_diagnoses"]["diagnoses"]),
            "discharge": intake["admit_discharge"]["discharge_date"]}


def hl7_journal(m: Mocks) -> list[str]:
    return [e["summary"] for e in m.rcm.get("/_mock/journal?channel=hl7").get_json()["entries"]]


def applied(m: Mocks, trigger: str) -> int:
    return hl7_journal(m).count(f"AA {trigger} applied")


# -- the RCM's ADT rules ------------------------------------------------------------------------

def test_an_a08_before_its_a01_waits_and_the_newest_data_wins(mocks):
    a01, a08 = adt("A01", 1, **OLD), adt("A08", 2, **NEW)
    status, code, error, reason = send(mocks, a08)
    assert (status, code, error) == (409, "AE", "206") and "try later" in reason
    assert rcm_patients(mocks) == []  # nothing kept: the retry is judged afresh
    assert send(mocks, a01)[:3] == (200, "AA", "")
    assert held(mocks)["street"] == "1 Old St"
    assert send(mocks, a08)[:3] == (200, "AA", "")  # the sender's retry
    assert held(mocks) == {"status": "Admitted", "phone": "555-123-4567", "street": "2 New St",
                           "codes": ("F10.20", "F33.1"), "discharge": None}
    assert applied(mocks, "A01") == 1 and applied(mocks, "A08") == 1


def test_an_a03_before_its_a01_is_held_then_applied(mocks):
    a03 = adt("A03", 3, **NEW)
    status, code, error, reason = send(mocks, a03)
    assert (status, code, error) == (409, "AE", "206") and "A03 for unknown patient 41" in reason
    assert any(s.startswith("AE A03 for unknown patient 41") for s in hl7_journal(mocks))
    assert send(mocks, adt("A01", 1, **OLD))[1] == "AA"
    assert held(mocks)["discharge"] is None
    assert send(mocks, a03)[:2] == (200, "AA")
    assert held(mocks)["discharge"] == "2024-01-09" and held(mocks)["codes"] == ("F10.20", "F33.1")
    assert applied(mocks, "A03") == 1


def test_an_a08_after_only_a_crm_prospect_waits_for_the_admission(mocks):
    """A record the CRM made is not the one an A01/A04 makes: an update still waits."""
    response = mocks.rcm.post("/rcm/prospects", json={"crm_prospect_id": 7, "first_name": "Ann", "last_name": "Lee",
                                                      "birthday": "1980-01-02", "phone": "555-123-4567"})
    assert response.status_code == 201
    a08 = adt("A08", 2, **NEW).replace("^^^KIPUEMR^MR", "^^^KIPUEMR^MR~7^^^KIPUCRM^PI")
    assert send(mocks, a08)[1:3] == ("AE", "206")


def test_an_older_message_after_a_newer_one_is_acknowledged_and_not_applied(mocks):
    assert send(mocks, adt("A01", 1, **OLD))[1] == "AA"
    assert send(mocks, adt("A08", 3, street="3 Newest St", codes=("F10.20", "F33.1")))[1] == "AA"
    assert send(mocks, adt("A08", 2, street="2 Older St", codes=("F43.10",)))[:3] == (200, "AA", "")
    assert send(mocks, adt("A08", 3, street="3 Same Place St", control_id="another"))[:3] == (200, "AA", "")
    assert send(mocks, adt("A04", None, sent_at=T0 - dt.timedelta(hours=1)))[:2] == (200, "AA")
    assert held(mocks)["street"] == "3 Newest St" and held(mocks)["codes"] == ("F10.20", "F33.1")
    assert held(mocks)["status"] == "Admitted"
    assert "AA A08 stale, not applied: sequence 2, 3 applied (A08-3)" in hl7_journal(mocks)
    assert applied(mocks, "A08") == 1 and applied(mocks, "A04") == 0


def test_the_sequence_orders_a_patients_messages_not_the_clock(mocks):
    """The mocks' clock can be set back (scenarios pin it): the sequence number decides."""
    assert send(mocks, adt("A01", 1, **OLD, sent_at=T0 + dt.timedelta(hours=2)))[1] == "AA"
    assert send(mocks, adt("A08", 2, **NEW, sent_at=T0))[1] == "AA"
    assert held(mocks)["street"] == "2 New St"
    assert send(mocks, adt("A08", 1, street="9 Replayed St", control_id="other", sent_at=T0 + dt.timedelta(days=1)))[1] == "AA"
    assert held(mocks)["street"] == "2 New St"


def test_without_a_sequence_the_message_time_orders(mocks):
    assert send(mocks, adt("A01", None, **OLD, sent_at=T0))[1] == "AA"
    assert send(mocks, adt("A08", None, **NEW, sent_at=T0 + dt.timedelta(minutes=10)))[1] == "AA"
    assert send(mocks, adt("A08", None, street="5 Older St", control_id="older", sent_at=T0 + dt.timedelta(minutes=5)))[:2] == (200, "AA")
    assert held(mocks)["street"] == "2 New St"
    assert any(s.startswith("AA A08 stale, not applied: sent 2024-01-05T12:05:00") for s in hl7_journal(mocks))


def test_the_same_message_twice_is_acknowledged_both_times_and_applied_once(mocks):
    a01 = adt("A01", 1, **OLD)
    assert send(mocks, a01)[:2] == (200, "AA")
    # An edit made in the RCM is overwritten by the next EMR send (PAT-04), not by a copy of the last.
    rcm_id = rcm_patients(mocks)[0]["id"]
    assert mocks.rcm.patch(f"/rcm/patients/{rcm_id}/profile", json={"phone": "555-000-0000"}).status_code == 200
    assert send(mocks, a01.replace("\r", "\n"))[:2] == (200, "AA")  # the same message, other line ends
    assert held(mocks)["phone"] == "555-000-0000"
    assert send(mocks, adt("A08", 2, **NEW))[1] == "AA"
    assert send(mocks, a01)[:2] == (200, "AA")
    assert held(mocks)["street"] == "2 New St" and held(mocks)["phone"] == "555-123-4567"
    assert applied(mocks, "A01") == 1
    assert hl7_journal(mocks).count("AA duplicate (already applied)") == 2


def test_a_reused_control_id_with_other_content_is_refused_and_journaled(mocks):
    assert send(mocks, adt("A01", 1, **OLD, control_id="C-1"))[1] == "AA"
    status, code, error, reason = send(mocks, adt("A08", 2, **NEW, control_id="C-1"))
    assert (status, code, error) == (409, "AR", "205") and "MSH-10" in reason and "C-1" in reason
    assert held(mocks)["street"] == "1 Old St"
    assert any(s.startswith("AR MSH-10: control id C-1 was already used") for s in hl7_journal(mocks))
    assert send(mocks, adt("A08", 2, **NEW, control_id="C-2"))[1] == "AA"  # the sequence was not used up
    assert held(mocks)["street"] == "2 New St"


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1234567890123456"])
def test_a_sequence_number_that_is_not_one_is_refused_naming_msh_13(mocks, value):
    text = adt("A01", 12, **OLD).replace("|2.5.1|12|", f"|2.5.1|{value}|")
    status, code, _, reason = send(mocks, text)
    assert (status, code) == (409, "AR") and reason.startswith("MSH-13:")
    assert rcm_patients(mocks) == []


def test_the_sequence_travels_in_msh_13_and_the_ack_says_its_error_code():
    text = adt("A08", 7)
    assert text.split("\r")[0].split("|")[12] == "7" and hl7v2.parse_adt(text).sequence == 7
    assert hl7v2.parse_adt(adt("A08", None)).sequence is None
    for wrong in (0, True, 10**15):
        with pytest.raises(hl7v2.HL7Error, match="MSH-13"):
            adt("A08", wrong)
    assert "\rERR|||206^Application record locked^HL70357|E" in hl7v2.make_ack(text, "AE", "later", error="206")
    assert "\rERR|||207^Application internal error^HL70357|E" in hl7v2.make_ack(text, "AE", "oops")
    with pytest.raises(hl7v2.HL7Error, match="ERR-3"):
        hl7v2.make_ack(text, "AE", "x", error="999")


def test_the_emr_numbers_each_patients_messages_as_it_queues_them(mocks):
    first = new_patient(mocks, **COMPLETE)
    second = new_patient(mocks, **COMPLETE)
    assert mocks.emr.post(f"/api/patients/{first['id']}/diagnoses", json={"code": "F10.20"}).status_code == 201
    assert mocks.emr.post(f"/api/patients/{first['id']}/mr_number").status_code == 200
    assert mocks.emr.post(f"/api/patients/{first['id']}/diagnoses", json={"code": "F33.1"}).status_code == 201
    messages = [hl7v2.parse_adt(row["body"]) for row in mocks.suite.contexts["emr"].store.outbox()]
    assert [(int(m.patient.patient_id), m.trigger, m.sequence) for m in messages] == [
        (first["id"], "A04", 1), (second["id"], "A04", 1), (first["id"], "A01", 2), (first["id"], "A08", 3)]
    for row in mocks.suite.contexts["emr"].store.outbox():
        msh7 = row["body"].split("\r")[0].split("|")[6]
        assert f"\rEVN|{hl7v2.parse_adt(row['body']).trigger}|{msh7}" in row["body"]  # EVN-2 is MSH-7


# -- the EMR's webhook rules ------------------------------------------------------------------

BODIES = {
    "insurances": lambda patient, seq, name: {"emr_patient_id": patient, **({"sequence": seq} if seq else {}),
                                              "insurances": [{"rcm_insurance_id": 1, "insurance_company": name,
                                                              "insurance_type": "Primary",
                                                              "subscriber_relationship": "Self"}]},
    "utilization_reviews": lambda patient, seq, name: {
        "emr_patient_id": patient, **({"sequence": seq} if seq else {}),
        "utilization_reviews": [{"rcm_review_id": 1, "start_date": "2024-01-05", "end_date": "2024-01-12",
                                 "authorization_status": "Authorized", "insurance": name}]},
}
SHOWN = {"insurances": (emr_insurances, "insurance_company"), "utilization_reviews": (emr_reviews, "insurance")}


def _post(m: Mocks, kind: str, body: dict[str, Any]):
    return m.emr.post(f"/api/integrations/rcm/{kind}", json=body)


def _shown(m: Mocks, a, kind: str) -> list[str]:
    read, field = SHOWN[kind]
    return [r[field] for r in read(m, a)]


@pytest.mark.parametrize("kind", BODIES)
def test_an_older_rcm_save_is_answered_200_and_not_applied(mocks, kind):
    a = ready(mocks)
    assert _post(mocks, kind, BODIES[kind](a.emr["id"], 2, "Cigna")).get_json() == {"received": 1}
    response = _post(mocks, kind, BODIES[kind](a.emr["id"], 1, "Aetna"))
    assert response.status_code == 200 and response.get_json() == {"received": 1}
    assert _shown(mocks, a, kind) == ["Cigna"]
    journal = [e["summary"] for e in mocks.emr.get("/_mock/journal?channel=integration").get_json()["entries"]]
    assert f"{kind} of EMR patient {a.emr['id']}: sequence 1 stale, not applied (2 applied)" in journal
    # A body without a sequence (an older sender, a developer's curl) is applied as it comes.
    assert _post(mocks, kind, BODIES[kind](a.emr["id"], None, "Humana")).status_code == 200
    assert _shown(mocks, a, kind) == ["Humana"]


def test_the_same_rcm_save_twice_is_applied_once(mocks):
    a = ready(mocks)
    body = BODIES["insurances"](a.emr["id"], 1, "Aetna")
    assert _post(mocks, "insurances", body).status_code == 200
    [record] = emr_insurances(mocks, a)
    edit = mocks.emr.patch(f"/api/patients/{a.emr['id']}/insurances/{record['id']}",
                           json={"document": {"data": {"plan_name": "Local plan"}}})
    assert edit.status_code == 200
    # Applied again, the copy would overwrite the local edit (INS-15): it is not applied again.
    assert _post(mocks, "insurances", body).get_json() == {"received": 1}
    assert [(r["plan_name"], r["edited_in_emr"]) for r in emr_insurances(mocks, a)] == [("Local plan", ["plan_name"])]
    assert _post(mocks, "insurances", BODIES["insurances"](a.emr["id"], 2, "Aetna")).status_code == 200
    assert [(r["plan_name"], r["edited_in_emr"]) for r in emr_insurances(mocks, a)] == [(None, [])]


def test_a_reused_sequence_with_another_body_is_refused_naming_it(mocks):
    a = ready(mocks)
    assert _post(mocks, "insurances", BODIES["insurances"](a.emr["id"], 1, "Aetna")).status_code == 200
    response = _post(mocks, "insurances", BODIES["insurances"](a.emr["id"], 1, "Cigna"))
    assert "different content" in refused(response, 409, {"sequence"})["sequence"]
    assert _shown(mocks, a, "insurances") == ["Aetna"]
    journal = [e["summary"] for e in mocks.emr.get("/_mock/journal?channel=integration").get_json()["entries"]]
    assert any("sequence 1 was already applied with another body" in s for s in journal)


def test_an_older_payer_list_is_not_applied(mocks):
    def post(seq: int, name: str):
        return mocks.emr.post("/api/integrations/rcm/payors", json={"sequence": seq, "payors": [
            {"rcm_payer_id": 5, "name": name}]})

    assert post(100, "Cigna").status_code == 200 and post(99, "Aetna").status_code == 200
    assert [p["name"] for p in walk(mocks, "/api/settings/payors", "payors")] == ["Cigna"]
    refused(post(0, "Aetna"), 422, {"sequence"})


def test_the_rcm_numbers_each_list_it_sends_as_it_queues_it(mocks):
    a = ready(mocks)
    add_payer(mocks, "Cigna", "62308")
    save(mocks, a, self_insurance(a.payer["id"]))
    save(mocks, a, self_insurance(a.payer["id"], "secondary", "W456"))
    save_review(mocks, a, review(a.payer["id"]))
    sent = [(row["path"].rsplit("/", 1)[1], json.loads(row["body"])["sequence"])
            for row in mocks.suite.contexts["rcm"].store.outbox() if row["destination"] == "emr"]
    assert sent == [("payors", 1), ("payors", 2), ("insurances", 1), ("insurances", 2), ("utilization_reviews", 1)]


# -- end to end: the EMR's real outbox, its deliveries reordered -------------------------------

def _stay(m: Mocks) -> list[str]:
    """A patient's stay in the EMR: A04, A01, A08 (new address, a second diagnosis), A03."""
    pin_clock(m)
    patient = new_patient(m, **COMPLETE)
    path = f"/api/patients/{patient['id']}"
    assert m.emr.post(f"{path}/diagnoses", json={"code": "F10.20"}).status_code == 201
    assert m.emr.post(f"{path}/mr_number").status_code == 200
    edit = {"document": {"data": {"address_street": "2 New St"}}}
    assert m.emr.patch(path, json=edit).status_code == 200
    assert m.emr.post(f"{path}/diagnoses", json={"code": "F33.1"}).status_code == 201
    assert m.emr.post(f"{path}/discharge", json={"discharge_date": "2024-06-01T11:00"}).status_code == 200
    return [hl7v2.parse_adt(row["body"]).trigger for row in m.suite.contexts["emr"].store.outbox()]


def test_reordered_deliveries_end_with_the_newest_data_applied_once(mocks, pm):
    in_order = _mocks(MockSuite(pm))
    try:
        assert _stay(in_order) == ["A04", "A01", "A08", "A03"]
        expected = rcm_patients(in_order, "1")
    finally:
        in_order.suite.close()
    assert expected[0]["treatment_episodes"][-1]["intake"]["patient_profile"]["address"] == "2 New St"

    emr = mocks.suite.contexts["emr"]
    emr.links.down.add("rcm")
    assert _stay(mocks) == ["A04", "A01", "A08", "A03"]
    rows = emr.store.outbox(status="pending")
    assert len(rows) == 4 and rcm_patients(mocks, "1") == []
    # A network that reverses them: each answered AE 206 is held by the sender and sent again.
    waiting, rounds = list(reversed(rows)), []
    while waiting and len(rounds) < 5:
        answers = [(hl7v2.parse_adt(r["body"]).trigger, *send(mocks, r["body"])[1:3]) for r in waiting]
        rounds.append(answers)
        waiting = [r for r, (_, code, _) in zip(waiting, answers) if code != "AA"]
    assert rounds == [[("A03", "AE", "206"), ("A08", "AE", "206"), ("A01", "AA", ""), ("A04", "AA", "")],
                      [("A03", "AA", ""), ("A08", "AA", "")]]
    # The outbox's own copies arrive after all that: duplicates, each acknowledged, none applied.
    emr.links.down.discard("rcm")
    assert mocks.emr.post("/_mock/outbox/deliver").status_code == 200
    assert [(r["status"], r["detail"]) for r in emr.store.outbox()] == [("delivered", "AA")] * 4
    assert rcm_patients(mocks, "1") == expected
    assert {t: applied(mocks, t) for t in ("A04", "A01", "A08", "A03")} == {"A04": 0, "A01": 1, "A08": 0, "A03": 1}
    assert hl7_journal(mocks).count("AA duplicate (already applied)") == 4


def test_a_network_that_reorders_the_real_outbox_still_ends_with_the_newest_data(mocks):
    from kipu_harness.mocks.common.faults import Fault

    pin_clock(mocks)
    patient = new_patient(mocks, **COMPLETE)
    path = f"/api/patients/{patient['id']}"
    assert mocks.emr.post(f"{path}/diagnoses", json={"code": "F10.20"}).status_code == 201
    mocks.suite.faults.add(Fault(system="rcm", channel="hl7", kind="reorder", next=1))
    assert mocks.emr.post(f"{path}/mr_number").status_code == 200  # the A01, held on the way
    assert mocks.emr.patch(path, json={"document": {"data": {"address_street": "2 New St"}}}).status_code == 200
    assert mocks.emr.post(f"{path}/diagnoses", json={"code": "F33.1"}).status_code == 201  # the A08, then the A01
    assert held(mocks, "1") == {"status": "Admitted", "phone": "555-123-4567", "street": "2 New St",
                                "codes": ("F10.20", "F33.1"), "discharge": None}
    assert {t: applied(mocks, t) for t in ("A04", "A01", "A08")} == {"A04": 1, "A01": 0, "A08": 1}
    assert any(s.startswith("AA A01 stale, not applied: sequence 2, 3 applied") for s in hl7_journal(mocks))
