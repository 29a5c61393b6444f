"""837P/837I building, pyx12 validation and 999s, and the 277CA round trip.

pyx12 takes about 0.2 s per small document (mostly loading its map), so only the documents whose
validity is the point are validated; the rest check the built segments directly.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from kipu_harness.plugins.x12_claims import (
    MAX_DIAGNOSES,
    Address,
    Claim,
    ClaimError,
    Envelope,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
    Validation,
    build_277ca,
    build_837,
    parse_277ca,
    validate_277ca,
    validate_837,
)

FACILITY = Provider(name="KIPU RECOVERY CENTER", npi="1234567893", tax_id="741234567",
                    address=Address("100 MAIN ST", "AUSTIN", "TX", "78701-1234"),
                    taxonomy="324500000X")
CLINICIAN = Provider(name="SMITH, JANE", npi="1245319599", taxonomy="101YA0400X")
HOME = Address("1 ELM ST", "AUSTIN", "TX", "78701")
HOLDER = Person("JOHN", "DOE", dt.date(1980, 1, 2), "M", HOME)
SELF = Subscriber(HOLDER, "W123456789", "ACME HEALTH", "ACME01", group_number="GRP1")
PARENT = replace(SELF, relationship="19")
CHILD = Person("TIM", "DOE", dt.date(2010, 3, 4), "M")  # no address: the subscriber's is used
OP = Claim(
    claim_id="OP1", claim_format="837P", billing_provider=FACILITY,
    rendering_provider=CLINICIAN, subscriber=SELF, patient=None,
    diagnoses=("F11.20", "F10.20", "F33.1", "Z79.891"),
    lines=(ServiceLine("90837", Decimal("150.00"), 1, dt.date(2026, 1, 12),
                       diagnosis_pointers=(1, 2, 3)),
           ServiceLine("90853", Decimal("60.50"), 1, dt.date(2026, 1, 14), modifiers=("HQ",),
                       place_of_service="02")),
    place_of_service="57",
)
RES = Claim(
    claim_id="RES1", claim_format="837I", billing_provider=FACILITY,
    rendering_provider=CLINICIAN, subscriber=SELF, patient=None,
    diagnoses=("F10.20", "F11.20"),
    lines=tuple(ServiceLine("H0018", Decimal("750"), 1, dt.date(2026, 1, day),
                            revenue_code="1002") for day in (5, 6, 7)),
    admission_date=dt.date(2026, 1, 3),
)
RCM = Envelope(sender_id="KIPURCM", receiver_id="CLEARHOUSE", interchange_control=42,
               group_control=7, transaction_control=1,
               created_at=dt.datetime(2026, 1, 15, 9, 30, 5))
CLEARINGHOUSE = Envelope(sender_id="CLEARHOUSE", receiver_id="KIPURCM", interchange_control=77,
                         group_control=3, transaction_control=12,
                         created_at=dt.datetime(2026, 1, 16, 8, 0, 0))
# 25 distinct, well-formed codes: F10.1 ... F34.1
CODES = tuple(f"F{n}.1" for n in range(10, 35))


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def starting(text: str, prefix: str) -> list[str]:
    return [s for s in segments(text) if s.startswith(prefix)]


def accepted(result: Validation) -> bool:
    return "IK5*A~" in result.ack_999 and re.search(r"AK9\*A\*", result.ack_999) is not None


def rejected(result: Validation) -> bool:
    return "IK5*R" in result.ack_999 or "AK9*R" in result.ack_999


def assert_valid(result: Validation) -> None:
    assert result.errors == ()
    assert result.ok
    assert accepted(result), result.ack_999


def raises(claim: Claim, match: str, envelope: Envelope = RCM):
    with pytest.raises(ClaimError, match=match) as info:
        build_837([claim], envelope)
    return str(info.value)


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


# --------------------------------------------------------------------------- ClaimError

def test_13_diagnoses_on_837p_is_refused():
    message = raises(replace(OP, diagnoses=CODES[:13]), "13 diagnoses")
    assert "'OP1'" in message and "HI" in message and str(MAX_DIAGNOSES["837P"]) in message


def test_26_diagnoses_on_837i_is_refused():
    raises(replace(RES, diagnoses=CODES + ("Z59.00",)), r"26 diagnoses; an 837I carries at most 25")


@pytest.mark.parametrize("where, change, field", [
    ("billing", lambda c: replace(c, billing_provider=replace(FACILITY, npi="1234567890")),
     "2010AA billing provider NPI"),
    ("rendering", lambda c: replace(c, rendering_provider=replace(CLINICIAN, npi="124531959")),
     "2310B rendering provider NPI"),
])
def test_bad_npi_is_refused_naming_the_field(where, change, field):
    message = raises(change(OP), "NM109")
    assert field in message and "'OP1'" in message


def test_bad_attending_npi_on_837i():
    raises(replace(RES, rendering_provider=replace(CLINICIAN, npi="1245319598")),
           "NM109 \\(2310A attending provider NPI\\)")


@pytest.mark.parametrize("pointers, match", [
    ((1, 2, 3, 4, 1), "5 diagnosis pointers; at most 4"),
    ((5,), "pointer 5, but the claim has 4 diagnoses"),
    ((0,), "pointer 0"),
    ((), "non-empty"),
    ((1, 1), "repeat"),
])
def test_bad_pointers_are_refused(pointers, match):
    line = replace(OP.lines[0], diagnosis_pointers=pointers)
    message = raises(replace(OP, lines=(line,)), match)
    assert "SV107" in message and "line 1" in message


def test_five_pointers_refused_even_with_twelve_diagnoses():
    line = replace(OP.lines[0], diagnosis_pointers=(1, 2, 3, 4, 5))
    raises(replace(OP, diagnoses=CODES[:12], lines=(line,)), "SV107: 5 diagnosis pointers")


@pytest.mark.parametrize("code", ["XYZ99", "F1", "f10.20", "F10.", "F10.12345", "F10-20", "110.2"])
def test_malformed_icd10_is_refused(code):
    raises(replace(OP, diagnoses=("F11.20", code)), r"HI \(diagnosis 2\)")


def test_icd10_forms_accepted():
    text = build_837([replace(OP, diagnoses=("F32.A", "F1020", "T40.2X1A", "C4A.0"))], RCM)
    assert starting(text, "HI*") == ["HI*ABK:F32A*ABF:F1020*ABF:T402X1A*ABF:C4A0"]


def test_duplicate_diagnosis_is_refused():
    raises(replace(OP, diagnoses=("F10.20", "F1020")), "listed twice")


@pytest.mark.parametrize("change, match", [
    (lambda c: replace(c, claim_format="837X"), "claim_format"),
    (lambda c: replace(c, lines=(replace(c.lines[0], charge=150.0),)), "SV102.*not a Decimal"),
    (lambda c: replace(c, lines=(replace(c.lines[0], charge=Decimal("1.005")),)),
     "more than 2 decimals"),
    (lambda c: replace(c, lines=(replace(c.lines[0], units=0),)), "SV104"),
    (lambda c: replace(c, lines=(replace(c.lines[0], modifiers=("HQ", "GT", "95", "59",
                                                                 "XU")),)), "SV1013"),
    (lambda c: replace(c, lines=(replace(c.lines[0], procedure_code="9083"),)), "SV101-2"),
    (lambda c: replace(c, lines=()), "LX"),
    (lambda c: replace(c, place_of_service="5"), "CLM05-1"),
    (lambda c: replace(c, frequency="7"), "REF\\*F8"),
    (lambda c: replace(c, subscriber=PARENT), "PAT01.*needs the patient"),
    (lambda c: replace(c, patient=CHILD), "PAT01.*'18'"),
    (lambda c: replace(c, subscriber=replace(SELF, person=replace(HOLDER, address=None))),
     "2010BA subscriber address"),
    (lambda c: replace(c, subscriber=replace(PARENT, person=replace(HOLDER, address=None)),
                       patient=CHILD), "2010CA patient address"),
    (lambda c: replace(c, patient=replace(CHILD, gender="X"), subscriber=PARENT), "DMG03"),
    (lambda c: replace(c, subscriber=replace(SELF, member_id="")), "member id"),
    (lambda c: replace(c, subscriber=replace(SELF, priority="X")), "SBR01"),
    (lambda c: replace(c, claim_id="A*B"), "CLM01.*delimiter"),
    (lambda c: replace(c, claim_id="X" * 21), "CLM01"),
    (lambda c: replace(c, billing_provider=replace(FACILITY, tax_id="12345")), "REF02.*EIN"),
    (lambda c: replace(c, billing_provider=replace(FACILITY, address=None)), "2010AA"),
    (lambda c: replace(c, billing_provider=replace(
        FACILITY, address=replace(FACILITY.address, zip="78701"))), "N403.*ZIP\\+4"),
    (lambda c: replace(c, billing_provider=replace(FACILITY, taxonomy="123")), "PRV03"),
    (lambda c: replace(c, rendering_provider=replace(CLINICIAN, name="SMITH, ")), "NM103"),
])
def test_837p_refusals(change, match):
    raises(change(OP), match)


@pytest.mark.parametrize("change, match", [
    (lambda c: replace(c, lines=(replace(c.lines[0], revenue_code=""),)), "SV201"),
    (lambda c: replace(c, rendering_provider=None), "NM1\\*71.*required"),
    (lambda c: replace(c, rendering_provider=FACILITY), "NM102.*must be a person"),
    (lambda c: replace(c, billing_provider=replace(FACILITY, name="DOE, JOHN")),
     "NM102.*organization"),
    (lambda c: replace(c, type_of_bill="0863"), "CLM05-3.*frequency 3"),
    (lambda c: replace(c, type_of_bill="A86"), "CLM05-1"),
    (lambda c: replace(c, statement_from=dt.date(2026, 1, 6)), "outside the statement period"),
    (lambda c: replace(c, statement_from=dt.date(2026, 2, 1), statement_to=dt.date(2026, 1, 1)),
     "DTP03 \\(434"),
])
def test_837i_refusals(change, match):
    raises(change(RES), match)


def test_batch_refusals():
    with pytest.raises(ClaimError, match="claim 'RES1'.*one format per 837"):
        build_837([OP, RES], RCM)
    other = replace(OP, claim_id="OP2", billing_provider=replace(FACILITY, name="OTHER"))
    with pytest.raises(ClaimError, match="claim 'OP2'.*one billing provider"):
        build_837([OP, other], RCM)
    with pytest.raises(ClaimError, match="CLM01 appears twice"):
        build_837([OP, OP], RCM)
    with pytest.raises(ClaimError, match="no claims"):
        build_837([], RCM)
    with pytest.raises(ClaimError, match="envelope: ISA15"):
        build_837([OP], replace(RCM, usage="X"))


# --------------------------------------------------------------------------- 277CA

def test_277ca_accepted_round_trip():
    batch = [OP, replace(OP, claim_id="OP2", subscriber=PARENT, patient=CHILD)]
    text = build_277ca(batch, True, CLEARINGHOUSE)
    assert_valid(validate_277ca(text))
    assert parse_277ca(text) == {"OP1": "accepted", "OP2": "accepted"}
    assert starting(text, "TRN*2*OP") == ["TRN*2*OP1", "TRN*2*OP2"]
    assert starting(text, "STC*A2:20*") == ["STC*A2:20*20260116*WQ*210.5"] * 2
    assert len(starting(text, "REF*1K*")) == 2
    assert "NM1*QC*1*DOE*TIM****MI*W123456789" in segments(text)
    assert "DTP*472*RD8*20260112-20260114" in segments(text)


def test_277ca_rejected_round_trip():
    text = build_277ca([RES], False, CLEARINGHOUSE, reason="MEMBER ID NOT FOUND")
    assert_valid(validate_277ca(text))
    assert parse_277ca(text) == {"RES1": "rejected"}
    assert starting(text, "STC*A3:") == ["STC*A3:21*20260116*U*2250********MEMBER ID NOT FOUND"]
    assert not starting(text, "REF*1K*")
    assert "QTY*AA*1" in segments(text)


def test_277ca_groups_claims_by_payer():
    other = replace(OP, claim_id="OP2", subscriber=replace(SELF, payer_name="BLUE RIVER",
                                                           payer_id="BR22"))
    text = build_277ca([OP, other], True, CLEARINGHOUSE)
    assert starting(text, "NM1*PR*") == ["NM1*PR*2*ACME HEALTH*****PI*ACME01",
                                         "NM1*PR*2*BLUE RIVER*****PI*BR22"]
    assert parse_277ca(text) == {"OP1": "accepted", "OP2": "accepted"}


def test_parse_277ca_reads_other_categories_and_refuses_unknown():
    text = build_277ca([OP], True, CLEARINGHOUSE)
    assert parse_277ca(text.replace("STC*A2:20*", "STC*A7:562:85*")) == {"OP1": "rejected"}
    assert parse_277ca(text.replace("STC*A2:20*", "STC*A1:20*")) == {"OP1": "accepted"}
    with pytest.raises(ClaimError, match="claim 'OP1': STC01-1: status category 'P1'"):
        parse_277ca(text.replace("STC*A2:20*", "STC*P1:20*"))
    with pytest.raises(ClaimError, match="ST01: expected a 277"):
        parse_277ca(build_837([OP], RCM))
    with pytest.raises(ClaimError, match="277CA: ISA"):
        parse_277ca("not x12")


def test_build_277ca_refusals():
    with pytest.raises(ClaimError, match="STC12.*delimiter"):
        build_277ca([OP], False, CLEARINGHOUSE, reason="BAD*REASON")
    with pytest.raises(ClaimError, match="TRN02: CLM01 appears twice"):
        build_277ca([OP, OP], True, CLEARINGHOUSE)
    with pytest.raises(ClaimError, match="no claims"):
        build_277ca([], True, CLEARINGHOUSE)


# --------------------------------------------------------------------------- bench

def test_bench_runs_and_its_batch_validates(capsys):
    path = Path(__file__).resolve().parents[1] / "bench" / "bench_claims.py"
    spec = importlib.util.spec_from_file_location("bench_claims", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--claims", "12", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "generation" in out and "validation" in out and "generation / validation" in out
    # Seeded: the same claims every time.
    assert bench.synthetic_claims(12, 42) == bench.synthetic_claims(12, 42)
