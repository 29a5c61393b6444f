"""The structure checks of a 005010X279A1 270/271: every break of the envelope, the counts, the
HL hierarchy and the patient's loop is refused with a one-line reason naming the element."""

from __future__ import annotations

import pytest
from eligibilitykit import PAYER, RCM, REQUEST, WITH_DEPENDENT, drop, edit, reject, swap

from kipu_harness.wire.x12.eligibility import (
    X12Error,
    build_270,
    build_271,
    parse_270,
    parse_271,
    validate_structure,
)


# --------------------------------------------------------------------------- structure

GOOD_270 = build_270(REQUEST, RCM)
GOOD_270_DEP = build_270(WITH_DEPENDENT, RCM)
GOOD_271 = build_271(REQUEST, "active", PAYER)


@pytest.mark.parametrize("text, expected", [(GOOD_270, "270"), (GOOD_270_DEP, "270"),
                                            (GOOD_271, "271")])
def test_valid_messages_pass(text, expected):
    assert validate_structure(text, expected) is None


@pytest.mark.parametrize("text, expected, reason", [
    (edit(GOOD_270, swap("SE*", "SE*99*0001"), recount=False), "270",
     "SE01: segment count 99, counted 13"),
    (edit(GOOD_270, drop("DMG"), recount=False), "270", "SE01: segment count 13, counted 12"),
    (edit(GOOD_270, swap("SE*", "SE*13*0002")), "270",
     "SE02: control number '0002' does not match ST02 '0001'"),
    (edit(GOOD_270, swap("IEA*", "IEA*1*000000043")), "270",
     "IEA02: interchange control '000000043' does not match ISA13 '000000042'"),
    (edit(GOOD_270, swap("IEA*", "IEA*2*000000042")), "270", "IEA01: group count 2, counted 1"),
    (edit(GOOD_270, swap("GE*", "GE*2*7")), "270", "GE01: transaction count 2, counted 1"),
    (edit(GOOD_270, swap("GE*", "GE*1*8")), "270", "GE02: group control '8'"),
    (GOOD_270.replace("*005010X279A1~\nST", "*004010X092A1~\nST"), "270",
     "GS08: version '004010X092A1', expected '005010X279A1'"),
    (GOOD_270.replace("GS*HS*", "GS*HB*"), "270", "GS01: functional id 'HB' does not fit a 270"),
    (GOOD_271, "270", "ST01: transaction set '271', expected '270'"),
    (GOOD_270, "271", "ST01: transaction set '270', expected '271'"),
    (GOOD_270.replace("ST*270*0001*005010X279A1", "ST*270*0001*005010X092A1"), "270", "ST03: "),
    (edit(GOOD_270, drop("BHT")), "270", "BHT: missing"),
    (GOOD_270.replace("BHT*0022*13*", "BHT*0022*11*"), "270", "BHT02: purpose '11', expected '13'"),
    (GOOD_270.replace("BHT*0022*", "BHT*0019*"), "270", "BHT01: "),
    (edit(GOOD_270, drop("NM1*IL")), "270", "NM101: 2100C (HL 3) needs NM1*IL"),
    (edit(GOOD_270, drop("NM1*PR")), "270", "NM101: 2100A (HL 1) needs NM1*PR"),
    (GOOD_270.replace("NM1*1P*", "NM1*FA*"), "270", "NM101: 2100B (HL 2) needs NM1*1P"),
    (edit(GOOD_270_DEP, drop("NM1*03")), "270", "NM101: 2100D (HL 4) needs NM1*03"),
    (edit(GOOD_270, drop("EQ*")), "270", "EQ: 2000C (HL 3) is the patient's loop and has no EQ"),
    (edit(GOOD_270_DEP, drop("EQ*")), "270", "EQ: 2000D (HL 4)"),
    (edit(GOOD_270, swap("EQ*", "EQ")), "270", "EQ01: "),
    (edit(GOOD_271, drop("EB*")), "271", "EB: 2000C (HL 3) is the patient's loop"),
    (GOOD_270.replace("DTP*291*D8*20260115", "DTP*291*D8*20261301"), "270",
     "DTP03: '20261301' is not a valid CCYYMMDD date"),
    (GOOD_270.replace("DTP*291*D8*20260115", "DTP*291*D8*20260230"), "270", "DTP03: "),
    (GOOD_270.replace("DTP*291*D8*20260115", "DTP*291*RD8*20260120-20260110"), "270",
     "DTP03: range '20260120-20260110' ends before it starts"),
    (GOOD_270.replace("DTP*291*D8*20260115", "DTP*291*D6*260115"), "270", "DTP02: "),
    (GOOD_271.replace("DTP*307*D8*20260115", "DTP*307*D8*2026011"), "271", "DTP03: "),
    (GOOD_270.replace("DMG*D8*19850412", "DMG*D8*19850432"), "270", "DMG02: "),
    (GOOD_270.replace("HL*3*2*22*0", "HL*3*1*22*0"), "270",
     "HL02: parent '1' of HL 3 (level 22) is not a level 21 HL"),
    (GOOD_270.replace("HL*3*2*22*0", "HL*3*2*22*1"), "270", "HL04: child code '1' in HL 3"),
    (GOOD_270.replace("HL*3*2*22*0", "HL*4*2*22*0"), "270", "HL01: id '4' where 3 is due"),
    (GOOD_270.replace("HL*3*2*22*0", "HL*3*2*99*0"), "270", "HL03: level '99'"),
    (GOOD_270.replace("HL*1**20*1", "HL*1*1*20*1"), "270", "HL02: "),
    (edit(GOOD_270, lambda s: [x for x in s if not x.startswith(("HL*3", "TRN", "NM1*IL", "DMG",
                                                                "DTP", "EQ"))]
          ).replace("HL*2*1*21*1", "HL*2*1*21*0"), "270", "HL03: no subscriber level (22"),
    (edit(GOOD_270, lambda s: [*s[:4], "NM1*PR*2*X*****PI*Y", *s[4:]]), "270",
     "HL: the detail must start with HL level 20 after BHT, found NM1"),
])
def test_structural_breaks_are_rejected_with_a_reason(text, expected, reason):
    reject(text, expected, reason)


@pytest.mark.parametrize("text, reason", [
    ("", "ISA: empty input"),
    ("  \r\n ", "ISA: empty input"),
    ("hello, this is not X12 at all", "ISA: input does not start with an ISA segment"),
    ("MSH|^~\\&|KIPU_EMR||KIPU_RCM|", "ISA: input does not start with an ISA segment"),
    (GOOD_270[:60], "ISA: truncated"),
    (GOOD_270[:105], "ISA: truncated"),
    (GOOD_270.replace("KIPURCM        ", "KIPURCM", 1), "ISA06: 7 characters where the fixed-width "
                                                         "ISA needs 15"),
    (GOOD_270.replace("*00501*", "*00401*", 1), "ISA12: version '00401', expected '00501'"),
    (GOOD_270.replace("*^*00501", "*U*00501", 1), "ISA11: "),
    (GOOD_270.replace("*T*:~", "*T*~~", 1), "ISA: element, repetition and component"),
    (GOOD_270.replace("*260115*", "*261315*", 1), "ISA09: "),
    (GOOD_270.replace("*000000042*", "*00000004X*", 1), "ISA13: "),
    (GOOD_270[:GOOD_270.index("GS*")] + "this is garbage~and more~",
     "segment 2: 'this is garbage'"),
    (GOOD_270[:GOOD_270.index("IEA")], "IEA: the interchange must end with IEA, found GE"),
    (GOOD_270.rstrip("~\n"), "IEA: input does not end with the segment terminator"),
    (GOOD_270.replace("GS*HS*KIPURCM*ACMEPAYER*20260115", "GS*HS*KIPURCM*ACMEPAYER*20261515"),
     "GS04: "),
    (edit(GOOD_270, drop("GS*")), "GS: expected a functional group header, found ST"),
    (edit(GOOD_270, drop("GE*")), "GE: functional group GS06 '7' has no trailer; found IEA"),
    (edit(GOOD_270, drop("SE*"), recount=False), "SE: transaction ST02 '0001' has no trailer"),
])
def test_broken_envelopes_are_rejected(text, reason):
    reject(text, "270", reason)


def test_parse_functions_validate_first():
    with pytest.raises(X12Error, match="^SE01: "):
        parse_270(edit(GOOD_270, swap("SE*", "SE*9*0001"), recount=False))
    with pytest.raises(X12Error, match="^ST01: "):
        parse_271(GOOD_270)
    with pytest.raises(X12Error, match="^ISA: empty input"):
        parse_271("")


def test_validate_structure_refuses_an_unknown_expected_type():
    with pytest.raises(X12Error, match="^ST01: expected transaction set '837'"):
        validate_structure(GOOD_270, "837")
