"""Electronic eligibility (X12 270/271) between the RCM and the payer: the answer stored and the
pair journalled, dependents, broken or missing answers, and the review of a check."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kipu_harness.wire.x12 import eligibility as x12
from insurancekit import (
    Admitted, emr_insurances, insurances_of, outbox, rcm_patient, ready, save, self_insurance, spouse_insurance,
    x12_journal,
)
from mockkit import PINNED, Mocks, pin_clock, refused, state


# -- electronic eligibility (X12 270/271) ---------------------------------------------------

class AnswerWith:
    """The RCM's links, except that the payer exchange answers ``answer`` or raises ``error``."""

    def __init__(self, original: Any, answer: tuple[int, str] | None = None, error: Exception | None = None):
        self.original, self.answer, self.error = original, answer, error
        self.sent: list[str] = []

    def exchange(self, system: str, path: str, text: str) -> tuple[int, str]:
        self.sent.append(text)
        if self.error:
            raise self.error
        return self.answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


def set_outcome(m: Mocks, member_id: str, outcome: str) -> None:
    response = m.payer.post("/payer/members", json={"member_id": member_id, "outcome": outcome})
    assert response.status_code == 201, response.get_json()


def check(m: Mocks, a: Admitted, iid: int):
    return m.rcm.post(f"{a.insurances}/{iid}/eligibility")


EXPECTED_ELIGIBILITY = {
    "active": ([("1", False, "")], ""),
    "inactive": ([("6", False, "")], ""),
    "auth_required": ([("1", True, "AUTHORIZATION REQUIRED")], ""),
    "not_found": ([], "75"),
}


@pytest.mark.parametrize("outcome", x12.OUTCOMES)
def test_an_eligibility_check_stores_the_payers_answer_and_journals_the_pair(mocks, outcome):
    a = ready(mocks)
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    set_outcome(mocks, "W123", outcome)
    outbox_before = outbox(mocks, "rcm")
    response = check(mocks, a, entry["id"])
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["eligibility"]
    benefits, reject = EXPECTED_ELIGIBILITY[outcome]
    assert result["status"] == outcome
    assert [(b["info"], b["authorization_required"], b["message"]) for b in result["benefits"]] == benefits
    assert all(b["service_types"] == list(x12.SERVICE_TYPES) for b in result["benefits"])
    assert result["reject_reason"] == reject
    assert (result["checked_at"], result["reviewed"]) == (PINNED, None)
    stored = insurances_of(rcm_patient(mocks, a.rcm_id))[0]
    assert stored["eligibility"] == result
    assert outbox(mocks, "rcm") == outbox_before  # eligibility is not sent to the EMR
    rcm_x12 = x12_journal(mocks, "rcm")
    assert [e["summary"] for e in rcm_x12] == ["270 sent to Aetna (ISA13 000000001)", "271 received"]
    sent_270, got_271 = rcm_x12[0]["body"], rcm_x12[1]["body"]
    x12.validate_structure(sent_270, "270")
    x12.validate_structure(got_271, "271")
    assert x12.parse_271(got_271).status == outcome
    inquiry, _ = x12.parse_270(sent_270)
    assert (inquiry.subscriber.member_id, inquiry.subscriber.last_name, inquiry.dependent) == ("W123", "Lee", None)
    assert inquiry.service_date == dt.date(2024, 6, 1)
    payer_x12 = x12_journal(mocks, "payer")
    assert [e["summary"] for e in payer_x12] == ["270 received", f"271 sent ({outcome})"]
    assert [e["body"] for e in payer_x12] == [sent_270, got_271]


def test_a_dependents_check_sends_the_subscriber_and_the_patient(mocks):
    a = ready(mocks)
    entry = save(mocks, a, spouse_insurance(a.payer["id"]))
    response = check(mocks, a, entry["id"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["eligibility"]["status"] == "active"
    inquiry, _ = x12.parse_270(x12_journal(mocks, "rcm")[0]["body"])
    assert (inquiry.subscriber.member_id, inquiry.subscriber.first_name, inquiry.subscriber.gender) == ("C456", "Bob", "M")
    assert inquiry.dependent is not None
    assert (inquiry.dependent.first_name, inquiry.dependent.dob, inquiry.dependent.gender) == (
        "Ann", dt.date(1980, 1, 2), "F")


def test_an_eligibility_check_of_an_unknown_insurance_is_a_404(mocks):
    a = ready(mocks)
    refused(check(mocks, a, 5), 404, {"insurance_id"})
    assert x12_journal(mocks, "rcm") == [] and x12_journal(mocks, "payer") == []


def _a_270() -> str:
    request = x12.EligibilityRequest(
        payer_name="Aetna", payer_id="60054", provider_name="KIPU HARNESS RECOVERY", provider_npi="1234567893",
        subscriber=x12.Party("W123", "Ann", "Lee", dt.date(1980, 1, 2), "F"), service_date=dt.date(2024, 6, 1))
    envelope = x12.Envelope(sender_id="KIPURCM", receiver_id="60054", interchange_control=7, group_control=7,
                            transaction_control=7, created_at=dt.datetime(2024, 6, 1, 12, 0))
    return x12.build_270(request, envelope)


def _broken(case: str) -> str:
    good = _a_270()
    if case == "wrong SE01":
        count = next(line for line in good.splitlines() if line.startswith("SE*")).split("*")[1]
        return good.replace(f"SE*{count}*", f"SE*{int(count) + 1}*")
    if case == "truncated ISA":
        return good[:60]
    return "this is not X12 at all"


@pytest.mark.parametrize("case,names", [("wrong SE01", "SE01"), ("truncated ISA", "ISA"), ("garbage", "ISA")])
def test_a_broken_270_straight_to_the_payer_is_a_400_naming_the_problem(mocks, case, names):
    x12.validate_structure(_a_270(), "270")  # the control: only the change breaks it
    response = mocks.payer.post("/payer/x12/270", data=_a_270(), content_type="text/plain")
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("ISA")
    before = state(mocks.suite)
    named = refused(mocks.payer.post("/payer/x12/270", data=_broken(case), content_type="text/plain"), 400, {"x12"})
    assert named["x12"].startswith(names), named
    assert state(mocks.suite) == before
    assert x12_journal(mocks, "payer")[-1]["summary"].startswith("270 rejected")


@pytest.mark.parametrize("answer", [(200, "garbage"), (200, _a_270()), (400, "nope")],
                         ids=["garbage", "a 270 for a 271", "a refusal"])
def test_a_payer_answer_that_is_not_a_valid_271_is_a_502_and_stores_nothing(mocks, answer):
    a = ready(mocks)
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    links = AnswerWith(mocks.suite.contexts["rcm"].links, answer=answer)
    mocks.suite.contexts["rcm"].links = links
    before = state(mocks.suite)
    refused(check(mocks, a, entry["id"]), 502, {"x12"})
    assert len(links.sent) == 1
    x12.validate_structure(links.sent[0], "270")
    assert insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"] is None
    assert state(mocks.suite) == before
    # The delegating links still deliver the RCM's outbox to the EMR.
    assert mocks.rcm.patch(f"{a.insurances}/{entry['id']}", json={"effective_date": "2024-04-01"}).status_code == 200
    assert emr_insurances(mocks, a)[0]["effective_date"] == "2024-04-01"


def test_an_unreachable_payer_is_a_503_and_stores_nothing(mocks):
    a = ready(mocks)
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    mocks.suite.contexts["rcm"].links = AnswerWith(mocks.suite.contexts["rcm"].links,
                                                   error=ConnectionError("payer is down"))
    before = state(mocks.suite)
    named = refused(check(mocks, a, entry["id"]), 503, {"payer"})
    assert "payer is down" in named["payer"]
    assert insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"] is None
    assert state(mocks.suite) == before
    assert x12_journal(mocks, "payer") == []


def test_a_payer_name_holding_x12_delimiters_travels_without_them(mocks):
    """A name is free text: the 270 carries it with each delimiter (: * ^ ~) made a space."""
    a = ready(mocks)
    response = mocks.rcm.post("/rcm/payers", json={"name": "Aetna: Behavioral*Health", "payer_id": "61101"})
    if response.status_code == 422:  # refused at the door is fine too
        refused(response, 422, {"name"})
        return
    payer = response.get_json()["payer"]
    response = mocks.rcm.post(a.insurances, json=self_insurance(payer["id"], insurance_id="W123"))
    assert response.status_code == 201, response.get_json()
    answer = check(mocks, a, response.get_json()["insurance"]["id"])
    assert answer.status_code == 200, answer.get_json()
    [sent] = [e["body"] for e in x12_journal(mocks, "payer") if e["summary"] == "270 received"]
    assert "NM1*PR*2*Aetna Behavioral Health*****PI*61101~" in sent


@pytest.mark.parametrize("field,value", [("insurance id", "W*123"), ("insurance id", "W:1^2~3")])
def test_a_value_x12_cannot_carry_is_refused_not_a_500(mocks, field, value):
    """An insurance ID holding an X12 delimiter (: * ^ ~) cannot travel in a 270 (an identifier
    is sent as it is, where a name has its delimiters made spaces): either the save or the check
    names it; the check never answers 500 or reaches the payer."""
    a = ready(mocks)
    payer_body = {"name": value if field == "payer name" else "Humana", "payer_id": "61101"}
    response = mocks.rcm.post("/rcm/payers", json=payer_body)
    if response.status_code == 422:
        refused(response, 422, {"name"})
        return
    assert response.status_code == 201
    payer = response.get_json()["payer"]
    body = self_insurance(payer["id"], insurance_id=value if field == "insurance id" else "W123")
    response = mocks.rcm.post(a.insurances, json=body)
    if response.status_code == 422:
        refused(response, 422, {"policy_holder.insurance_id"})
        return
    assert response.status_code == 201
    before = state(mocks.suite)
    named = refused(check(mocks, a, response.get_json()["insurance"]["id"]), 409, {"x12"})
    assert value in named["x12"]
    assert insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"] is None
    assert state(mocks.suite) == before
    assert x12_journal(mocks, "payer") == []


def test_an_eligibility_review_needs_a_check_first(mocks):
    a = ready(mocks)
    entry = save(mocks, a, self_insurance(a.payer["id"]))
    path = f"{a.insurances}/{entry['id']}/eligibility/review"
    before = state(mocks.suite)
    refused(mocks.rcm.post(path, json={"reviewed_by": "Jo"}), 409, {"eligibility"})
    assert state(mocks.suite) == before
    assert check(mocks, a, entry["id"]).status_code == 200
    refused(mocks.rcm.post(path, json={"note": "ok", "mood": "good"}), 422, {"reviewed_by", "mood"})
    pin_clock(mocks, "2024-06-01T13:00:00")
    response = mocks.rcm.post(path, json={"reviewed_by": "Jo", "note": "covered"})
    assert response.status_code == 200, response.get_json()
    reviewed = response.get_json()["insurance"]["eligibility"]["reviewed"]
    assert reviewed == {"by": "Jo", "at": "2024-06-01T13:00:00", "note": "covered"}
    stored = insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"]
    assert stored["reviewed"] == reviewed and stored["status"] == "active"
