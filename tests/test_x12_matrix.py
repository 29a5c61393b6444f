"""Every X12 document the mocks exchange, over every gender (Male, Female, Unknown), every
policy-holder relationship the mock RCM supports (Self, Spouse, Child, Other) and every answer
(the payer's four eligibility outcomes; the clearinghouse accepting or rejecting an 837).

Each document is checked by a validator that did not write it: the 837, its 999 and the 277CA
by pyx12 against the HIPAA maps, the 270 and 271 by the structure checks and, independently,
by LinuxForHealth x12 (see lfhkit.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from decimal import Decimal

import pytest
from claimkit import CLEARINGHOUSE, CLINICIAN, FACILITY, HOME, RCM as CLAIM_ENVELOPE
from eligibilitykit import PAYER, RCM, drop, edit, segments
from lfhkit import AVAILABLE, lfh_errors

from kipu_harness.mocks.rcm.eligibility import GENDER_CODES, build_request
from kipu_harness.mocks.rcm.work_center import GENDERS as CLAIM_GENDERS
from kipu_harness.mocks.rcm.work_center import RELATIONSHIP_CODES
from kipu_harness.wire.x12 import claims, eligibility

SEXES = ("Male", "Female", "Unknown")  # the mocks' sexes for a patient and a policy holder
RELATIONSHIPS = tuple(RELATIONSHIP_CODES)  # Self, Spouse, Child, Other
PEOPLE = list(itertools.product(SEXES, RELATIONSHIPS))
OUTCOMES = eligibility.OUTCOMES  # what a payer member can be set to: the payer's answers
TODAY = dt.date(2026, 1, 15)


def test_the_matrix_covers_what_the_mocks_support():
    assert set(RELATIONSHIPS) == {"Self", "Spouse", "Child", "Other"}
    assert set(OUTCOMES) == {"active", "inactive", "auth_required", "not_found"}
    assert set(GENDER_CODES) | {"Unknown"} == set(SEXES) == set(CLAIM_GENDERS) | {"Unknown"}


# -- 270 / 271 ---------------------------------------------------------------------------------

def inquiry(sex: str, relationship: str) -> eligibility.EligibilityRequest:
    """The request the mock RCM builds for a policy holder and a patient of this sex."""
    holder = {"insurance_id": "W123456789", "first_name": "JANE", "last_name": "DOE",
              "birthday": "1949-03-03", "gender": sex, "relationship": relationship}
    entry = {"policy_holder": holder, "payer": {"name": "ACME HEALTH", "payer_id": "ACME01"}}
    intake = {"insurance": {"insurance_set": {"policy_holder": {"gender": sex}}}}
    profile = {"first_name": "TIM", "last_name": "DOE", "birthday": "2010-01-02"}
    patient = {"id": 1, "profile": profile,
               "treatment_episodes": [{"intake": intake}]}
    return build_request(patient, entry, TODAY, trace="1-1-1")


def exchange(sex: str, relationship: str) -> dict[str, str]:
    """The 270 the RCM sends and the 271 the payer answers for each outcome, as the payer mock
    makes it: from the 270 it parsed."""
    text = eligibility.build_270(inquiry(sex, relationship), RCM)
    received, _ = eligibility.parse_270(text)
    return {"270": text, **{outcome: eligibility.build_271(received, outcome, PAYER)
                            for outcome in OUTCOMES}}


@pytest.mark.parametrize("sex, relationship", PEOPLE)
def test_270_and_271_for_every_person_and_outcome(sex, relationship):
    request = inquiry(sex, relationship)
    code = {"Male": "M", "Female": "F", "Unknown": "U"}[sex]
    assert request.subscriber.gender == code
    assert (request.dependent is None) == (relationship == "Self")
    docs = exchange(sex, relationship)
    eligibility.validate_structure(docs["270"], "270")
    assert eligibility.parse_270(docs["270"])[0] == request  # an unknown gender reads back as U
    dmg = [s for s in segments(docs["270"]) if s.startswith("DMG*")]
    assert len(dmg) == (1 if relationship == "Self" else 2)
    assert all(d.split("*")[3:] == ([] if code == "U" else [code]) for d in dmg)
    for outcome in OUTCOMES:
        eligibility.validate_structure(docs[outcome], "271")
        answer = eligibility.parse_271(docs[outcome])
        assert answer.status == outcome
        assert answer.trace_number == "1-1-1"
        assert answer.subscriber == request.subscriber
        assert not any(s.startswith("DMG*") and s.endswith("*U") for s in segments(docs[outcome]))


@pytest.fixture(scope="module")
def lfh(tmp_path_factory):
    if not AVAILABLE:
        pytest.skip("linuxforhealth-x12 is not installed (pip install -e '.[test]')")
    texts = {f"{sex}-{relationship}-{kind}": text for sex, relationship in PEOPLE
             for kind, text in exchange(sex, relationship).items()}
    # A control the reader must refuse: the 270 as it was sent before DMG03 U was dropped.
    unknown = exchange("Unknown", "Self")["270"]
    texts["control-dmg03-u"] = unknown.replace("DMG*D8*19490303~", "DMG*D8*19490303*U~")
    texts["control-se01"] = edit(unknown, drop("DTP*"), recount=False)
    return lfh_errors(texts, tmp_path_factory.mktemp("lfh"))


@pytest.mark.parametrize("sex, relationship", PEOPLE)
def test_linuxforhealth_reads_every_270_and_271(lfh, sex, relationship):
    for kind in ("270", *OUTCOMES):
        found = lfh[f"{sex}-{relationship}-{kind}"]
        assert found["errors"] == [], (kind, found)
    # What it set aside are only its own narrow code lists (see lfhkit.py).
    assert bool(lfh[f"{sex}-{relationship}-not_found"]["lfh_defects"])


def test_linuxforhealth_refuses_what_x279a1_does_not_allow(lfh):
    refused = lfh["control-dmg03-u"]["errors"]
    assert any(e["loc"][-2:] == ["dmg_segment", "gender_code"] for e in refused), refused
    miscounted = lfh["control-se01"]["errors"]
    assert any("SE segment count" in e["msg"] for e in miscounted), miscounted


# -- 837P / 837I, 999, 277CA ---------------------------------------------------------------------

def claim(sex: str, relationship: str, fmt: str, n: int) -> claims.Claim:
    """A claim as the mock Work Center builds it for a patient of this sex and relationship."""
    code = CLAIM_GENDERS.get(sex, "U")
    patient = claims.Person("TIM", f"DOE{chr(65 + n)}", dt.date(2010, 1, 2), code, HOME)
    relation = RELATIONSHIP_CODES[relationship]
    holder = patient if relation == "18" else claims.Person("JANE", "DOE", dt.date(1949, 3, 3),
                                                             code, HOME)
    subscriber = claims.Subscriber(holder, f"W12345{n:04d}", "ACME HEALTH", "ACME01", relation)
    line = claims.ServiceLine("H0018" if fmt == "837I" else "90837", Decimal("150"), 1,
                              dt.date(2026, 1, 12), revenue_code="1002" if fmt == "837I" else "")
    return claims.Claim(claim_id=f"KH{n:06d}", claim_format=fmt, billing_provider=FACILITY,
                        rendering_provider=CLINICIAN, subscriber=subscriber,
                        patient=None if relation == "18" else patient,
                        diagnoses=("F10.20", "F11.20"), lines=(line,))


def batch(fmt: str) -> list[claims.Claim]:
    return [claim(sex, relationship, fmt, n) for n, (sex, relationship) in enumerate(PEOPLE)]


@pytest.fixture(scope="module", params=["837P", "837I"])
def sent(request):
    """One 837 holding a claim for every person, and pyx12's verdict on it."""
    text = claims.build_837(batch(request.param), CLAIM_ENVELOPE)
    return request.param, text, claims.validate_837(text)


def test_837_for_every_person_validates(sent):
    fmt, text, checked = sent
    assert checked.errors == () and checked.ok
    segs = segments(text)
    assert [s for s in segs if s.startswith("PAT*")] == ["PAT*01", "PAT*19", "PAT*G8"] * 3
    # 2010BA (self) and 2010CA: DMG03 is required in the 837 and U is one of its codes.
    dmg = [s.split("*")[3] for s in segs if s.startswith("DMG*")]
    assert dmg == ["M"] * 4 + ["F"] * 4 + ["U"] * 4


def test_999_for_every_person_names_x231a1_and_validates(sent):
    fmt, _, checked = sent
    ack = segments(checked.ack_999)
    assert next(s for s in ack if s.startswith("GS*")).split("*")[8] == "005010X231A1"
    assert next(s for s in ack if s.startswith("ST*")) == "ST*999*0001*005010X231A1"
    assert f"AK2*837*0001*{claims.model.VERSIONS[fmt]}" in ack  # the 837's own version
    assert "IK5*A" in ack
    verdict = claims.validate_999(checked.ack_999)
    assert verdict.errors == () and verdict.ok


@pytest.mark.parametrize("accepted", [True, False], ids=["accepted", "rejected"])
def test_277ca_for_every_person_and_answer_validates(sent, accepted):
    fmt, text, _ = sent
    received = claims.parse_837(text)
    assert [c.claim_id for c in received] == [c.claim_id for c in batch(fmt)]
    # A rejection quotes pyx12, whose messages hold the component separator.
    reason = "" if accepted else "DTP (segment 25, line 27) DTP03: invalid date (20261301)"
    answer = claims.build_277ca(received, accepted, CLEARINGHOUSE, reason=reason)
    verdict = claims.validate_277ca(answer)
    assert verdict.errors == () and verdict.ok
    status = "accepted" if accepted else "rejected"
    assert claims.parse_277ca(answer) == {c.claim_id: status for c in batch(fmt)}


def test_a_rejected_837_gets_a_rejecting_999_that_validates():
    text = claims.build_837([claim("Unknown", "Child", "837P", 0)], CLAIM_ENVELOPE)
    checked = claims.validate_837(text.replace("DTP*472*D8*20260112", "DTP*472*D8*20261301"))
    assert not checked.ok
    ack = segments(checked.ack_999)
    assert "ST*999*0001*005010X231A1" in ack and "IK5*R*5" in ack
    assert claims.validate_999(checked.ack_999).ok


def test_an_answer_for_each_payer_outcome_reaches_the_rcm_as_that_outcome():
    # The payer's answer with a renamed payer (free text) still reads back to the same outcome.
    request = replace(inquiry("Unknown", "Spouse"), payer_name="ACME: BEHAVIORAL*HEALTH")
    for outcome in OUTCOMES:
        text = eligibility.build_271(request, outcome, PAYER)
        assert "NM1*PR*2*ACME BEHAVIORAL HEALTH*****PI*ACME01" in segments(text)
        assert eligibility.parse_271(text).status == outcome
