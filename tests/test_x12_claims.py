"""837P/837I building, pyx12 validation and 999s.

pyx12 takes about 0.2 s per small document (mostly loading its map), so only the documents whose
validity is the point are validated; the rest check the built segments directly. The refusals
are in test_x12_claim_refusals.py, the 277CA in test_x12_277ca.py.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from dataclasses import replace

import pytest
from claimkit import (
    CHILD,
    CLEARINGHOUSE,
    CODES,
    FACILITY,
    OP,
    PARENT,
    RCM,
    RES,
    assert_valid,
    rejected,
    segments,
    starting,
)

from kipu_harness.wire.x12.claims import Validation, build_277ca, build_837, validate_837


# --------------------------------------------------------------------------- pyx12 accepts

def test_837p_validates_and_999_accepts():
    text = build_837([OP], RCM)
    result = validate_837(text)
    assert_valid(result)
    assert "AK1*HC*7*005010X222A1~" in result.ack_999


def test_837i_validates_and_999_accepts():
    text = build_837([RES], RCM)
    result = validate_837(text)
    assert_valid(result)
    assert "AK2*837*0001*005010X223A2~" in result.ack_999


@pytest.mark.parametrize("claim", [OP, RES], ids=["837P", "837I"])
def test_dependent_patient_validates(claim):
    batch = [claim, replace(claim, claim_id=claim.claim_id + "D", subscriber=PARENT,
                            patient=CHILD)]
    assert_valid(validate_837(build_837(batch, RCM)))


def test_837p_with_12_diagnoses_validates():
    claim = replace(OP, diagnoses=CODES[:12])
    text = build_837([claim], RCM)
    hi = starting(text, "HI*")
    assert len(hi) == 1 and hi[0].count("*") == 12
    assert_valid(validate_837(text))


def test_837i_with_principal_and_24_others_validates():
    claim = replace(RES, diagnoses=CODES)
    text = build_837([claim], RCM)
    hi = starting(text, "HI*")
    assert hi[0] == "HI*ABK:F101" and hi[1] == "HI*ABJ:F101"
    assert [h.count("ABF:") for h in hi[2:]] == [12, 12]
    assert_valid(validate_837(text))


# --------------------------------------------------------------------------- pyx12 rejects

def _break(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


BROKEN = {
    "wrong SE01": (lambda t: re.sub(r"SE\*\d+\*", "SE*99*", t), "SE count of 99"),
    "bad DTP date": (lambda t: _break(t, "DTP*472*D8*20260112", "DTP*472*D8*20261301"),
                     "invalid date (20261301)"),
    "SV102 removed": (lambda t: _break(t, "SV1*HC:90837*150*", "SV1*HC:90837**"),
                      "(SV102) is missing"),
    "unknown segment": (lambda t: _break(t, "LX*2~", "ZZZ*1~\nLX*2~"), "Segment ZZZ*1 not found"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_broken_837_is_rejected_with_a_reason(name):
    change, message = BROKEN[name]
    # Only the SE01 break may change the count; the others keep the segment count right by
    # replacing one segment (the ZZZ break adds one, which pyx12 also reports).
    result = validate_837(change(build_837([OP], RCM)))
    assert not result.ok
    assert rejected(result), result.ack_999
    assert any(message in error for error in result.errors), result.errors


def test_999_rejection_carries_ik3_ik4_codes():
    text = build_837([OP], RCM).replace("DTP*472*D8*20260112", "DTP*472*D8*20261301")
    result = validate_837(text)
    assert "IK3*DTP*" in result.ack_999
    assert "IK4*3*1251*8*20261301~" in result.ack_999
    assert any(e.startswith("DTP (segment") and "DTP03" in e for e in result.errors)


def test_validate_837_refuses_what_is_not_an_837():
    assert validate_837("garbage") == Validation(
        False, ("ST01/ST03: expected 837 005010X222A1/005010X223A2, found no ST",), "")
    result = validate_837(build_277ca([OP], True, CLEARINGHOUSE))
    assert not result.ok and "found 277 005010X214" in result.errors[0]


def test_validation_reads_the_delimiters_from_the_isa():
    text = build_837([OP], RCM).replace("*", "|").replace("~\n", "'").replace(":", ">")
    assert_valid(validate_837(text))


def test_truncated_interchange_is_rejected():
    text = build_837([OP], RCM)
    result = validate_837(text[:text.index("\nSE*") + 1])
    assert not result.ok
    assert any("Transaction Set Trailer" in e for e in result.errors)


# --------------------------------------------------------------------------- 837P layout

def test_837p_segments():
    text = build_837([OP], RCM)
    assert segments(text)[:4] == [
        "ISA*00*          *00*          *ZZ*KIPURCM        *ZZ*CLEARHOUSE     *260115*0930*^*"
        "00501*000000042*0*T*:",
        "GS*HC*KIPURCM*CLEARHOUSE*20260115*093005*7*X*005010X222A1",
        "ST*837*0001*005010X222A1",
        "BHT*0019*00*0001*20260115*093005*CH",
    ]
    assert "NM1*41*2*KIPU RECOVERY CENTER*****46*KIPURCM" in segments(text)
    assert starting(text, "PER*") == ["PER*IC*EDI DESK*TE*8005550100"]
    assert "NM1*40*2*CLEARHOUSE*****46*CLEARHOUSE" in segments(text)
    assert starting(text, "N4*")[0] == "N4*AUSTIN*TX*787011234"  # ZIP+4 without the dash
    assert "REF*EI*741234567" in segments(text)
    dashed = replace(OP, billing_provider=replace(FACILITY, tax_id="74-1234567"))
    assert "REF*EI*741234567" in segments(build_837([dashed], RCM))
    assert starting(text, "SBR*") == ["SBR*P*18*GRP1******CI"]
    assert "DMG*D8*19800102*M" in segments(text)
    assert starting(text, "CLM*") == ["CLM*OP1*210.5***57:B:1*Y*A*Y*Y"]
    assert starting(text, "HI*") == ["HI*ABK:F1120*ABF:F1020*ABF:F331*ABF:Z79891"]
    assert "NM1*82*1*SMITH*JANE****XX*1245319599" in segments(text)
    assert starting(text, "SV1*") == ["SV1*HC:90837*150*UN*1***1:2:3",
                                      "SV1*HC:90853:HQ*60.5*UN*1*02**1"]
    assert starting(text, "DTP*") == ["DTP*472*D8*20260112", "DTP*472*D8*20260114"]
    se = segments(text)[-3]
    st = segments(text).index("ST*837*0001*005010X222A1")
    assert se == f"SE*{len(segments(text)) - 2 - st}*0001"


def test_837p_line_pos_equal_to_claim_pos_is_not_repeated():
    line = replace(OP.lines[0], place_of_service="57")
    text = build_837([replace(OP, lines=(line,))], RCM)
    assert starting(text, "SV1*") == ["SV1*HC:90837*150*UN*1***1:2:3"]


def test_rendering_provider_same_as_billing_is_not_sent():
    text = build_837([replace(OP, rendering_provider=FACILITY)], RCM)
    assert not starting(text, "NM1*82*")


def test_dependent_layout():
    claim = replace(OP, subscriber=PARENT, patient=CHILD)
    seg = segments(build_837([claim], RCM))
    hl = [s for s in seg if s.startswith("HL*")]
    assert hl == ["HL*1**20*1", "HL*2*1*22*1", "HL*3*2*23*0"]
    assert "SBR*P**GRP1******CI" in seg  # SBR02 carries only 18
    start = seg.index("HL*3*2*23*0")
    assert seg[start:start + 6] == ["HL*3*2*23*0", "PAT*19", "NM1*QC*1*DOE*TIM",
                                    "N3*1 ELM ST", "N4*AUSTIN*TX*78701", "DMG*D8*20100304*M"]
    # The subscriber's DMG is sent only when the subscriber is the patient.
    assert [s for s in seg if s.startswith("DMG*")] == ["DMG*D8*20100304*M"]


def test_one_subscriber_hl_per_claim():
    batch = [OP, replace(OP, claim_id="OP2"), replace(OP, claim_id="OP3", subscriber=PARENT,
                                                      patient=CHILD)]
    hl = starting(build_837(batch, RCM), "HL*")
    assert hl == ["HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*0", "HL*4*1*22*1", "HL*5*4*23*0"]


def test_build_is_deterministic():
    batch = [OP, replace(OP, claim_id="OP2", subscriber=PARENT, patient=CHILD)]
    assert build_837(batch, RCM) == build_837(list(batch), RCM)


# --------------------------------------------------------------------------- 837I layout

def test_837i_segments():
    text = build_837([RES], RCM)
    assert starting(text, "GS*")[0].endswith("*005010X223A2")
    assert starting(text, "CLM*") == ["CLM*RES1*2250***86:A:1**A*Y*Y"]
    claim_part = segments(text)[segments(text).index("CLM*RES1*2250***86:A:1**A*Y*Y"):]
    assert claim_part[1:8] == [
        "DTP*434*RD8*20260105-20260107",  # default: first and last line dates
        "DTP*435*D8*20260103",
        "CL1*3*1*01",
        "HI*ABK:F1020",
        "HI*ABJ:F1020",
        "HI*ABF:F1120",
        "NM1*71*1*SMITH*JANE****XX*1245319599",
    ]
    assert starting(text, "PRV*") == ["PRV*BI*PXC*324500000X", "PRV*AT*PXC*101YA0400X"]
    assert starting(text, "SV2*") == ["SV2*1002*HC:H0018*750*UN*1"] * 3
    assert starting(text, "LX*") == ["LX*1", "LX*2", "LX*3"]


def test_837i_statement_dates_and_interim_status():
    claim = replace(RES, statement_from=dt.date(2026, 1, 1), statement_to=dt.date(2026, 1, 31),
                    type_of_bill="0862", frequency="2", admission_date=None)
    text = build_837([claim], RCM)
    assert "DTP*434*RD8*20260101-20260131" in segments(text)
    assert not starting(text, "DTP*435*")
    assert starting(text, "CL1*") == ["CL1*3*1*30"]  # still a patient on an interim bill
    assert starting(text, "CLM*")[0].endswith("*86:A:2**A*Y*Y")


@pytest.mark.parametrize("setup", ["", "import logging; logging.basicConfig(level=logging.DEBUG)\n"])
def test_pyx12s_findings_are_not_logged_where_they_could_show_a_name(tmp_path, setup):
    # pyx12 logs each finding at ERROR with the element's value: printed by Python when logging is
    # not set up, and by the application's handlers when it is.
    text = build_837([OP], RCM).replace("NM1*IL*1*DOE*JOHN", "NM1*IL*9*DOE*JOHN")
    script = tmp_path / "check.py"
    script.write_text(setup + "import sys\nfrom kipu_harness.wire.x12.claims import validate_837\n"
                      "result = validate_837(sys.stdin.read())\nprint(result.ok, len(result.errors))\n")
    done = subprocess.run([sys.executable, str(script)], input=text, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.split()[0] == "False", done
    assert "DOE" not in done.stderr and "NM102" not in done.stderr, done.stderr
