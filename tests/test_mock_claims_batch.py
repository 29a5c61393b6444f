"""One Work Center run for several patients (``patient_ids``), its claims sent to the clearinghouse
in one file, and the clearinghouse's batch route: each interchange answered as on its own, in the
file's order; what it cannot read answered not accepted with the reason; no interchange a 400."""

from __future__ import annotations

import re

from billingkit import BILLER, admitted, attend, entries, evaluate, make_claims, segments, submit, transmit, x12_journal
from mockkit import refused
from test_mock_work_center import _broken, _claims

# The 999's and 277CA's envelope: the control numbers and times the clearinghouse gives each answer
# (REF*1K, the payer's claim number, is made from its control number).
ENVELOPE = re.compile(r"^(ISA|GS|GE|IEA|ST|SE|BHT|TRN|REF\*1K)\*")


def body(ack: str) -> list[list[str]]:
    return [s for s in segments(ack) if not ENVELOPE.match("*".join(s) + "*")]


def test_one_run_bills_the_patients_named_and_sends_their_claims_in_one_file(mocks):
    a, b, c = admitted(mocks), admitted(mocks, payer="Cigna"), admitted(mocks, payer="Humana")
    for p in (a, b, c):
        attend(mocks, p, "Group Therapy")
        evaluate(mocks, p)
    transmit(mocks)
    submit(mocks)
    response = mocks.rcm.post(f"/rcm/work_center/claims?patient_ids={b.rcm_id},{a.rcm_id}", headers=BILLER)
    assert response.status_code == 201, response.get_json()
    claims = response.get_json()["claims"]
    assert sorted({cl["patient_id"] for cl in claims}) == sorted([a.rcm_id, b.rcm_id]) and len(claims) >= 2
    assert all(cl["status"] == "accepted" for cl in claims), [(cl["status"], cl.get("errors")) for cl in claims]
    # c's treatments are left for c's run.
    assert {e["status"] for e in entries(mocks) if e["patient_id"] == c.rcm_id} == {"submitted"}
    assert {e["status"] for e in entries(mocks) if e["patient_id"] != c.rcm_id} == {"claimed"}
    # Each claim is its own interchange with its own 999 and 277CA; the clearinghouse got them in one request.
    for claim in claims:
        assert claim["x12"].count("ISA*") == 1 and claim["x12"].count("CLM*") == 1
        assert [s[:2] for s in segments(claim["ack_999"]) if s[0] == "AK9"] == [["AK9", "A"]]
        assert claim["ack_277ca"].count("ISA*") == 1
    journal = x12_journal(mocks)
    assert [e["body"] for e in journal if e["summary"] == "837 received"] == [cl["x12"] for cl in claims]
    assert [e["body"] for e in journal if e["summary"] == "999 accepted"] == [cl["ack_999"] for cl in claims]
    calls = [e["summary"] for e in mocks.payer.get("/_mock/journal?channel=http").get_json()["entries"]
             if "/clearinghouse/" in e["summary"]]
    assert len(calls) == 1 and "/clearinghouse/x12/837/batch" in calls[0], calls
    # The list filters the same way.
    assert sorted(cl["id"] for cl in _claims(mocks, f"?patient_ids={a.rcm_id},{b.rcm_id}")) == \
        sorted(cl["id"] for cl in claims)
    assert _claims(mocks, f"?patient_ids={c.rcm_id}") == []


def test_patient_ids_that_are_not_ids_are_refused_naming_the_field(mocks):
    for bad in ("a", "1,,2", "1;2", "-1", "1,2,x"):
        refused(mocks.rcm.post(f"/rcm/work_center/claims?patient_ids={bad}", headers=BILLER), 422, {"patient_ids"})
        refused(mocks.rcm.get(f"/rcm/work_center/claims?patient_ids={bad}"), 422, {"patient_ids"})


def test_the_batch_route_answers_each_interchange_as_the_single_route_would(mocks):
    a, b = admitted(mocks), admitted(mocks, payer="Cigna")
    evaluate(mocks, a)
    evaluate(mocks, b)
    transmit(mocks)
    submit(mocks)
    first, second = make_claims(mocks)
    broken = _broken(first["x12"], "DTP03")
    unreadable = "ISA*00*garbage~"
    batch = mocks.payer.post("/clearinghouse/x12/837/batch", data=first["x12"] + broken + second["x12"].strip()
                             + "\r\n" + unreadable, content_type="text/plain")
    assert batch.status_code == 200, batch.get_data(as_text=True)
    answers = batch.get_json()["interchanges"]
    assert len(answers) == 4
    for text, answer in zip((first["x12"], broken, second["x12"]), answers):
        alone = mocks.payer.post("/clearinghouse/x12/837", data=text, content_type="text/plain").get_json()
        assert (answer["accepted"], answer["errors"]) == (alone["accepted"], alone["errors"])
        assert body(answer["ack_999"]) == body(alone["ack_999"])
        assert body(answer["ack_277ca"]) == body(alone["ack_277ca"])
    assert [a["accepted"] for a in answers] == [True, False, True, False]
    assert any("DTP03" in e for e in answers[1]["errors"])
    assert answers[3]["ack_999"] == "" and answers[3]["errors"], answers[3]
    received = [e["body"] for e in x12_journal(mocks) if e["summary"] == "837 received"]
    assert received[-7:-3] == [first["x12"], broken, second["x12"].strip() + "\r\n", unreadable]


def test_a_file_with_no_interchange_is_a_400_naming_the_x12(mocks):
    for text in ("", "hello", "GS*HC*A*B~"):
        named = refused(mocks.payer.post("/clearinghouse/x12/837/batch", data=text, content_type="text/plain"), 400,
                        {"x12"})
        assert "ISA" in named["x12"]


def test_a_run_the_clearinghouse_cannot_take_leaves_each_claim_not_sent_with_its_837(mocks):
    a, b = admitted(mocks), admitted(mocks, payer="Cigna")
    evaluate(mocks, a)
    evaluate(mocks, b)
    transmit(mocks)
    submit(mocks)
    links = mocks.suite.contexts["rcm"].links
    links.down.add("payer")
    try:
        claims = make_claims(mocks)
    finally:
        links.down.clear()
    assert len(claims) == 2
    for claim in claims:
        assert claim["status"] == "not sent" and "clearinghouse unreachable" in claim["detail"], claim
        assert claim["x12"].count("CLM*") == 1
