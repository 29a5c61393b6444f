"""The RCM's Work Center (WF-5.4): submitting treatments, creating claims, providers, and the
clearinghouse's 837 / 999 / 277CA; units and rendering providers on a claim's lines."""

from __future__ import annotations

from kipu_harness.wire.x12 import claims as x12
from billingkit import (
    BILLER, CLINICIAN, DAY, KONNECTOR, MORE_DIAGNOSES, REYES, admitted, attend, bill_everything, entries, evaluate,
    everything, make_claims, segments, submit, transmit, x12_journal,
)
from mockkit import refused


def test_submitting_treatments_needs_a_selection_the_role_and_transmitted_entries(mocks):
    p = admitted(mocks)
    attend(mocks, p, "Group Therapy")
    transmit(mocks)
    [first] = entries(mocks)
    before = everything(mocks.suite)
    refused(mocks.rcm.post("/rcm/attendance/submit", json={"entry_ids": []}, headers=BILLER), 422, {"entry_ids"})
    refused(mocks.rcm.post("/rcm/attendance/submit", json={}, headers=BILLER), 422, {"entry_ids"})
    named = refused(mocks.rcm.post("/rcm/attendance/submit", json={"entry_ids": [first["id"]]}, headers=CLINICIAN),
                    403, {"user"})
    assert "clinician" in named["user"]
    refused(mocks.rcm.post("/rcm/attendance/submit", json={"entry_ids": [first["id"]]}), 403, {"user"})
    assert everything(mocks.suite) == before
    submit(mocks, [first["id"]])
    # Twice: refused, naming the entry; and with a fresh entry in the same call, neither changes.
    named = refused(mocks.rcm.post("/rcm/attendance/submit", json={"entry_ids": [first["id"]]}, headers=BILLER),
                    409, {"entry_ids"})
    assert str(first["id"]) in named["entry_ids"] and "submitted" in named["entry_ids"]
    attend(mocks, p, "Group Therapy", day="2026-03-06")
    transmit(mocks)
    second = entries(mocks)[-1]
    before = everything(mocks.suite)
    refused(mocks.rcm.post("/rcm/attendance/submit", json={"entry_ids": [second["id"], first["id"]]}, headers=BILLER),
            409, {"entry_ids"})
    assert everything(mocks.suite) == before
    assert {e["id"]: e["status"] for e in entries(mocks)} == {first["id"]: "submitted", second["id"]: "transmitted"}


def test_creating_claims_needs_submitted_treatments_and_the_role(mocks):
    p = admitted(mocks)
    before = everything(mocks.suite)
    named = refused(mocks.rcm.post("/rcm/work_center/claims", headers=BILLER), 409, {"attendance"})
    assert "submit" in named["attendance"]
    attend(mocks, p, "Group Therapy")
    transmit(mocks)
    refused(mocks.rcm.post("/rcm/work_center/claims", headers=BILLER), 409, {"attendance"})  # transmitted only
    submit(mocks)
    before = everything(mocks.suite)
    journal = x12_journal(mocks)
    named = refused(mocks.rcm.post("/rcm/work_center/claims", headers=CLINICIAN), 403, {"user"})
    assert "clinician" in named["user"]
    refused(mocks.rcm.post("/rcm/work_center/claims"), 403, {"user"})
    assert everything(mocks.suite) == before
    assert x12_journal(mocks) == journal  # no 837 reached the clearinghouse
    assert [c["status"] for c in make_claims(mocks)] == ["accepted"]  # the control


def test_a_provider_needs_a_valid_npi(mocks):
    before = everything(mocks.suite)
    named = refused(mocks.rcm.post("/rcm/providers", json={"name": "Kim, Jo", "npi": "1234567890"}), 409, {"npi"})
    assert "1234567890" in named["npi"] and "Luhn" in named["npi"]
    refused(mocks.rcm.post("/rcm/providers", json={"name": "Kim, Jo"}), 422, {"npi"})
    assert everything(mocks.suite) == before
    response = mocks.rcm.post("/rcm/providers", json={"name": "Kim, Jo", "npi": "1234567893", "credential": "LPC"})
    assert response.status_code == 201, response.get_json()
    assert "1234567893" in {p["npi"] for p in mocks.rcm.get("/rcm/providers").get_json()["providers"]}


def test_the_konnector_provider_must_be_a_provider_of_the_rcm(mocks):
    before = everything(mocks.suite)
    # 1234567893 is a valid NPI (the facility's), but not a rendering provider of the RCM.
    named = refused(mocks.rcm.patch("/rcm/billing_settings", json={"konnector_rendering_provider": "1234567893"}),
                    409, {"konnector_rendering_provider"})
    assert "provider of the RCM" in named["konnector_rendering_provider"]
    refused(mocks.rcm.patch("/rcm/billing_settings", json={"bill_by_building": {"North Campus": "1234567893"}}),
            409, {"bill_by_building"})
    assert everything(mocks.suite) == before
    response = mocks.rcm.patch("/rcm/billing_settings", json={"konnector_rendering_provider": REYES})
    assert response.status_code == 200
    assert response.get_json()["billing_settings"]["konnector"]["rendering_provider"] == REYES


# -- the Work Center and the clearinghouse ----------------------------------------------------

def test_a_claim_carries_a_valid_837_a_999_and_a_277ca_accepting_it(mocks):
    p = admitted(mocks)
    attend(mocks, p, "Residential Day")
    evaluate(mocks, p)
    claims = bill_everything(mocks)
    assert sorted(c["format"] for c in claims) == ["837I", "837P"]
    for claim in claims:
        assert claim["status"] == "accepted", claim
        checked = x12.validate_837(claim["x12"])
        assert checked.ok, checked.errors
        clm = [s for s in segments(claim["x12"]) if s[0] == "CLM"]
        assert [s[1] for s in clm] == [claim["claim_id"]]
        assert ["IK5", "A"] in segments(claim["ack_999"])
        assert ["AK9", "A", "1", "1", "1"] in segments(claim["ack_999"])
        assert x12.parse_277ca(claim["ack_277ca"]) == {claim["claim_id"]: "accepted"}
    assert {e["status"] for e in entries(mocks)} == {"claimed"}
    stored = mocks.rcm.get("/rcm/work_center/claims").get_json()["claims"]
    assert [(c["id"], c["status"], c["x12"]) for c in stored] == [(c["id"], c["status"], c["x12"]) for c in claims]


def test_an_837p_carries_at_most_twelve_diagnoses_and_four_pointers_a_line(mocks):
    p = admitted(mocks)
    for code in MORE_DIAGNOSES:  # added after the admission: each is re-sent to the RCM
        response = mocks.emr.post(f"/api/patients/{p.emr_id}/diagnoses", json={"code": code})
        assert response.status_code == 201 and response.get_json()["rcm"]["sent"] is True, response.get_json()
    episode = mocks.rcm.get(f"/rcm/patients/{p.rcm_id}").get_json()["patient"]["treatment_episodes"][0]
    assert len(episode["intake"]["behavioral_diagnoses"]["diagnoses"]) == 15
    evaluate(mocks, p)
    attend(mocks, p, "Group Therapy")
    claims = bill_everything(mocks)  # one claim per rendering provider: two 837Ps here
    sv1 = []
    for claim in claims:
        assert claim["format"] == "837P" and claim["status"] == "accepted", claim  # the clearinghouse validated it
        [hi] = [s for s in segments(claim["x12"]) if s[0] == "HI"]
        codes = [c.split(":")[1] for c in hi[1:]]
        assert codes == ["F1020"] + [c.replace(".", "") for c in MORE_DIAGNOSES[:11]]
        assert hi[1].startswith("ABK:") and all(c.startswith("ABF:") for c in hi[2:])
        sv1 += [s for s in segments(claim["x12"]) if s[0] == "SV1"]
    assert len(sv1) == 2
    for line in sv1:
        pointers = [int(n) for n in line[7].split(":")]
        assert 1 <= len(pointers) <= 4 and all(1 <= n <= 12 for n in pointers), line
    # The rest stay on the RCM's record.
    episode = mocks.rcm.get(f"/rcm/patients/{p.rcm_id}").get_json()["patient"]["treatment_episodes"][0]
    assert len(episode["intake"]["behavioral_diagnoses"]["diagnoses"]) == 15


def _broken(text: str, how: str) -> str:
    if how == "SE01":
        se = next(s for s in segments(text) if s[0] == "SE")
        wrong = f"SE*{int(se[1]) + 5}*{se[2]}~"
        broken = text.replace("*".join(se) + "~", wrong)
    else:
        dtp = next(s for s in segments(text) if s[0] == "DTP" and s[1] == "472")
        broken = text.replace("*".join(dtp) + "~", "*".join([*dtp[:3], dtp[3][:4] + "1345"]) + "~")
    assert broken != text
    return broken


def test_a_broken_837_is_rejected_by_the_clearinghouse(mocks):
    p = admitted(mocks)
    evaluate(mocks, p)
    [claim] = bill_everything(mocks)
    for how, named in (("SE01", "SE"), ("DTP03", "DTP03")):
        broken = _broken(claim["x12"], how)
        response = mocks.payer.post("/clearinghouse/x12/837", data=broken, content_type="text/plain")
        assert response.status_code == 200 and response.is_json
        answer = response.get_json()
        assert answer["accepted"] is False, how
        assert any(named in e for e in answer["errors"]), (how, answer["errors"])
        ack = segments(answer["ack_999"])
        assert ack[0][0] == "ISA" and ["IK5", "A"] not in ack, (how, answer["ack_999"])
        assert ["IK5", "R"] in [s[:2] for s in ack], (how, answer["ack_999"])
        assert next(s for s in ack if s[0] == "AK9")[:2] == ["AK9", "R"], (how, answer["ack_999"])


def test_an_unreadable_837_is_not_acknowledged_as_accepted(mocks):
    # BUG: with an impossible GS04 date, pyx12 cannot read the interchange: the JSON says
    # accepted false ("the input is not a readable X12 interchange"), yet the 999 it returns
    # says IK5*A and AK9*A; the error does not name GS04 either.
    p = admitted(mocks)
    evaluate(mocks, p)
    [claim] = bill_everything(mocks)
    gs = next(s for s in segments(claim["x12"]) if s[0] == "GS")
    broken = claim["x12"].replace("*".join(gs), "*".join([*gs[:4], "20261345", *gs[5:]]))
    assert broken != claim["x12"]
    answer = mocks.payer.post("/clearinghouse/x12/837", data=broken, content_type="text/plain").get_json()
    assert answer["accepted"] is False
    ack = segments(answer["ack_999"])
    assert ["IK5", "A"] not in ack and next(s for s in ack if s[0] == "AK9")[1] != "A", answer["ack_999"]
    assert any("GS04" in e for e in answer["errors"]), answer["errors"]


def test_the_clearinghouse_journal_holds_each_837_received_and_the_999_sent(mocks):
    p = admitted(mocks)
    attend(mocks, p, "Residential Day")
    evaluate(mocks, p)
    claims = bill_everything(mocks)
    broken = _broken(claims[0]["x12"], "DTP03")
    answer = mocks.payer.post("/clearinghouse/x12/837", data=broken, content_type="text/plain").get_json()
    journal = x12_journal(mocks)
    assert all(e["channel"] == "x12" for e in journal)
    received = [e["body"] for e in journal if e["summary"] == "837 received"]
    assert received == [c["x12"] for c in claims] + [broken]
    acks = [(e["summary"], e["body"]) for e in journal if e["summary"].startswith("999 ")]
    assert acks == [("999 accepted", c["ack_999"]) for c in claims] + [("999 rejected", answer["ack_999"])]
    # The RCM's side keeps what it sent and what came back.
    rcm = mocks.rcm.get("/_mock/journal?channel=x12").get_json()["entries"]
    assert [e["body"] for e in rcm if e["summary"].startswith("837 sent")] == [c["x12"] for c in claims]


# -- units ---------------------------------------------------------------------------------------

def test_three_charges_of_one_service_on_one_day_are_one_line_of_three_units(mocks):
    p = admitted(mocks)
    attend(mocks, p, "Group Therapy", times=3)
    attend(mocks, p, "Group Therapy", day="2026-03-06")
    transmit(mocks)
    assert [(e["date_of_service"], e["units"]) for e in entries(mocks)] == [(DAY, 1)] * 3 + [("2026-03-06", 1)]
    submit(mocks)
    [claim] = make_claims(mocks)
    assert claim["status"] == "accepted", claim
    assert [(line["service_date"], line["units"], line["charge"]) for line in claim["lines"]] == \
        [(DAY, 3, "285.00"), ("2026-03-06", 1, "95.00")]
    sv1 = [s for s in segments(claim["x12"]) if s[0] == "SV1"]
    assert [(s[1], s[2], s[3], s[4]) for s in sv1] == [("HC:90853", "285", "UN", "3"), ("HC:90853", "95", "UN", "1")]
    assert len(claim["attendance_ids"]) == 4


def test_three_per_diem_charges_on_one_day_are_one_837i_line_of_three_units(mocks):
    p = admitted(mocks)
    attend(mocks, p, "Residential Day", times=3)
    transmit(mocks)
    assert [e["units"] for e in entries(mocks)] == [1, 1, 1]
    submit(mocks)
    [claim] = make_claims(mocks)
    assert claim["format"] == "837I" and claim["status"] == "accepted", claim
    [sv2] = [s for s in segments(claim["x12"]) if s[0] == "SV2"]
    assert (sv2[1], sv2[2], sv2[4], sv2[5]) == ("1002", "HC:H0018", "UN", "3")


def test_each_line_of_a_claim_is_billed_under_its_own_rendering_provider(mocks):
    # BUG: the Work Center groups treatments by patient, episode, format and pay type only, and
    # build_claim takes lines[0]'s rendering provider for the whole 837P: a Group Therapy line
    # rendered by the Konnector's provider goes out under Reyes (the evaluation's provider).
    p = admitted(mocks)
    evaluate(mocks, p)  # rendered by Reyes, on her standalone authorization
    attend(mocks, p, "Group Therapy")  # blank provider: the Konnector's
    transmit(mocks)
    assert sorted(e["rendering_provider"] for e in entries(mocks)) == sorted([KONNECTOR, REYES])
    submit(mocks)
    claims = make_claims(mocks)
    for claim in claims:
        assert claim["status"] == "accepted", claim
        nm1 = [s for s in segments(claim["x12"]) if s[:2] == ["NM1", "82"]]
        billed = {s[9] for s in nm1}
        assert billed == {line["rendering_provider"] for line in claim["lines"]}, (billed, claim["lines"])


# -- one patient's claims; a claim rule for one payer (issue 8: each scenario owns its data) ------

def _claims(m, query: str = "") -> list[dict]:
    response = m.rcm.get(f"/rcm/work_center/claims{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["claims"]


def test_claims_are_made_and_listed_for_one_patient(mocks):
    a, b = admitted(mocks), admitted(mocks, payer="Cigna")
    attend(mocks, a, "Group Therapy")
    attend(mocks, b, "Group Therapy")
    transmit(mocks)
    submit(mocks)
    response = mocks.rcm.post(f"/rcm/work_center/claims?patient_id={a.rcm_id}", headers=BILLER)
    assert response.status_code == 201, response.get_json()
    assert [c["patient_id"] for c in response.get_json()["claims"]] == [a.rcm_id]
    # b's treatment was left for b's biller: still submitted, on no claim.
    assert {e["patient_id"]: e["status"] for e in entries(mocks)} == {a.rcm_id: "claimed", b.rcm_id: "submitted"}
    assert [c["patient_id"] for c in _claims(mocks, f"?patient_id={a.rcm_id}")] == [a.rcm_id]
    assert _claims(mocks, f"?patient_id={b.rcm_id}") == []
    named = refused(mocks.rcm.post(f"/rcm/work_center/claims?patient_id={a.rcm_id}", headers=BILLER), 409,
                    {"attendance"})
    assert "submit" in named["attendance"]
    response = mocks.rcm.post(f"/rcm/work_center/claims?patient_id={b.rcm_id}", headers=BILLER)
    assert [c["patient_id"] for c in response.get_json()["claims"]] == [b.rcm_id]
    assert sorted(c["patient_id"] for c in _claims(mocks)) == sorted([a.rcm_id, b.rcm_id])  # no filter: all


def test_a_claim_rule_for_a_payer_changes_only_that_payers_claims(mocks):
    a, b = admitted(mocks), admitted(mocks, payer="Cigna")
    before = everything(mocks.suite)
    named = refused(mocks.rcm.post("/rcm/claim_rules", json={"name": "GT for nobody", "procedure_code": "90853",
                                                             "add_modifier": "GT", "payer": 999}), 409, {"payer"})
    assert "999" in named["payer"]
    assert everything(mocks.suite) == before
    for rule in ({"name": "GT for A", "procedure_code": "90853", "add_modifier": "GT", "payer": a.payer_id},
                 {"name": "HQ for all", "procedure_code": "90853", "add_modifier": "HQ"}):
        response = mocks.rcm.post("/rcm/claim_rules", json=rule)
        assert response.status_code == 201 and response.get_json()["claim_rule"]["payer"] == rule.get("payer")
    attend(mocks, a, "Group Therapy")
    attend(mocks, b, "Group Therapy")
    claims = {c["patient_id"]: c for c in bill_everything(mocks)}
    assert {p: c["lines"][0]["modifiers"] for p, c in claims.items()} == {a.rcm_id: ["GT", "HQ"], b.rcm_id: ["HQ"]}
    sv1 = {p: [s[1] for s in segments(c["x12"]) if s[0] == "SV1"] for p, c in claims.items()}
    assert sv1 == {a.rcm_id: ["HC:90853:GT:HQ"], b.rcm_id: ["HC:90853:HQ"]}
