"""The three X12 defects found by validating the mocks' traffic with an independent library, each
pinned, and free text holding the separators (``* : ^ ~``) anywhere a builder puts it.

1. A 270 for a person of unknown gender said ``DMG*D8*19490303*U``; X279A1 allows only F and M
   in DMG03 of 2100C/2100D, which is situational: it is now left out.
2. The 999 said ``005010X231`` in GS08 and ST03; the HIPAA guide is ``005010X231A1``.
3. A rejected 837 got no 277CA, because the reason put in STC12 quoted pyx12 and held ``:``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from claimkit import CHILD, CLEARINGHOUSE, CLINICIAN, FACILITY, HOME, HOLDER, OP, PARENT, RES
from claimkit import RCM as CLAIM_ENVELOPE
from eligibilitykit import DEPENDENT, PAYER, RCM, REQUEST, SUBSCRIBER, WITH_DEPENDENT, segments

from kipu_harness.wire.x12 import claims, eligibility
from kipu_harness.wire.x12.envelope import X12Error, free_text, segment
from kipu_harness.wire.x12.reader import split

NASTY = "O*NEIL: ANN^MARIE~JR"  # every separator, in one name
CLEAN = "O NEIL ANN MARIE JR"


def elements(text: str, tag: str) -> list[tuple[str, ...]]:
    """The segments ``tag`` as X12 reads them: split by the separators the ISA declares."""
    return [s.elements for s in split(text)[3] if s.tag == tag]


# -- 1. DMG03 ----------------------------------------------------------------------------------

UNKNOWN = replace(WITH_DEPENDENT, subscriber=replace(SUBSCRIBER, gender="U"),
                  dependent=replace(DEPENDENT, gender="U"))


@pytest.mark.parametrize("kind", ["270", *eligibility.OUTCOMES])
def test_an_unknown_gender_sends_no_dmg03(kind):
    text = (eligibility.build_270(UNKNOWN, RCM) if kind == "270"
            else eligibility.build_271(UNKNOWN, kind, PAYER))
    dmg = elements(text, "DMG")
    assert dmg and all(d == ("DMG", "D8", d[2]) for d in dmg), dmg
    eligibility.validate_structure(text, "270" if kind == "270" else "271")


def test_known_genders_are_sent_and_unknown_reads_back_as_u():
    text = eligibility.build_270(WITH_DEPENDENT, RCM)
    assert [d[3] for d in elements(text, "DMG")] == ["F", "M"]
    request, _ = eligibility.parse_270(eligibility.build_270(UNKNOWN, RCM))
    assert (request.subscriber.gender, request.dependent.gender) == ("U", "U")


def test_the_structure_check_refuses_dmg03_u():
    text = eligibility.build_270(REQUEST, RCM).replace("DMG*D8*19850412*F", "DMG*D8*19850412*U")
    with pytest.raises(X12Error, match="^DMG03: gender 'U' in 2100C is not F or M"):
        eligibility.validate_structure(text, "270")


def test_the_837_keeps_dmg03_u_which_its_guides_allow():
    # 2010BA/2010CA DMG03 is required in X222A1 and X223A2, with F, M and U.
    claim = replace(OP, subscriber=PARENT, patient=replace(CHILD, gender="U"))
    text = claims.build_837([claim], CLAIM_ENVELOPE)
    assert elements(text, "DMG") == [("DMG", "D8", "20100304", "U")]
    assert claims.validate_837(text).ok


# -- 2. the 999's version -------------------------------------------------------------------------

@pytest.mark.parametrize("broken", [False, True], ids=["accepted", "rejected"])
def test_the_999_names_005010x231a1_in_gs08_and_st03(broken):
    text = claims.build_837([RES], CLAIM_ENVELOPE)
    if broken:
        text = text.replace("DTP*472*D8*20260105", "DTP*472*D8*20261301")
    ack = claims.validate_837(text).ack_999
    assert elements(ack, "GS")[0][8] == "005010X231A1"
    assert elements(ack, "ST")[0][1:] == ("999", "0001", "005010X231A1")
    assert elements(ack, "AK1")[0][3] == "005010X223A2"  # AK1/AK2 name the 837's guide
    assert claims.validate_999(ack).ok


def test_hipaa_999_changes_only_gs08_and_st03():
    isa = "*".join(("ISA", "00", " " * 10, "00", " " * 10, "ZZ", "A".ljust(15), "ZZ",
                    "B".ljust(15), "260101", "1200", "^", "00501", "000000001", "0", "T", ":~"))
    ack = "\n".join([isa, "GS*FA*A*B*20260101*1200*1*X*005010X231~", "ST*999*0001*005010X231~",
                     "AK1*HC*1*005010X231~", "IEA*1*000000001~", ""])
    fixed = claims.ack999.hipaa_999(ack)
    assert fixed.split("\n")[1:] == ["GS*FA*A*B*20260101*1200*1*X*005010X231A1~",
                                     "ST*999*0001*005010X231A1~", "AK1*HC*1*005010X231~",
                                     "IEA*1*000000001~", ""]
    assert claims.ack999.hipaa_999("not x12") == "not x12"


# -- 3. a rejected 837 gets its 277CA -------------------------------------------------------------

@pytest.mark.parametrize("old, new", [("DTP*472*D8*20260112", "DTP*472*D8*20261301"),
                                      ("SE*29*0001", "SE*34*0001")], ids=["DTP03", "SE01"])
def test_the_clearinghouse_answers_a_rejected_837_with_a_277ca(mocks, old, new):
    text = claims.build_837([OP], CLAIM_ENVELOPE)
    assert old in text
    text = text.replace(old, new)
    answer = mocks.payer.post("/clearinghouse/x12/837", data=text,
                              content_type="text/plain").get_json()
    assert answer["accepted"] is False
    assert any(":" in error for error in answer["errors"])  # what made STC12 fail before
    assert answer["ack_277ca"], "no 277CA for a rejected 837"
    assert claims.parse_277ca(answer["ack_277ca"]) == {"OP1": "rejected"}
    assert claims.validate_277ca(answer["ack_277ca"]).ok
    stc = [s for s in elements(answer["ack_277ca"], "STC") if s[1].startswith("A3")]
    assert len(stc) == 1 and len(stc[0]) == 13  # STC01..STC12: no separator split the reason
    assert stc[0][12] == free_text(stc[0][12]) and new.split("*")[0] in stc[0][12]
    summaries = [e["summary"] for e in mocks.suite.contexts["payer"].store.journal_entries("x12")]
    assert "999 rejected" in summaries and not any("no 277CA" in s for s in summaries), summaries


def test_a_reason_holding_separators_survives_in_stc12():
    reason = "DTP (segment 25, line 27) DTP03: invalid date [20261301]; CLM*05: bad^value~"
    text = claims.build_277ca([OP], False, CLEARINGHOUSE, reason=reason)
    stc = [s for s in elements(text, "STC") if s[1].startswith("A3")]
    assert stc == [("STC", "A3:21", "20260116", "U", "210.5", *[""] * 7, free_text(reason))]
    assert not set("*:^~") & set(stc[0][12])
    assert claims.validate_277ca(text).ok
    assert claims.parse_277ca(text) == {"OP1": "rejected"}


# -- free text everywhere -------------------------------------------------------------------------

def test_free_text_drops_separators_and_control_characters():
    assert free_text(NASTY) == CLEAN
    assert free_text("  A\r\nB\tC\x00D\x85E\ud800F  ") == "A B C D E F"
    assert free_text("O'NEIL-SMITH, JR. & SONS #2") == "O'NEIL-SMITH, JR. & SONS #2"
    with pytest.raises(X12Error):
        free_text(None)


def test_segment_refuses_separators_it_is_given_raw():
    with pytest.raises(X12Error, match="^NM109: 'W\\*1' contains the delimiter"):
        segment("NM1", "IL", "1", "DOE", "", "", "", "", "MI", "W*1")
    assert segment("EQ", ("HC", "90837", ""), "") == "EQ*HC:90837"


def test_names_with_separators_give_270_and_271_that_parse():
    nasty = replace(WITH_DEPENDENT, payer_name=NASTY, provider_name=NASTY,
                    subscriber=replace(SUBSCRIBER, first_name=NASTY, last_name=NASTY),
                    dependent=replace(DEPENDENT, first_name=NASTY, last_name=NASTY))
    text = eligibility.build_270(nasty, RCM)
    eligibility.validate_structure(text, "270")
    nm1 = elements(text, "NM1")
    assert [len(n) for n in nm1] == [10, 10, 10, 5]  # NM101..NM109, and NM105 for the dependent
    assert {n[3] for n in nm1} == {CLEAN}
    request, _ = eligibility.parse_270(text)
    names = (request.payer_name, request.subscriber.first_name, request.dependent.last_name)
    assert names == (CLEAN,) * 3
    for outcome in eligibility.OUTCOMES:
        answer = eligibility.build_271(nasty, outcome, PAYER)
        eligibility.validate_structure(answer, "271")
        assert eligibility.parse_271(answer).status == outcome


@pytest.mark.parametrize("fmt", ["837P", "837I"])
def test_names_and_addresses_with_separators_give_an_837_that_validates(fmt):
    address = replace(HOME, street=NASTY, city=NASTY)
    person = replace(HOLDER, first_name=NASTY, last_name=NASTY, address=address)
    facility = replace(FACILITY, name=NASTY, address=replace(FACILITY.address, street=NASTY))
    clinician = replace(CLINICIAN, name=f"{NASTY}, {NASTY}")
    base = OP if fmt == "837P" else RES
    claim = replace(base, billing_provider=facility, rendering_provider=clinician,
                    subscriber=replace(PARENT, person=person, payer_name=NASTY),
                    patient=replace(CHILD, first_name=NASTY, last_name=NASTY))
    text = claims.build_837([claim], CLAIM_ENVELOPE, submitter_name=NASTY, receiver_name=NASTY)
    checked = claims.validate_837(text)
    assert checked.errors == () and checked.ok
    assert {n[3] for n in elements(text, "NM1")} == {CLEAN}
    assert {len(n) for n in elements(text, "N3")} == {2}
    assert {n[1:] for n in elements(text, "N4")} >= {(CLEAN, "TX", "78701")}
    received = claims.parse_837(text)
    assert received[0].subscriber.person.last_name == CLEAN
    answer = claims.build_277ca(received, False, CLEARINGHOUSE, reason=NASTY)
    assert claims.validate_277ca(answer).ok
    assert claims.parse_277ca(answer) == {claim.claim_id: "rejected"}


def test_a_name_of_separators_only_is_refused_as_empty():
    with pytest.raises(X12Error, match="^NM103: 2100D needs last name"):
        eligibility.build_270(replace(WITH_DEPENDENT, dependent=replace(DEPENDENT, last_name="*~")),
                              RCM)
    nameless = replace(OP.subscriber, person=replace(HOLDER, first_name=":^"))
    with pytest.raises(claims.ClaimError, match="NM103/NM104 \\(2010BA subscriber\\)"):
        claims.build_837([replace(OP, subscriber=nameless)], CLAIM_ENVELOPE)


def test_identifiers_holding_separators_are_refused_not_changed():
    with pytest.raises(claims.ClaimError, match="NM109 \\(2010BA member id\\): 'W:1'"):
        claims.build_837([replace(OP, subscriber=replace(OP.subscriber, member_id="W:1"))],
                         CLAIM_ENVELOPE)
    with pytest.raises(X12Error, match="^TRN02: "):
        eligibility.build_270(replace(REQUEST, trace_number="T~1"), RCM)
